"""The one place that decides what a received mail becomes. Pure: bytes and facts in, a
`Reading` out; no blob store, no OCR, no broker.

    complaint       a new `Submission` (email, or fax from a configured gateway)
    follow-up       more about an existing case (a reply to an acknowledgement)
    not a complaint auto-replies, bulk mail, bounces, delivery reports, a fax gateway's
                    copy for its administrator: recorded, never answered
    dead letter     nothing readable (empty, unreadable, a fax without its pages, or a
                    failure of this very code): kept raw for an operator

`interpret` never raises; the adapter stores the attachments and the raw message, runs OCR
for faxes, and publishes what the reading says.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ingestors.smtp.fax import FaxReading, Gateway, read_fax
from ingestors.smtp.hygiene import classify, referenced_tracking_id
from ingestors.smtp.mime import Attachment, ParsedMail, parse_message
from schemas.submission import Channel

MAX_TEXT = 100_000
MAX_SUBJECT = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Fate(StrEnum):
    COMPLAINT = "complaint"
    FOLLOW_UP = "follow_up"
    NOT_COMPLAINT = "not_complaint"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class Envelope:
    """What the SMTP dialogue said about a message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str | None = None


@dataclass(frozen=True)
class Reading:
    """What one mail is, and everything needed to publish it once stored."""

    fate: Fate
    ref: str
    channel: Channel
    reason: str = ""
    detail: str = ""
    text: str = ""
    subject: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    answer_to: str | None = None
    follow_up_of: str | None = None
    attachments: tuple[Attachment, ...] = ()
    fax: FaxReading | None = None
    details: dict[str, str | int | float | bool] = field(default_factory=dict)


def idempotency_ref(raw: bytes, mail: ParsedMail | None) -> str:
    """The mail's identity across redeliveries: its Message-ID, or a digest of its bytes.

    Line ends are normalised before hashing, so the same mail relayed with LF or CRLF line
    ends is the same mail.
    """
    message_id = mail.message_id if mail is not None else None
    if message_id:
        ref = f"message-id:{message_id}"
        if len(ref) <= 1000:
            return ref
    normalised = raw.replace(b"\r\n", b"\n")
    return "sha256:" + hashlib.sha256(normalised).hexdigest()


def interpret(
    raw: bytes,
    envelope: Envelope,
    *,
    received_at: datetime,
    gateways: Sequence[Gateway],
) -> Reading:
    """Decide the fate of `raw`. Never raises: a failure here is itself a dead letter."""
    try:
        mail = parse_message(raw)
    except Exception as exc:  # the last line of defence, see module doc
        return Reading(
            Fate.DEAD_LETTER,
            idempotency_ref(raw, None),
            Channel.EMAIL,
            "parse_error",
            f"{type(exc).__name__}: {exc}"[:2000],
        )
    ref = idempotency_ref(raw, mail)
    try:
        return _interpret(mail, ref, envelope, received_at, gateways)
    except Exception as exc:
        return Reading(
            Fate.DEAD_LETTER,
            ref,
            Channel.EMAIL,
            "interpret_error",
            f"{type(exc).__name__}: {exc}"[:2000],
        )


def _interpret(
    mail: ParsedMail,
    ref: str,
    envelope: Envelope,
    received_at: datetime,
    gateways: Sequence[Gateway],
) -> Reading:
    details: dict[str, str | int | float | bool] = {}
    if mail.message_id:
        details["message_id"] = mail.message_id[:500]
    if envelope.rcpt_tos:
        details["recipient"] = ",".join(envelope.rcpt_tos)[:500]
    if mail.repairs:
        details["mime_repairs"] = ",".join(mail.repairs)
    name, address = mail.sender
    sender_email = _valid(address or "")

    fax = read_fax(mail, envelope.mail_from, gateways, received_at)
    if fax is not None:
        return _fax_reading(mail, ref, fax, details)

    hygiene = classify(mail, envelope.mail_from)
    if hygiene.not_complaint is not None:
        return Reading(
            Fate.NOT_COMPLAINT,
            ref,
            Channel.EMAIL,
            hygiene.not_complaint.value,
            hygiene.detail,
            subject=_subject(mail),
            details=details,
        )

    text = mail.text or mail.subject or _attachments_note(mail.attachments)
    if not text:
        return Reading(
            Fate.DEAD_LETTER,
            ref,
            Channel.EMAIL,
            "empty_message",
            "no text, subject or attachment could be read",
            details=details,
        )
    if not mail.attachments and not mail.subject and _unreadable(text):
        return Reading(
            Fate.DEAD_LETTER,
            ref,
            Channel.EMAIL,
            "unreadable",
            "the text is mostly undecodable bytes",
            details=details,
        )
    if mail.html_only:
        details["html_only"] = True
    envelope_sender = envelope.mail_from.strip().strip("<>")
    answer_to = envelope_sender if hygiene.may_answer and _EMAIL.match(envelope_sender) else None
    tracking = referenced_tracking_id(mail)
    return Reading(
        Fate.FOLLOW_UP if tracking else Fate.COMPLAINT,
        ref,
        Channel.EMAIL,
        text=text[:MAX_TEXT],
        subject=_subject(mail),
        sender_name=(name or None) and name[:200],
        sender_email=(sender_email or _valid(envelope_sender)),
        answer_to=answer_to,
        follow_up_of=tracking,
        attachments=mail.attachments,
        details=details,
    )


def _fax_reading(
    mail: ParsedMail, ref: str, fax: FaxReading, details: dict[str, str | int | float | bool]
) -> Reading:
    details["fax_gateway"] = fax.gateway
    if fax.number:
        details["fax_number"] = fax.number
    if fax.caller_id:
        details["fax_caller_id"] = fax.caller_id
    if fax.pages is not None:
        details["pages"] = fax.pages
    if fax.received_at is not None:
        details["fax_received_at"] = fax.received_at.isoformat()
    if fax.admin_copy:
        return Reading(
            Fate.NOT_COMPLAINT,
            ref,
            Channel.FAX,
            "fax_admin_copy",
            f"{fax.gateway} copy for the fax administrator",
            subject=_subject(mail),
            details=details,
            fax=fax,
        )
    if not fax.page_files:
        return Reading(
            Fate.DEAD_LETTER,
            ref,
            Channel.FAX,
            "fax_without_pages",
            f"{fax.gateway} mail without the fax pages (fetch them from the gateway)",
            subject=_subject(mail),
            details=details,
            fax=fax,
        )
    return Reading(
        Fate.COMPLAINT,
        ref,
        Channel.FAX,
        subject=_subject(mail),
        sender_name=fax.caller_name,
        attachments=mail.attachments,
        fax=fax,
        details=details,
    )


def _subject(mail: ParsedMail) -> str | None:
    return mail.subject[:MAX_SUBJECT] if mail.subject else None


def _valid(address: str) -> str | None:
    return address if 0 < len(address) <= 320 and _EMAIL.match(address) else None


def _attachments_note(attachments: Sequence[Attachment]) -> str:
    if not attachments:
        return ""
    names = ", ".join(a.filename or a.media_type for a in attachments[:20])
    return f"(no text; {len(attachments)} attachment(s): {names})"


def _unreadable(text: str) -> bool:
    sample = text[:4000]
    bad = sum(1 for c in sample if c == "\ufffd" or (ord(c) < 32 and c not in "\n\t"))
    return bad > len(sample) * 0.3
