"""Citizen notifications: what `complaints.notifications` carries.

When a case is resolved or rejected, the citizen who gave an email address is told, with the
city's answer and how to say "not solved". Each such message is recorded as one event, so a
case's history shows what the citizen was told and when. No personal data: not the address,
not the text (the answer is in the case's snapshot).
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.case import CaseId, CaseStatus
from schemas.submission import TrackingId


class CitizenNotification(StrictModel):
    """The citizen was told (or could not be told) of the answer `answer_seq` of a case.

    `notification_id` is `<case id>/answer/<seq>` and is also the event id: one answer, one
    notification, however often the notifier sees the case's snapshot again.
    """

    notification_id: Annotated[str, Field(max_length=200)]
    case_id: CaseId
    tracking_id: Annotated[TrackingId, Field(description="the number the citizen was given")]
    answer_seq: Annotated[int, Field(ge=1)]
    outcome: Annotated[CaseStatus, Field(description="resolved or rejected")]
    channel: Literal["email"] = "email"
    delivered: Annotated[
        bool, Field(description="false: the relay refused the address for good; not retried")
    ]
    message_id: Annotated[str | None, Field(max_length=1000)] = None
    detail: Annotated[str | None, Field(max_length=2000)] = None
    reopen_link: Annotated[bool, Field(description="the message offered a 'not solved' link")] = (
        False
    )
    sent_at: AwareDatetime
