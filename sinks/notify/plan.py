"""Which case snapshot calls for which notice. Pure.

A citizen is told of an answer once: when the case's snapshot shows it resolved or rejected
with an answer (`CaseSnapshot.answer`), and the citizen gave an email address. The notice is
named after the answer (`<case id>/answer/<seq>`), so every later snapshot of the same answer
(a merge, a link, a republished snapshot) is the same notice, and a new answer after a reopen
is a new one. An answer older than `max_age` is not notified: a replay of the topic, or a new
notifier group reading it from the start, must not mail citizens about old cases.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.case import CaseAnswer, CaseSnapshot, CaseStatus

_ANSWERED = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED})


@dataclass(frozen=True)
class Notice:
    """One message to one citizen about one answer."""

    notification_id: str
    case_id: str
    tracking_id: str
    to: str
    answer: CaseAnswer
    language: str | None = None


def notification_id(case_id: str, seq: int) -> str:
    return f"{case_id}/answer/{seq}"


def notice_for(snapshot: CaseSnapshot, *, now: datetime, max_age: timedelta) -> Notice | None:
    """The notice `snapshot` calls for, or None (nothing to tell, nobody to tell, too old)."""
    answer = snapshot.answer
    if snapshot.status not in _ANSWERED or answer is None or answer.outcome != snapshot.status:
        return None
    email = snapshot.citizen.email if snapshot.citizen else None
    if not email:
        return None
    if now - answer.answered_at > max_age:
        return None
    return Notice(
        notification_id=notification_id(snapshot.case_id, answer.seq),
        case_id=snapshot.case_id,
        tracking_id=snapshot.tracking_ids[0],
        to=email,
        answer=answer,
        language=snapshot.language,
    )
