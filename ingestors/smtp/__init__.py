"""Email and fax-to-mail intake over SMTP.

Citizens' mail and fax gateways' mail arrive at an aiosmtpd server (`server.SmtpIntake`,
run by `python -m ingestors.smtp`); each message is read by the pure MIME reader
(`mime.parse_message`), given its fate in one place (`intake.interpret`: complaint,
follow-up, not a complaint, dead letter), stored and published, and only then answered
with 250. A citizen with a mail address gets an acknowledgement with the tracking number.
"""

from ingestors.smtp.intake import Envelope, Fate, Reading, idempotency_ref, interpret
from ingestors.smtp.mime import Attachment, ParsedMail, parse_message
from ingestors.smtp.server import SmtpIntake, serve
from ingestors.smtp.settings import SmtpSettings

__all__ = [
    "Attachment",
    "Envelope",
    "Fate",
    "ParsedMail",
    "Reading",
    "SmtpIntake",
    "SmtpSettings",
    "idempotency_ref",
    "interpret",
    "parse_message",
    "serve",
]
