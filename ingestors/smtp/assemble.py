"""Turning a `Reading` into the event to publish: blobs stored, fax pages read by OCR.

This is the CPU- and disk-heavy half of handling a mail, run in a worker process (or
thread) so that a large or slow message never stalls the event loop that serves the other
SMTP sessions. `prepare_mail` is the worker's entry point; it returns a `Prepared`, which
the SMTP handler publishes and answers on.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingestors.smtp.ack import AckRequest
from ingestors.smtp.fax import Gateway, pages_to_read
from ingestors.smtp.fax_ocr import OcrConfig, read_pages
from ingestors.smtp.intake import MAX_TEXT, Envelope, Fate, Reading, interpret
from ingestors.smtp.mime import Attachment
from runtime.blobstore import BlobStore
from schemas import topics
from schemas.blob import BlobRef
from schemas.deadletter import DeadLetter
from schemas.events import DeadLettered, Event, FollowUpReceived, SubmissionReceived
from schemas.followup import FollowUp
from schemas.submission import Citizen, Submission, tracking_id_for

SOURCE = "/ingestors/smtp"
STAGE = "ingestors.smtp"


@dataclass(frozen=True)
class Prepared:
    """What the handler must do with one mail: publish `payload` (an event's JSON, if any)
    on `topic` keyed by `key`, then answer 250, then send `ack` (if any).

    The event travels back from the worker as its JSON bytes, ready for the broker, which
    is cheaper to hand between processes than the model."""

    fate: Fate
    ref: str
    reason: str
    detail: str
    topic: str | None = None
    key: str | None = None
    payload: bytes | None = None
    tracking_id: str | None = None
    ack: AckRequest | None = None


@dataclass(frozen=True)
class AssemblyConfig:
    """Everything a worker needs, picklable so it can be handed to a worker process."""

    blob_root: Path
    gateways: tuple[Gateway, ...]
    ocr: OcrConfig


class Assembler:
    """Reads, stores and builds; one per worker."""

    def __init__(self, config: AssemblyConfig) -> None:
        self._blobs = BlobStore(config.blob_root)
        self._gateways: Sequence[Gateway] = config.gateways
        self._ocr = config.ocr

    def prepare(self, raw: bytes, envelope: Envelope, received_at: datetime) -> Prepared:
        """Never raises on the mail's content; an `OSError` from the blob store does
        propagate (nothing can be promised without the raw message kept)."""
        reading = interpret(raw, envelope, received_at=received_at, gateways=self._gateways)
        if reading.fate is Fate.NOT_COMPLAINT:
            return Prepared(reading.fate, reading.ref, reading.reason, reading.detail)
        raw_ref = self._blobs.put(raw, "message/rfc822", None)
        if reading.fate is Fate.DEAD_LETTER:
            return self._dead_letter(reading, raw_ref, received_at)
        attachments = tuple(self._store(a) for a in reading.attachments)
        try:
            if reading.fate is Fate.FOLLOW_UP:
                return self._follow_up(reading, raw_ref, attachments, received_at)
            return self._submission(reading, raw_ref, attachments, received_at)
        except ValidationError as exc:
            # A reading our own schema refuses is a bug to fix, not a reason to make the
            # sender retry forever: the raw mail goes to an operator.
            invalid = replace(
                reading, fate=Fate.DEAD_LETTER, reason="invalid_submission", detail=str(exc)
            )
            return self._dead_letter(invalid, raw_ref, received_at)

    def _store(self, attachment: Attachment) -> BlobRef:
        media_type = attachment.media_type[:255] or "application/octet-stream"
        return self._blobs.put(attachment.content, media_type, attachment.filename)

    def _submission(
        self,
        reading: Reading,
        raw_ref: BlobRef,
        attachments: tuple[BlobRef, ...],
        received_at: datetime,
    ) -> Prepared:
        submission_id = tracking_id_for(reading.channel, reading.ref)
        details = dict(reading.details)
        text = reading.text
        legal_receipt_at = received_at
        citizen = _citizen(reading.sender_name, reading.sender_email, None)
        if reading.fax is not None:
            fax = reading.fax
            ocr = read_pages(pages_to_read(fax.page_files), self._ocr)
            if ocr.confidence is not None:
                details["ocr_confidence"] = ocr.confidence
            details["ocr_pages"] = ocr.pages
            details.setdefault("pages", ocr.pages or len(fax.page_files))
            if ocr.errors:
                details["ocr_errors"] = "; ".join(ocr.errors)[:1000]
            text = ocr.text or (
                f"Fax from {fax.number or 'an unknown number'}, "
                f"{details['pages']} page(s): no text could be read; see the attached pages."
            )
            legal_receipt_at = fax.received_at or received_at
            citizen = _citizen(fax.caller_name, None, fax.number)
        submission = Submission(
            submission_id=submission_id,
            channel=reading.channel,
            idempotency_ref=reading.ref,
            received_at=received_at,
            legal_receipt_at=legal_receipt_at,
            text=text[:MAX_TEXT],
            subject=reading.subject,
            citizen=citizen,
            attachments=attachments,
            raw=raw_ref,
            channel_details=details,
        )
        event = SubmissionReceived.new(submission, **_envelope(reading, submission_id, received_at))
        return _publish(reading, topics.INTAKE, event, tracking_id=submission_id)

    def _follow_up(
        self,
        reading: Reading,
        raw_ref: BlobRef,
        attachments: tuple[BlobRef, ...],
        received_at: datetime,
    ) -> Prepared:
        assert reading.follow_up_of is not None
        follow_up = FollowUp(
            tracking_id=reading.follow_up_of,
            channel=reading.channel,
            received_at=received_at,
            text=reading.text[:MAX_TEXT],
            attachments=attachments,
            raw=raw_ref,
            idempotency_ref=reading.ref,
            subject=reading.subject,
            citizen=_citizen(reading.sender_name, reading.sender_email, None),
        )
        event = FollowUpReceived.new(
            follow_up, **_envelope(reading, reading.follow_up_of, received_at)
        )
        return _publish(reading, topics.INTAKE, event, tracking_id=reading.follow_up_of)

    def _dead_letter(self, reading: Reading, raw_ref: BlobRef, received_at: datetime) -> Prepared:
        source_ref = f"smtp:{reading.ref}"[:1000]
        letter = DeadLetter(
            stage=STAGE,
            source_ref=source_ref,
            reason=reading.reason,
            detail=(reading.detail or reading.reason)[:10_000],
            received_at=received_at,
            raw=raw_ref,
        )
        event = DeadLettered.new(letter, **_envelope(reading, source_ref, received_at))
        return _publish(reading, topics.DEADLETTER, event)


def _envelope(reading: Reading, subject: str, received_at: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "subject": subject,
        "time": received_at,
        "event_id": _event_id(reading.ref),
    }


def _publish(
    reading: Reading, topic: str, event: Event[Any], *, tracking_id: str | None = None
) -> Prepared:
    """Publish `event` keyed by its subject; a mail that opened or joined a case is
    acknowledged to its sender with the case's tracking number."""
    return Prepared(
        reading.fate,
        reading.ref,
        reading.reason if tracking_id is None else "",
        reading.detail if tracking_id is None else "",
        topic,
        event.subject,
        event.to_json(),
        tracking_id,
        _ack(reading, tracking_id) if tracking_id is not None else None,
    )


def _ack(reading: Reading, tracking_id: str) -> AckRequest | None:
    if reading.answer_to is None:
        return None
    message_id = reading.details.get("message_id")
    return AckRequest(
        to=reading.answer_to,
        tracking_id=tracking_id,
        ref=reading.ref,
        follow_up=reading.fate is Fate.FOLLOW_UP,
        in_reply_to=message_id if isinstance(message_id, str) else None,
        subject=reading.subject,
    )


def _citizen(name: str | None, email: str | None, phone: str | None) -> Citizen | None:
    if not (name or email or phone):
        return None
    return Citizen(name=name[:200] if name else None, email=email, phone=phone)


def _event_id(ref: str) -> str:
    # The same mail delivered again is the same fact: it keeps its event id.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sportello:smtp:{ref}").hex


_ASSEMBLER: Assembler | None = None


def init_worker(config: AssemblyConfig) -> None:
    """Executor initializer: one `Assembler` per worker process or thread."""
    global _ASSEMBLER
    _ASSEMBLER = Assembler(config)


def prepare_mail(raw: bytes, envelope: Envelope, received_at: datetime) -> Prepared:
    """Executor entry point (a top-level function, so a process pool can call it)."""
    assert _ASSEMBLER is not None, "init_worker was not run in this worker"
    return _ASSEMBLER.prepare(raw, envelope, received_at)
