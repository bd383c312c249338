"""Accounting after a fault, without I/O: what the load generator was told was accepted
against what the pipeline stored and emitted.

- lost: an accepted tracking number in no stored case;
- duplicate cases: a tracking number in more than one case (each load submission is one
  citizen's only complaint, so it must open exactly one case);
- duplicate rows: a case routed (assigned or sent to triage) more than once, or a
  submission stored in more than one row;
- SLA: every alert due in the fault's window emitted, and no (case, clock, kind) emitted
  under two ids. The same id delivered twice is one fact by design (consumers write by
  event id), so it is counted apart (`sla_redelivered`) and is not a failure.
- unexpected: a stored case for a submission the load generator never saw accepted (it
  gave up after an error, yet the intake had stored it); allowed, reported.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Alert:
    case_id: str
    clock: str
    kind: str
    alert_id: str


@dataclass(frozen=True)
class Verdict:
    accepted: int
    stored: int
    lost: tuple[str, ...]
    duplicate_cases: int
    duplicate_rows: int
    unexpected: int
    sla_due: int
    sla_missing: int
    sla_duplicated: int
    sla_redelivered: int

    @property
    def survived(self) -> bool:
        return not (
            self.lost or self.duplicate_cases or self.duplicate_rows
            or self.sla_missing or self.sla_duplicated
        )  # fmt: skip

    def text(self) -> str:
        return (
            f"accepted {self.accepted}, stored {self.stored}, lost {len(self.lost)}, "
            f"duplicate cases {self.duplicate_cases}, duplicate rows {self.duplicate_rows}, "
            f"SLA due {self.sla_due} (missing {self.sla_missing}, "
            f"duplicated {self.sla_duplicated}, redelivered {self.sla_redelivered}), "
            f"stored though never acknowledged {self.unexpected}"
        )


def account(
    accepted: Iterable[str],
    cases: Mapping[str, Iterable[str]],
    *,
    routings: Mapping[str, int],
    submission_rows: Mapping[str, int],
    sent: Iterable[str] = (),
) -> Verdict:
    """Compare `accepted` tracking numbers with `cases` (case id -> its tracking numbers, as
    stored), `routings` (case id -> assignment and triage events stored) and
    `submission_rows` (tracking number -> rows). `sent` is every tracking number the load
    generator tried (accepted or not), to tell a stray case from one it gave up on."""
    wanted = set(accepted)
    case_of: dict[str, set[str]] = {}
    for case_id, tracking_ids in cases.items():
        for tid in tracking_ids:
            case_of.setdefault(tid, set()).add(case_id)
    stored = wanted & case_of.keys()
    lost = tuple(sorted(wanted - case_of.keys()))
    duplicate_cases = sum(len(case_of[t]) - 1 for t in stored)
    ours = {c for t in stored for c in case_of[t]}
    duplicate_rows = sum(max(0, routings.get(c, 0) - 1) for c in ours) + sum(
        max(0, submission_rows.get(t, 0) - 1) for t in wanted
    )
    tried = set(sent) | wanted
    unexpected = len((case_of.keys() & tried) - wanted)
    return Verdict(
        accepted=len(wanted),
        stored=len(stored),
        lost=lost,
        duplicate_cases=duplicate_cases,
        duplicate_rows=duplicate_rows,
        unexpected=unexpected,
        sla_due=0,
        sla_missing=0,
        sla_duplicated=0,
        sla_redelivered=0,
    )


@dataclass(frozen=True)
class SlaCount:
    due: int
    missing: tuple[tuple[str, str, str], ...]
    duplicated: tuple[tuple[str, str, str], ...]
    redelivered: int


def account_sla(
    expected: Iterable[tuple[str, str, str]],
    emitted: Iterable[Alert],
    deliveries: Mapping[str, int] | None = None,
) -> SlaCount:
    """`expected` (case id, clock, kind) alerts due against the alerts `emitted` (stored,
    one per id); `deliveries` counts how often each alert id was seen on its topic."""
    due = set(expected)
    ids: dict[tuple[str, str, str], set[str]] = {}
    for a in emitted:
        ids.setdefault((a.case_id, a.clock, a.kind), set()).add(a.alert_id)
    missing = tuple(sorted(due - ids.keys()))
    duplicated = tuple(sorted(k for k, v in ids.items() if len(v) > 1))
    counts = Counter(deliveries or {})
    redelivered = sum(n - 1 for n in counts.values() if n > 1)
    return SlaCount(len(due), missing, duplicated, redelivered)


def with_sla(verdict: Verdict, sla: SlaCount) -> Verdict:
    return replace(
        verdict,
        sla_due=sla.due,
        sla_missing=len(sla.missing),
        sla_duplicated=len(sla.duplicated),
        sla_redelivered=sla.redelivered,
    )
