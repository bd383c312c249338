"""Mail hygiene: which mail is not a complaint, and which is a reply to Sportello's own.

Pure functions over a `ParsedMail` and the SMTP envelope. Auto-replies (RFC 3834),
vacation responders, bulk and list mail, bounces and delivery reports are recognised so that
they are recorded and never answered (an answer to an auto-reply is how mail loops start). A
reply to an acknowledgement (or to the notification of an answer) is recognised by the tracking
number in its subject or by an `In-Reply-To`/`References` pointing at that message's Message-ID.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from ingestors.smtp.mime import ParsedMail

TRACKING_ID = re.compile(r"\bSP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
# Sportello's own messages: acknowledgements, and notifications of an answer (`sinks.notify`).
ACK_MESSAGE_ID = re.compile(
    r"<sportello-(?:ack|notice)\.(SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\.[^<>@\s]*@"
)

# Only phrases responders put first in a subject, never words a citizen's subject could
# start with ("Assente ...", "Mancata consegna ..." are complaints).
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply\b|auto(?:matic)?[ -]?response\b|autoreply\b|auto:|"
    r"out of (?:the )?office\b|risposta automatica\b|r[ée]ponse automatique\b|"
    r"respuesta autom[aá]tica\b|abwesenheitsnotiz\b|automatische antwort\b)",
    re.IGNORECASE,
)
_DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliver(?:ed|able)|returned mail|delivery (?:status notification|failure|"
    r"has failed|notification)|mail delivery (?:failed|failure|system)|failure notice|"
    r"warning: could not send|mail system error|non recapitabile|mancata consegna)",
    re.IGNORECASE,
)
_REPORT_TYPES = frozenset({"multipart/report", "message/delivery-status"})


class NotComplaint(StrEnum):
    """Why a message is recorded and set aside rather than turned into a complaint."""

    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    BOUNCE = "bounce"
    DELIVERY_REPORT = "delivery_report"


@dataclass(frozen=True)
class Hygiene:
    """The verdict on one message: set aside (with why), and whether it may be answered."""

    not_complaint: NotComplaint | None
    detail: str
    may_answer: bool


def classify(mail: ParsedMail, mail_from: str) -> Hygiene:
    """Decide whether `mail`, sent with envelope sender `mail_from`, is a complaint at all."""
    if mail.content_type in _REPORT_TYPES or _has_report_part(mail):
        return Hygiene(NotComplaint.DELIVERY_REPORT, f"content type {mail.content_type}", False)
    auto = (mail.header("auto-submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return Hygiene(NotComplaint.AUTO_REPLY, f"Auto-Submitted: {auto[:60]}", False)
    if not mail_from.strip() or mail_from.strip() == "<>":
        bounce = _looks_like_bounce(mail) or _BOUNCE_SUBJECT.search(mail.subject or "")
        kind = NotComplaint.BOUNCE if bounce else NotComplaint.AUTO_REPLY
        return Hygiene(kind, "null envelope sender", False)
    if _looks_like_bounce(mail):
        return Hygiene(NotComplaint.BOUNCE, f"bounce from {mail.sender[1]}", False)
    precedence = (mail.header("precedence") or "").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return Hygiene(NotComplaint.BULK, f"Precedence: {precedence}", False)
    for name in ("x-autoreply", "x-autorespond", "x-auto-reply", "x-vacation"):
        if mail.header(name) is not None:
            return Hygiene(NotComplaint.AUTO_REPLY, f"{name} header", False)
    if _AUTO_SUBJECT.search(mail.subject or ""):
        return Hygiene(NotComplaint.AUTO_REPLY, f"subject {mail.subject!r:.80}", False)
    # A list's mail may be a real complaint forwarded by a list, but must never be answered.
    list_mail = mail.header("list-id") is not None or mail.header("list-unsubscribe") is not None
    return Hygiene(None, "", not list_mail)


def referenced_tracking_id(mail: ParsedMail) -> str | None:
    """The tracking number this mail replies to, or None when it is not a follow-up.

    A reference to an acknowledgement's Message-ID is the stronger sign and wins; the
    subject is what a citizen writing a fresh mail about their case would use.
    """
    for ref in (*mail.in_reply_to, *reversed(mail.references)):
        found = ACK_MESSAGE_ID.match(ref)
        if found:
            return found.group(1)
    found_in_subject = TRACKING_ID.search(mail.subject or "")
    return found_in_subject.group(0) if found_in_subject else None


def _looks_like_bounce(mail: ParsedMail) -> bool:
    # The subject alone is never enough: "Mancata consegna del pacco" is a complaint.
    return bool(_DAEMON.match(mail.sender[1] or ""))


def _has_report_part(mail: ParsedMail) -> bool:
    return any(a.media_type in _REPORT_TYPES for a in mail.attachments)
