"""Stage B: one citizen's recent cases, deciding tier 1 (redelivery) and tier 2 (merge).

One `CitizenCases` holds the state of one citizen key (see `resolver`): the cases that
citizen opened or wrote to within the window, with a fingerprint, place and identifier
digests for each submission kept, and every submission id seen, with the case it went into.
Its state is plain JSON (`to_state` / `from_state`) so that it lives as one value of a Faust
table keyed by citizen key:

    store = CitizenCases.from_state(table.get(key), config)
    decision = store.decide(probe)
    table[key] = store.to_state()

State is bounded: at most `max_cases_per_citizen` cases of `max_members_per_case`
submissions each (the first and the latest are kept), and it is trimmed on every decision
by the submission's own time, so replays decide as the first run did.
"""

from dataclasses import dataclass, field
from typing import Any

from processors.dedup.decisions import DedupConfig, Merge, NewCase, Redelivery
from processors.dedup.identity import IdentityKind
from processors.dedup.place import Nearness, compare_places
from processors.dedup.probe import Probe, place_from_state, place_state
from processors.dedup.text import Fingerprint, Similarity, may_reach, similarity
from schemas.case import case_id_for
from schemas.evidence import MatchEvidence, MatchSignal

_KIND_SIGNAL = {
    IdentityKind.TAX_CODE: MatchSignal.TAX_CODE,
    IdentityKind.EMAIL: MatchSignal.EMAIL,
    IdentityKind.PHONE: MatchSignal.PHONE,
}
_DAY = 86_400.0


@dataclass
class CitizenCases:
    """The mutable state of one citizen key. Build with `from_state`."""

    config: DedupConfig
    cases: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_state(
        cls, state: dict[str, Any] | None, config: DedupConfig | None = None
    ) -> "CitizenCases":
        state = state or {}
        return cls(
            config=config or DedupConfig(),
            cases=[dict(case) for case in state.get("cases", ())],
            seen={k: list(v) for k, v in state.get("seen", {}).items()},
        )

    def to_state(self) -> dict[str, Any]:
        return {"cases": self.cases, "seen": self.seen}

    def decide(self, probe: Probe) -> Redelivery | Merge | NewCase:
        """Tier 1, then tier 2; records the submission in the state. Deterministic."""
        self._trim(probe.at)
        if probe.submission_id in self.seen:
            return Redelivery(self.seen[probe.submission_id][0], probe.submission_id)
        best = self._best_match(probe)
        if best is not None:
            case, member, sim, near = best
            evidence = self._evidence(probe, case, member, sim, near)
            self._add_member(case, probe)
            self.seen[probe.submission_id] = [case["id"], probe.at]
            return Merge(case["id"], probe.submission_id, evidence)
        case_id = case_id_for(probe.submission_id)
        self.cases.append({"id": case_id, "t": probe.at, "m": [_member(probe)]})
        if len(self.cases) > self.config.max_cases_per_citizen:
            self.cases.sort(key=lambda c: (c["t"], c["id"]))
            del self.cases[0]
        self.seen[probe.submission_id] = [case_id, probe.at]
        return NewCase(case_id, probe.submission_id)

    def split(self, case_id: str, submission_id: str) -> str | None:
        """Undo a merge in this state: the submission becomes its own case again.

        Returns the restored case id, or `None` when the submission is not a merged member of
        `case_id` here. Idempotent: a second call finds nothing to split.
        """
        restored = case_id_for(submission_id)
        for case in self.cases:
            if case["id"] != case_id:
                continue
            members = case["m"]
            index = next(
                (i for i, m in enumerate(members) if m["s"] == submission_id and i > 0), None
            )
            if index is None:
                return None
            member = members.pop(index)
            case["t"] = max(m["t"] for m in members)
            self.cases.append({"id": restored, "t": member["t"], "m": [member]})
            self.seen[submission_id] = [restored, member["t"]]
            return restored
        return None

    def is_empty(self) -> bool:
        """Nothing left to remember: the agent may delete the table row."""
        return not self.cases and not self.seen

    def _trim(self, at: float) -> None:
        window = self.config.citizen_window.total_seconds()
        horizon = self.config.redelivery_horizon.total_seconds()
        self.cases = [c for c in self.cases if at - c["t"] <= window]
        self.seen = {s: v for s, v in self.seen.items() if at - v[1] <= horizon}

    def _best_match(
        self, probe: Probe
    ) -> tuple[dict[str, Any], dict[str, Any], Similarity, Nearness] | None:
        window = self.config.citizen_window.total_seconds()
        best: tuple[float, float, dict[str, Any], dict[str, Any], Similarity, Nearness] | None
        best = None
        for case in self.cases:
            if abs(probe.at - case["t"]) > window:
                continue
            for member in case["m"]:
                other = Fingerprint.from_state(member["fp"])
                if not may_reach(probe.fingerprint, other, self.config.merge_threshold):
                    continue
                near = compare_places(
                    probe.place,
                    place_from_state(member["pl"]),
                    self.config.merge_radius_m,
                    self.config.house_span,
                )
                if near.same is False:
                    continue
                sim = similarity(probe.fingerprint, other)
                if sim.score < self.config.merge_threshold:
                    continue
                rank = (sim.score, case["t"])
                if best is None or rank > best[:2]:
                    best = (sim.score, case["t"], case, member, sim, near)
        return None if best is None else best[2:]

    def _add_member(self, case: dict[str, Any], probe: Probe) -> None:
        members = case["m"]
        members.append(_member(probe))
        if len(members) > self.config.max_members_per_case:
            del members[1]  # keep the first (it named the case) and the latest
        case["t"] = max(case["t"], probe.at)

    def _evidence(
        self,
        probe: Probe,
        case: dict[str, Any],
        member: dict[str, Any],
        sim: Similarity,
        near: Nearness,
    ) -> MatchEvidence:
        known = {digest: kind for m in case["m"] for digest, kind in m["ids"].items()}
        shared = sorted(
            {IdentityKind(known[i.digest]) for i in probe.identities if i.digest in known},
            key=list(IdentityKind).index,
        )
        signals = [_KIND_SIGNAL[k] for k in shared] or [MatchSignal.LINKED_IDENTITY]
        signals.append(MatchSignal.SIMILAR_TEXT)
        if near.same:
            signals.append(MatchSignal.SAME_PLACE)
        channels = [m["ch"] for m in case["m"]]
        if probe.channel.value not in channels:
            signals.append(MatchSignal.OTHER_CHANNEL)
        who = (
            "same " + ", ".join(k.value.replace("_", " ") for k in shared)
            if shared
            else "identifiers linked by an earlier submission"
        )
        parts = [
            f"Same citizen ({who})",
            f"similar text ({sim.score:.2f}: {', '.join(sim.shared_terms[:8])})",
        ]
        if near.same:
            parts.append(f"same place ({near.how})")
        days = (probe.at - member["t"]) / _DAY
        parts.append(
            f"{days:.1f} days after {member['s']} by {member['ch']}, now by {probe.channel}"
        )
        return MatchEvidence(
            signals=tuple(signals),
            similarity=sim.score,
            shared_terms=sim.shared_terms[:32],
            distance_m=near.distance_m,
            matched_submission_id=member["s"],
            explanation="; ".join(parts) + ".",
        )


def _member(probe: Probe) -> dict[str, Any]:
    return {
        "s": probe.submission_id,
        "ch": probe.channel.value,
        "t": probe.at,
        "ids": {i.digest: i.kind.value for i in probe.identities},
        "fp": probe.fingerprint.to_state(),
        "pl": place_state(probe.place),
    }
