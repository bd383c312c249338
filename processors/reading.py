"""Reading the public topics the worker consumes: bytes in, an event or a dead letter out.

Pure. What is not the event a topic should carry becomes a `DeadLettered` event naming the
topic, partition and offset where the raw message stays, so nothing unreadable is lost.
"""

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any

from pydantic import ValidationError

from schemas.deadletter import DeadLetter
from schemas.events import (
    DeadLettered,
    Event,
    FollowUpReceived,
    StatusReported,
    SubmissionReceived,
    decode_event,
)


@dataclass(frozen=True)
class Unreadable:
    """A message that is not what its topic carries; it goes to the dead-letter topic."""

    dead_letter: DeadLettered


def dead_letter_at(
    location: str, *, stage: str, reason: str, detail: str, now: datetime
) -> DeadLettered:
    """The dead letter of the message at `location` (topic/partition@offset), which stays
    there for an operator to read and resubmit."""
    letter = DeadLetter(
        stage=stage,
        source_ref=location,
        reason=reason,
        detail=detail[:10_000],
        received_at=now,
        raw_location=f"kafka:{location}",
    )
    # Named after the location, so a message given up on twice is one dead letter.
    event_id = sha256(f"deadletter\x00{location}".encode()).hexdigest()[:32]
    source = "/" + stage.replace(".", "/")
    return DeadLettered.new(letter, source=source, subject=location, time=now, event_id=event_id)


def _read(
    value: bytes | None, expected: tuple[type[Event[Any]], ...], *, location: str, now: datetime
) -> Event[Any] | Unreadable:
    def unreadable(reason: str, detail: str) -> Unreadable:
        return Unreadable(
            dead_letter_at(
                location, stage="processors.reading", reason=reason, detail=detail, now=now
            )
        )

    if not value:
        return unreadable("empty_message", "the message has no value")
    try:
        event = decode_event(value)
    except ValidationError as exc:
        return unreadable("invalid_event", str(exc))
    if not isinstance(event, expected):
        return unreadable("unexpected_event_type", f"{event.type} does not belong here")
    return event


def read_intake(
    value: bytes | None, *, location: str, now: datetime
) -> SubmissionReceived | FollowUpReceived | Unreadable:
    """One `complaints.intake` message; `location` is topic/partition@offset."""
    got = _read(value, (SubmissionReceived, FollowUpReceived), location=location, now=now)
    assert isinstance(got, SubmissionReceived | FollowUpReceived | Unreadable)
    return got


def read_status(
    value: bytes | None, *, location: str, now: datetime
) -> StatusReported | Unreadable:
    """One `complaints.status` message."""
    got = _read(value, (StatusReported,), location=location, now=now)
    assert isinstance(got, StatusReported | Unreadable)
    return got
