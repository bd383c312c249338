"""Undoing a merge: an operator says two complaints were not the same after all.

`undo_merge` is pure: given the merged case and the submission to take out, it returns the
case without it (next version) and what to do with the submission (a case of its own, named
after it, opened from the stored submission as any new case is), plus the history entry.
The dedup state must forget the merge too: `CitizenCases.split` on the citizen key the
submission was resolved to (`Resolution.citizen_key`, kept by the resolver's `s:` rows).
"""

from dataclasses import dataclass
from datetime import datetime

from schemas.case import CaseSnapshot, case_id_for
from schemas.dedup import DedupRecord, Unmerged


@dataclass(frozen=True)
class MergeSplit:
    """The result of undoing a merge."""

    remaining: CaseSnapshot
    """The case as it is without the submission (version + 1)."""
    restored_case_id: str
    """The submission's own case, to open from the stored submission."""
    submission_id: str
    record: DedupRecord
    """The history entry (`CaseDeduplicated` data, keyed by the remaining case)."""


@dataclass(frozen=True)
class UndoRefused:
    """Nothing to undo, and why (shown to the operator)."""

    reason: str


def undo_merge(
    case: CaseSnapshot,
    submission_id: str,
    *,
    operator_id: str,
    reason: str = "",
    now: datetime,
) -> MergeSplit | UndoRefused:
    """Take `submission_id` out of `case`, where a merge put it."""
    if case.tracking_ids and case.tracking_ids[0] == submission_id:
        return UndoRefused(f"{submission_id} opened {case.case_id}; only merges can be undone")
    merge = next((m for m in case.merges if m.submission_id == submission_id), None)
    if merge is None:
        return UndoRefused(f"{submission_id} was not merged into {case.case_id}")
    tracking_ids = tuple(t for t in case.tracking_ids if t != submission_id)
    merges = tuple(m for m in case.merges if m.submission_id != submission_id)
    if len(case.channels) == len(case.tracking_ids) and submission_id in case.tracking_ids:
        # channels listed one per submission: drop the one at the same position
        index = case.tracking_ids.index(submission_id)
        channels = case.channels[:index] + case.channels[index + 1 :]
    else:
        still_used = {case.channels[0], *(m.channel for m in merges)}
        channels = tuple(c for c in case.channels if c != merge.channel or c in still_used)
    remaining = case.model_copy(
        update={
            "version": case.version + 1,
            "tracking_ids": tracking_ids,
            "channels": channels or case.channels[:1],
            "merges": merges,
            "updated_at": now,
        }
    )
    restored = case_id_for(submission_id)
    record = DedupRecord(
        case_id=case.case_id,
        decided_at=now,
        decision=Unmerged(
            submission_id=submission_id,
            restored_case_id=restored,
            operator_id=operator_id,
            reason=reason,
        ),
    )
    return MergeSplit(
        CaseSnapshot.model_validate(remaining.model_dump()), restored, submission_id, record
    )
