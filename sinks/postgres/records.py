"""From Kafka messages to the rows of the record. Pure: no I/O, no clock.

`read_message` turns one message of a history topic into the event it carries, or into a
dead letter named after where the message is (so the same bad message read twice is one
dead letter, and it has the id the worker gives it when the worker dead-letters it too).
`rows_for` turns a batch into rows for each table of the store, in the staging tables'
column order, each row carrying its place in the batch (`ord`) so that "the first copy wins"
means the same thing live and on replay: the order of a partition.
"""

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas.case import CaseSnapshot
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupRecord, Linked
from schemas.events import (
    DeadLettered,
    Event,
    FollowUpReceived,
    MetricsReported,
    SubmissionReceived,
    decode_event,
)
from schemas.followup import FollowUp
from schemas.notification import CitizenNotification
from schemas.routing import Assignment, Triage
from schemas.sla import SlaAlert
from schemas.status import StatusUpdate
from schemas.submission import Submission
from sinks.postgres.privacy import email_key, phone_key, redact, subjects_of, tax_code_key

SOURCE = "/sinks/postgres"


def history_pattern(prefix: str = "") -> str:
    """The topics that carry history (`complaints.metrics` is derived, so it is not read).
    `prefix` names a copy of the topics under another name (tests, benchmarks)."""
    return (
        f"^{re.escape(prefix)}"
        r"complaints\.(intake|cases|routed\.[a-z0-9_]+|triage|sla|status|notifications|deadletter)$"
    )


HISTORY_TOPICS = re.compile(history_pattern())


@dataclass(frozen=True)
class Message:
    """One Kafka message as the sink saw it (`timestamp_ms` is the broker's record time)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    value: bytes | None

    @property
    def location(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


@dataclass(frozen=True)
class Recorded:
    message: Message
    event: Event[Any]


@dataclass(frozen=True)
class Rejected:
    message: Message
    letter: DeadLettered


Read = Recorded | Rejected


def dead_letter_id(location: str) -> str:
    """The id `processors.reading` gives the dead letter of the message at `location`."""
    return hashlib.sha256(f"deadletter\x00{location}".encode()).hexdigest()[:32]


def rejected(message: Message, reason: str, detail: str) -> Rejected:
    letter = DeadLetter(
        stage="sinks.postgres",
        source_ref=message.location,
        reason=reason,
        # PostgreSQL's text cannot hold NUL, and a bad message may be full of them.
        detail=detail.replace("\x00", "\\x00")[:10_000],
        received_at=message.time,
        raw_location=f"kafka:{message.location}",
    )
    return Rejected(
        message,
        DeadLettered.new(
            letter,
            source=SOURCE,
            subject=message.location,
            time=message.time,
            event_id=dead_letter_id(message.location),
        ),
    )


# PostgreSQL stores no NUL in text or jsonb ("\u0000 cannot be converted to text"), and one
# such event would stop the sink for ever: an escaped NUL becomes U+FFFD before anything is
# decoded. (A raw 0x00 byte is not valid JSON; such a message is rejected as unreadable.)
_JSON_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def storable(value: bytes) -> bytes:
    """JSON bytes PostgreSQL can hold: every escaped NUL replaced by U+FFFD."""
    return _JSON_NUL.sub(rb"\1\\ufffd", value) if b"\\u0000" in value else value


def read_message(message: Message) -> Read:
    if not message.value:
        return rejected(message, "empty_message", "the message has no value")
    value = storable(message.value)
    if value is not message.value:
        message = replace(message, value=value)
    try:
        event = decode_event(value)
    except ValidationError as exc:
        return rejected(message, "invalid_event", str(exc))
    if isinstance(event, MetricsReported):
        return rejected(message, "unexpected_event_type", f"{event.type} is not history")
    return Recorded(message, event)


@dataclass
class Rows:
    """Rows for the staging tables (see `store.STAGING`), one list per table."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    versions: list[tuple[Any, ...]] = field(default_factory=list)
    submissions: list[tuple[Any, ...]] = field(default_factory=list)
    attachments: list[tuple[Any, ...]] = field(default_factory=list)
    dead_letters: list[tuple[Any, ...]] = field(default_factory=list)
    newly_erased: dict[str, str] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    rejected: list[str] = field(default_factory=list)
    """The reasons of the messages the sink itself could not read, for its metrics."""

    def count(self) -> int:
        return (
            len(self.events)
            + len(self.versions)
            + len(self.submissions)
            + len(self.attachments)
            + len(self.dead_letters)
        )


def _ids(event: Event[Any]) -> tuple[str | None, str | None]:
    """(case id, tracking id) of an event: what ties it to a case's history."""
    d = event.data
    match d:
        case Submission():
            return None, d.submission_id
        case FollowUp():
            # On the intake it is keyed by the tracking id; the case agent forwards it keyed
            # by the case, with the same id, and that copy completes the row.
            return (event.subject if event.subject.startswith("CASE-") else None), d.tracking_id
        case Assignment() | Triage():
            return d.case_id, d.tracking_id
        case DedupRecord():
            decision = d.decision
            return d.case_id, None if isinstance(decision, Linked) else decision.submission_id
        case CaseSnapshot() | StatusUpdate() | SlaAlert():
            return d.case_id, None
        case CitizenNotification():
            return d.case_id, d.tracking_id
    return None, None


def erased_closure(items: Iterable[Read], erased: frozenset[str]) -> dict[str, str]:
    """Cases that become erased in this batch, each with the erased submission it follows
    from: a case whose snapshot lists an erased submission is the erased citizen's case, and
    so are the events that name only the case."""
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, Recorded) and isinstance(item.event.data, CaseSnapshot):
            s = item.event.data
            hits = sorted(erased.intersection(s.tracking_ids))
            if s.case_id not in erased and hits:
                found.setdefault(s.case_id, hits[0])
    return found


def _submission_row(ord_: int, event_id: str, s: Submission) -> tuple[Any, ...]:
    c = s.citizen
    return (
        ord_,
        s.submission_id,
        event_id,
        s.channel.value,
        s.received_at,
        s.legal_receipt_at,
        s.language,
        s.category_hint,
        s.operator_id,
        s.location.district if s.location else None,
        len(s.attachments),
        email_key(c.email) if c and c.email else None,
        phone_key(c.phone) if c and c.phone else None,
        tax_code_key(c.tax_code) if c and c.tax_code else None,
    )


def rows_for(items: Sequence[Read], erased: frozenset[str]) -> Rows:
    """The rows a batch writes. Events about an erased case or submission (or one this batch
    reveals, see `erased_closure`) are redacted before they become rows.

    Copies of one event in the batch are one row with every topic they were seen on; copies
    that differ are left for the store to choose from, by the same rule across batches.
    """
    rows = Rows()
    rows.newly_erased = erased_closure(items, erased)
    gone = erased | rows.newly_erased.keys()
    for ord_, item in enumerate(items):
        topic = item.message.topic
        if isinstance(item, Rejected):
            rows.rejected.append(item.letter.data.reason)
            _dead_letter(rows, ord_, topic, item.letter, item.letter.to_json().decode())
            continue
        event = item.event
        subjects = subjects_of(event)
        rows.subjects |= subjects
        if gone and not gone.isdisjoint(subjects):
            event = redact(event)
            raw = event.to_json().decode()
        else:
            raw = item.message.value.decode() if item.message.value else event.to_json().decode()
        if isinstance(event, DeadLettered):
            _dead_letter(rows, ord_, topic, event, raw)
            continue
        case_id, tracking_id = _ids(event)
        rows.events.append(
            (
                ord_,
                event.id,
                case_id,
                tracking_id,
                event.type,
                event.time,
                event.source,
                event.subject,
                topic,
                raw,
            )
        )
        data = event.data
        if isinstance(data, CaseSnapshot):
            rows.versions.append(
                (
                    ord_,
                    data.case_id,
                    data.version,
                    event.id,
                    data.status.value,
                    data.body,
                    data.category,
                    data.channels[0].value,
                    data.opened_at,
                    data.legal_receipt_at,
                    data.updated_at,
                    data.deadline_at,
                    list(data.tracking_ids),
                )
            )
        elif isinstance(event, SubmissionReceived):
            rows.submissions.append(_submission_row(ord_, event.id, event.data))
        if isinstance(event, SubmissionReceived | FollowUpReceived):
            owner = tracking_id
            blobs = [("attachment", b) for b in event.data.attachments]
            if event.data.raw is not None:
                blobs.append(("raw", event.data.raw))
            for kind, b in blobs:
                rows.attachments.append(
                    (ord_, owner, b.sha256, event.id, kind, b.media_type, b.size, b.filename)
                )
    rows.events = _one_per_copy(rows.events)
    rows.dead_letters = _one_per_copy(rows.dead_letters)
    return rows


def rows_of_messages(messages: Sequence[Message]) -> Rows:
    """`rows_for` of freshly read messages, nothing erased: what the sink computes ahead,
    in another thread or process, while the previous batch is written."""
    return rows_for([read_message(m) for m in messages], frozenset())


def _one_per_copy(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose second column is an event id, whose second-to-last is the topic and whose
    last is the JSON: one row per distinct (id, JSON), the topic column becoming the sorted
    list of every topic the id was seen on in the batch."""
    seen: dict[str, list[str]] = {}
    for r in rows:
        seen.setdefault(r[1], []).append(r[-2])
    kept: list[tuple[Any, ...]] = []
    copies: set[tuple[str, str]] = set()
    for r in rows:
        found = seen[r[1]]
        if len(found) == 1:  # the usual case: seen once, nothing to merge
            kept.append((*r[:-2], [found[0]] if found[0] else [], r[-1]))
            continue
        if (r[1], r[-1]) in copies:
            continue
        copies.add((r[1], r[-1]))
        kept.append((*r[:-2], sorted({t for t in found if t}), r[-1]))
    return kept


def _dead_letter(rows: Rows, ord_: int, topic: str, event: DeadLettered, raw: str) -> None:
    d = event.data
    rows.dead_letters.append(
        (
            ord_,
            event.id,
            d.stage,
            d.source_ref,
            d.reason,
            d.detail,
            d.received_at,
            d.raw.sha256 if d.raw else None,
            d.raw_location,
            topic,
            raw,
        )
    )
