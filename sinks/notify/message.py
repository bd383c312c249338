"""The notification of an answer, by mail, in Italian and English. Pure.

It says which complaint (the tracking number the citizen was given), what the body answered,
where to follow the case, and how to say "not solved": reply with "NON RISOLTO" (the reply is
a follow-up, which reopens the case, see `processors.cases.contest`) or open the signed link.

Its Message-ID is deterministic (`<sportello-notice.SP-….<step>@domain>`): a copy
sent twice (a crash between the relay's acceptance and the notifier's record) is recognisably
the same message, and a reply to it is recognised by the SMTP intake as a follow-up.
"""

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from schemas.case import CaseStatus
from sinks.notify.plan import Notice


def notice_message_id(notice: Notice, domain: str) -> str:
    """One per answer (the tracking number and the answer's step are unique together); short,
    so that mailers do not fold the header."""
    return f"<sportello-notice.{notice.tracking_id}.{notice.answer.seq}@{domain}>"


def build_notice(
    notice: Notice,
    *,
    sender: str,
    domain: str,
    now: datetime,
    body_name: str | None,
    status_url: str,
    reopen_url: str | None,
) -> EmailMessage:
    resolved = notice.answer.outcome is CaseStatus.RESOLVED
    t = notice.tracking_id
    message = EmailMessage()
    message["From"] = f"Sportello reclami <{sender}>"
    message["To"] = notice.to
    message["Subject"] = (
        f"Pratica {t} risolta / Case {t} resolved"
        if resolved
        else f"Pratica {t} respinta / Case {t} rejected"
    )
    message["Date"] = format_datetime(now)
    message["Message-ID"] = notice_message_id(notice, domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    by_it = f" da {body_name}" if body_name else ""
    by_en = f" by {body_name}" if body_name else ""
    answer = "\n".join(f"    {line}" for line in notice.answer.text.splitlines() or [""])
    link_it = f"\noppure apra questo link:\n{reopen_url}\n" if reopen_url else "\n"
    link_en = f"\nor open this link:\n{reopen_url}\n" if reopen_url else "\n"
    if resolved:
        it = f"la sua segnalazione {t} è stata risolta{by_it}. Risposta dell'ufficio:"
        en = f"your report {t} has been resolved{by_en}. The office's answer:"
        ask_it = "Se il problema non è risolto, risponda a questo messaggio scrivendo NON RISOLTO"
        ask_en = "If the problem is not solved, reply to this message with NOT SOLVED"
    else:
        it = f"la sua segnalazione {t} è stata respinta{by_it}. Motivo:"
        en = f"your report {t} has been rejected{by_en}. The reason:"
        ask_it = "Se va riesaminata, risponda a questo messaggio scrivendo NON RISOLTO"
        ask_en = "If it should be looked at again, reply to this message with NOT SOLVED"
    message.set_content(
        f"Gentile cittadina, gentile cittadino,\n\n{it}\n\n{answer}\n\n"
        f"Stato della pratica: {status_url}\n\n{ask_it}{link_it}\n"
        f"Dear citizen,\n\n{en}\n\n{answer}\n\n"
        f"Status of your case: {status_url}\n\n{ask_en}{link_en}\n"
        "-- \nSportello reclami (messaggio automatico / automatic message)\n"
    )
    return message
