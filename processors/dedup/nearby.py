"""Stage C: tier 3, other citizens' recent cases at one place key, to relate new cases to.

One `PlaceCases` holds the state of one place key (`geo:<cell>` or `addr:<street>`, see
`place`). A new case is sent to every key of `PlaceInfo.probe_keys` and recorded in those
of `PlaceInfo.record_keys`; each key answers with the cases it relates it to. Links are
additive, so answers from several keys are simply united (`Deduplicator` keeps the best
evidence per case). State is plain JSON and bounded, trimmed by the submission's time:

    store = PlaceCases.from_state(table.get(key), config)
    links = store.relate(case_id, citizen_key, probe, record=key in record_keys)
    table[key] = store.to_state()
"""

from dataclasses import dataclass, field
from typing import Any

from processors.dedup.decisions import DedupConfig
from processors.dedup.place import compare_places
from processors.dedup.probe import Probe, place_from_state, place_state
from processors.dedup.text import Fingerprint, may_reach, similarity
from schemas.dedup import CaseLink
from schemas.evidence import MatchEvidence, MatchSignal


@dataclass
class PlaceCases:
    """The mutable state of one place key. Build with `from_state`."""

    config: DedupConfig
    cases: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_state(
        cls, state: dict[str, Any] | None, config: DedupConfig | None = None
    ) -> "PlaceCases":
        return cls(
            config=config or DedupConfig(),
            cases=[dict(c) for c in (state or {}).get("cases", ())],
        )

    def to_state(self) -> dict[str, Any]:
        return {"cases": self.cases}

    def is_empty(self) -> bool:
        return not self.cases

    def relate(
        self, case_id: str, citizen_key: str, probe: Probe, *, record: bool
    ) -> tuple[CaseLink, ...]:
        """The cases here that report the same problem as `probe`, best first; then, when
        `record`, remember this case (once: a replay does not add it twice)."""
        window = self.config.place_window.total_seconds()
        self.cases = [c for c in self.cases if probe.at - c["t"] <= window]
        scored: list[tuple[float, str, CaseLink]] = []
        for entry in self.cases:
            if entry["id"] == case_id or abs(probe.at - entry["t"]) > window:
                continue
            other = Fingerprint.from_state(entry["fp"])
            if not may_reach(probe.fingerprint, other, self.config.related_threshold):
                continue
            near = compare_places(
                probe.place,
                place_from_state(entry["pl"]),
                self.config.related_radius_m,
                self.config.house_span,
            )
            if near.same is not True:
                continue
            sim = similarity(probe.fingerprint, other)
            if sim.score < self.config.related_threshold:
                continue
            who = "the same citizen" if entry["ck"] == citizen_key else "another citizen"
            evidence = MatchEvidence(
                signals=(MatchSignal.SAME_PLACE, MatchSignal.SIMILAR_TEXT),
                similarity=sim.score,
                shared_terms=sim.shared_terms[:32],
                distance_m=near.distance_m,
                matched_submission_id=entry["s"],
                explanation=(
                    f"Reported by {who} at the same place ({near.how}) with similar text "
                    f"({sim.score:.2f}: {', '.join(sim.shared_terms[:8])})."
                ),
            )
            scored.append(
                (sim.score, entry["id"], CaseLink(case_id=entry["id"], evidence=evidence))
            )
        scored.sort(key=lambda s: (-s[0], s[1]))
        if record and all(c["id"] != case_id for c in self.cases):
            self.cases.append(
                {
                    "id": case_id,
                    "s": probe.submission_id,
                    "ck": citizen_key,
                    "t": probe.at,
                    "pl": place_state(probe.place),
                    "fp": probe.fingerprint.to_state(),
                }
            )
            if len(self.cases) > self.config.max_cases_per_place:
                self.cases.sort(key=lambda c: (c["t"], c["id"]))
                del self.cases[0]
        return tuple(link for _, _, link in scored[: self.config.max_related])
