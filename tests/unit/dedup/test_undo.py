"""Undoing a merge: the case loses the submission, which becomes its own case again."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from processors.dedup import Deduplicator, Merge, NewCase, Redelivery, undo_merge
from processors.dedup.undo import MergeSplit, UndoRefused
from schemas.case import CaseSnapshot, CaseStatus, case_id_for
from schemas.dedup import Unmerged
from schemas.events import CaseDeduplicated, decode_event
from schemas.evidence import MergeRecord
from schemas.submission import Channel, Submission

MakeSubmission = Callable[..., Submission]
NOW = datetime(2024, 3, 20, 10, 0, tzinfo=UTC)

WEB = "Buca profonda sul marciapiede di via Garibaldi 14, mia madre è caduta martedì."
FAX = "Sollecito: la buca di via Garibaldi 14 è ancora lì, mia madre ci è caduta."


def _merged_case(
    submission: MakeSubmission,
) -> tuple[Deduplicator, CaseSnapshot, Submission, Merge]:
    dedup = Deduplicator()
    web = submission("w-1", Channel.WEB, WEB, email="maria.rossi@example.it", phone="0512345678")
    fax = submission("f-1", Channel.FAX, FAX, days=3, details={"fax_number": "051 2345678"})
    opened = dedup.decide(web)
    merge = dedup.decide(fax)
    assert isinstance(opened, NewCase)
    assert isinstance(merge, Merge)
    case = CaseSnapshot(
        case_id=opened.case_id,
        version=3,
        status=CaseStatus.ASSIGNED,
        tracking_ids=(web.submission_id, fax.submission_id),
        channels=(Channel.WEB, Channel.FAX),
        opened_at=web.received_at,
        legal_receipt_at=web.legal_receipt_at,
        updated_at=fax.received_at,
        text=web.text,
        citizen=web.citizen,
        body="strade",
        merges=(
            MergeRecord(
                submission_id=fax.submission_id,
                channel=Channel.FAX,
                merged_at=fax.received_at,
                evidence=merge.evidence,
            ),
        ),
    )
    return dedup, case, fax, merge


def test_undo_splits_the_case(submission: MakeSubmission) -> None:
    _, case, fax, _ = _merged_case(submission)
    split = undo_merge(
        case, fax.submission_id, operator_id="op-17", reason="two different holes", now=NOW
    )
    assert isinstance(split, MergeSplit)
    assert split.remaining.tracking_ids == case.tracking_ids[:1]
    assert split.remaining.channels == (Channel.WEB,)
    assert split.remaining.merges == ()
    assert split.remaining.version == case.version + 1
    assert split.remaining.updated_at == NOW
    assert split.restored_case_id == case_id_for(fax.submission_id)
    assert split.record.decision == Unmerged(
        submission_id=fax.submission_id,
        restored_case_id=split.restored_case_id,
        operator_id="op-17",
        reason="two different holes",
    )
    event = CaseDeduplicated.new(
        split.record, source="/processors/dedup", subject=case.case_id, time=NOW
    )
    assert decode_event(event.to_json()) == event


def test_undo_refuses_the_founding_submission_and_strangers(submission: MakeSubmission) -> None:
    _, case, _, _ = _merged_case(submission)
    founding = undo_merge(case, case.tracking_ids[0], operator_id="op", now=NOW)
    stranger = undo_merge(case, "SP-0000-0000-0000", operator_id="op", now=NOW)
    assert isinstance(founding, UndoRefused)
    assert "opened" in founding.reason
    assert isinstance(stranger, UndoRefused)


def test_undo_in_dedup_state_restores_the_case_and_its_redeliveries(
    submission: MakeSubmission,
) -> None:
    dedup, _, fax, merge = _merged_case(submission)
    restored = dedup.undo(merge.case_id, fax.submission_id)
    assert restored == case_id_for(fax.submission_id)
    assert dedup.undo(merge.case_id, fax.submission_id) is None  # already undone
    # the fax delivered again now belongs to its own case
    assert dedup.decide(fax) == Redelivery(restored, fax.submission_id)
    # and a third message of the citizen may still merge into either case
    third = submission("f-2", Channel.FAX, FAX, days=4, details={"fax_number": "0512345678"})
    assert isinstance(dedup.decide(third), Merge)


def test_undo_keeps_a_channel_still_used_by_another_merge(submission: MakeSubmission) -> None:
    _, case, fax, merge = _merged_case(submission)
    second_fax = "SP-2222-2222-2222"
    case = case.model_copy(
        update={
            "tracking_ids": (*case.tracking_ids, second_fax),
            "channels": (Channel.WEB, Channel.FAX),  # a set of channels, not one per id
            "merges": (
                *case.merges,
                MergeRecord(
                    submission_id=second_fax,
                    channel=Channel.FAX,
                    merged_at=NOW - timedelta(days=1),
                    evidence=merge.evidence,
                ),
            ),
        }
    )
    split = undo_merge(case, fax.submission_id, operator_id="op", now=NOW)
    assert isinstance(split, MergeSplit)
    assert split.remaining.channels == (Channel.WEB, Channel.FAX)
    assert split.remaining.tracking_ids == (case.tracking_ids[0], second_fax)
