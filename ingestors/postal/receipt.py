"""When a posted letter legally reached the city: the postmark, or the day it arrived.

Italian administrative practice lets the postmark date count for a letter sent in time
("fa fede il timbro postale"), but a city may decide otherwise; the policy is a setting.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo


class ReceiptPolicy(StrEnum):
    POSTMARK = "postmark"
    """The postmark's day counts, when the manifest gives a plausible one."""
    RECEIVED = "received"
    """The day the mailroom received the letter counts."""


@dataclass(frozen=True)
class Receipt:
    legal_receipt_at: datetime
    basis: str
    """`postmark`, `received_date` or `file_time`: which fact the time comes from."""
    note: str | None = None
    """Why a fact given was not used (e.g. a postmark later than the receipt)."""


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def legal_receipt(
    policy: ReceiptPolicy,
    *,
    postmark: date | None,
    received: date | None,
    file_time: datetime,
    tz: ZoneInfo,
) -> Receipt:
    """The legal receipt time of a letter.

    `file_time` is when the mailroom's OCR output reached the inbox: the latest the letter
    can have been received. A postmark later than the receipt day is a typing error and
    is not used; a received day later than `file_time` is not used either.
    """
    file_day = file_time.astimezone(tz).date()
    note = None
    received_day = received
    if received_day is not None and received_day > file_day:
        note = f"received date {received_day} is after the file arrived ({file_day}); ignored"
        received_day = None
    arrival_day = received_day or file_day
    if policy is ReceiptPolicy.POSTMARK and postmark is not None:
        if postmark <= arrival_day:
            return Receipt(start_of_day(postmark, tz), "postmark", note)
        note = f"postmark {postmark} is after the letter arrived ({arrival_day}); ignored"
    if received_day is not None and received_day < file_day:
        return Receipt(start_of_day(received_day, tz), "received_date", note)
    return Receipt(file_time, "file_time", note)
