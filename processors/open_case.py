"""The first stage over `complaints.intake`: read a submission, open its case.

Pure: bytes in, events out. The Faust agent in `processors.app` only moves them. Later
stages (dedup, classify, route) slot in between reading and opening.
"""

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256

from pydantic import ValidationError

from schemas.case import CaseSnapshot, CaseStatus, case_id_for
from schemas.deadletter import DeadLetter
from schemas.events import CaseUpdated, DeadLettered, SubmissionReceived, decode_event

SOURCE = "/processors/open_case"


@dataclass(frozen=True)
class Unreadable:
    """An intake message that is not a submission; it goes to the dead-letter topic."""

    dead_letter: DeadLettered


def read_intake(
    value: bytes | None, *, location: str, now: datetime
) -> SubmissionReceived | Unreadable:
    """Decode one `complaints.intake` message; `location` is topic/partition@offset."""

    def unreadable(reason: str, detail: str) -> Unreadable:
        letter = DeadLetter(
            stage="processors.open_case",
            source_ref=location,
            reason=reason,
            detail=detail[:10_000],
            received_at=now,
            raw_location=f"kafka:{location}",
        )
        # The id is derived from the location, so a reprocessed message is one dead letter.
        event_id = sha256(f"deadletter\x00{location}".encode()).hexdigest()[:32]
        return Unreadable(
            DeadLettered.new(letter, source=SOURCE, subject=location, time=now, event_id=event_id)
        )

    if not value:
        return unreadable("empty_message", "the message has no value")
    try:
        event = decode_event(value)
    except ValidationError as exc:
        return unreadable("invalid_event", str(exc))
    if not isinstance(event, SubmissionReceived):
        return unreadable("unexpected_event_type", f"{event.type} does not belong on intake")
    return event


def open_case(received: SubmissionReceived, *, now: datetime) -> CaseUpdated:
    """The first snapshot of the case a submission opens.

    Its id and event id are derived from the submission, so processing the same submission
    again yields the very same event, which every consumer can recognise.
    """
    s = received.data
    case_id = case_id_for(s.submission_id)
    snapshot = CaseSnapshot(
        case_id=case_id,
        version=1,
        status=CaseStatus.RECEIVED,
        tracking_ids=(s.submission_id,),
        channels=(s.channel,),
        opened_at=s.received_at,
        legal_receipt_at=s.legal_receipt_at,
        updated_at=s.received_at,
        text=s.text,
        subject=s.subject,
        language=s.language,
        citizen=s.citizen,
        location=s.location,
        category=None,
        body=None,
    )
    return CaseUpdated.new(
        snapshot, source=SOURCE, subject=case_id, time=now, event_id=f"{case_id}@1"
    )
