"""Metrics: what `complaints.metrics` carries, one event per window of time, no personal data.

The figures of a window are those the Milan front office reported: volumes by channel,
category and body, how many cases were routed and resolved, the share resolved within the
deadline, the mean and median days to resolution, the open backlog by age, the triage queue
and the dead letters. Counts come from the store, where every fact is written once by its
event id, so a redelivered complaint or a replayed event is never counted twice.

A window's figures may be published again, corrected, if facts about it arrived late: the
event id names the window and a digest of its figures, so the same figures are one event
however often they are published, and a consumer keeps the last event of each window.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel

Count = Annotated[int, Field(ge=0)]
Breakdown = Annotated[
    dict[str, Count], Field(description="count by key; `unsorted` where there is none yet")
]


class WindowSize(StrEnum):
    """Windows are aligned to the minute, the hour and the day in the city's time zone."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


BACKLOG_AGES: tuple[str, ...] = ("0-7d", "7-15d", "15-30d", "30-60d", "60d+")
"""The buckets of `open_backlog_by_age`: days since the legal receipt, lower bound included."""


class Figures(StrictModel):
    """The figures of one window `[start, end)`.

    Flows count facts dated inside the window: `received` counts submissions by their receipt
    time (with `received_by_category`/`_body` by the category and body of the case each is in
    when the window is computed, `unsorted` if none); `routed` counts assignments to a body;
    `resolved` counts cases that became resolved, with `days_to_resolution` measured from the
    legal receipt, and within the deadline when resolved no later than the case's deadline.
    Stocks are taken at `end`: the open backlog (cases received and not resolved, rejected or
    closed) by age, and the triage queue (cases waiting for a person to sort them).
    """

    window: WindowSize
    start: AwareDatetime
    end: AwareDatetime
    timezone: Annotated[str, Field(examples=["Europe/Rome"])]
    received: Count
    received_by_channel: Breakdown
    received_by_category: Breakdown
    received_by_body: Breakdown
    routed: Count
    routed_by_body: Breakdown
    resolved: Count
    resolved_by_body: Breakdown
    resolved_within_deadline: Count
    resolved_within_deadline_share: Annotated[
        float | None, Field(ge=0, le=1, description="None when nothing was resolved")
    ]
    mean_days_to_resolution: Annotated[float | None, Field(ge=0)]
    median_days_to_resolution: Annotated[float | None, Field(ge=0)]
    open_backlog: Count
    open_backlog_by_age: Annotated[
        dict[str, Count],
        Field(description="by days since the legal receipt: " + ", ".join(BACKLOG_AGES)),
    ]
    triage_queue: Count
    sla_warnings: Count
    sla_breaches: Count
    dead_letters: Count
    dead_letters_by_reason: Breakdown


def metric_key(window: WindowSize) -> str:
    """The Kafka key (and event subject) of a window size's figures: `figures.minute`, …"""
    return f"figures.{window.value}"
