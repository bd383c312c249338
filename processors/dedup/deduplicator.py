"""All three tiers in one process, over plain dicts: for tests, benchmarks and one-box use.

In the pipeline the same classes run in three stages keyed differently (see the package
docstring); `Deduplicator` shows the order of calls each agent makes, in one place.
"""

from collections.abc import MutableMapping
from typing import Any

from processors.dedup.citizen import CitizenCases
from processors.dedup.decisions import Decision, DedupConfig, Merge, NewCase, Redelivery, Related
from processors.dedup.nearby import PlaceCases
from processors.dedup.probe import Probe, probe_of
from processors.dedup.resolver import CitizenResolver
from schemas.dedup import CaseLink
from schemas.submission import Submission


class Deduplicator:
    """`decide(submission)` → `Redelivery`, `Merge`, `Related` or `NewCase`.

    The tables default to dicts; pass Faust tables (or any mutable mappings of JSON values)
    to keep state elsewhere.
    """

    def __init__(
        self,
        config: DedupConfig | None = None,
        *,
        identities: MutableMapping[str, Any] | None = None,
        citizens: MutableMapping[str, Any] | None = None,
        places: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.config = config or DedupConfig()
        self.identities: MutableMapping[str, Any] = {} if identities is None else identities
        self.citizens: MutableMapping[str, Any] = {} if citizens is None else citizens
        self.places: MutableMapping[str, Any] = {} if places is None else places
        self._resolver = CitizenResolver(self.identities, self.config)

    def decide(self, submission: Submission) -> Decision:
        return self.decide_probe(probe_of(submission))

    def decide_probe(self, probe: Probe) -> Decision:
        citizen_key = self.resolve(probe)
        decision = self.decide_citizen(citizen_key, probe)
        if not isinstance(decision, NewCase):
            return decision
        return self.relate(decision, citizen_key, probe)

    def resolve(self, probe: Probe) -> str:
        """Stage A (one partition): which citizen."""
        return self._resolver.resolve(probe.submission_id, probe.identities, probe.at).citizen_key

    def decide_citizen(self, citizen_key: str, probe: Probe) -> Redelivery | Merge | NewCase:
        """Stage B (keyed by citizen key): tiers 1 and 2."""
        store = CitizenCases.from_state(self.citizens.get(citizen_key), self.config)
        decision = store.decide(probe)
        self.citizens[citizen_key] = store.to_state()
        return decision

    def case_of(self, citizen_key: str, submission_id: str) -> str | None:
        """Stage B: the case a submission of this citizen went into, if remembered."""
        seen = (self.citizens.get(citizen_key) or {}).get("seen", {}).get(submission_id)
        return None if seen is None else str(seen[0])

    def relate(self, decision: NewCase, citizen_key: str, probe: Probe) -> NewCase | Related:
        """Stage C (keyed by each place key): tier 3, for new cases only."""
        record = set(probe.place.record_keys())
        best: dict[str, CaseLink] = {}
        for key in probe.place.probe_keys(self.config.related_radius_m):
            places = PlaceCases.from_state(self.places.get(key), self.config)
            for link in places.relate(decision.case_id, citizen_key, probe, record=key in record):
                kept = best.get(link.case_id)
                if kept is None or (link.evidence.similarity or 0) > (
                    kept.evidence.similarity or 0
                ):
                    best[link.case_id] = link
            self.places[key] = places.to_state()
        if not best:
            return decision
        links = sorted(best.values(), key=lambda k: (-(k.evidence.similarity or 0), k.case_id))
        return Related(
            decision.case_id, decision.submission_id, tuple(links[: self.config.max_related])
        )

    def undo(self, case_id: str, submission_id: str) -> str | None:
        """Forget a merge in the citizen's state; returns the restored case id, or `None` if
        there was no such merge. (See `undo.undo_merge` for the case snapshot's side.)"""
        citizen_key = self.citizen_key_of(submission_id)
        if citizen_key is None:
            return None
        store = CitizenCases.from_state(self.citizens.get(citizen_key), self.config)
        restored = store.split(case_id, submission_id)
        self.citizens[citizen_key] = store.to_state()
        return restored

    def citizen_key_of(self, submission_id: str) -> str | None:
        """Where stage A sent a submission (the resolver remembers it for the redelivery
        horizon); anonymous submissions are not recorded."""
        row = self.identities.get(f"s:{submission_id}")
        return None if row is None else str(row["c"])
