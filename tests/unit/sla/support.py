"""Builders for SLA tests."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from processors.sla import (
    MILAN,
    Alert,
    DayKind,
    DeadlineRule,
    Policy,
    SlaState,
    due_alerts,
    mark_emitted,
    open_sla,
)

CASE = "CASE-7K3M-9QXD-2B4F"
ROME = ZoneInfo("Europe/Rome")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
RECEIVED = datetime(2024, 3, 4, 10, tzinfo=ROME)  # Monday
DEADLINE = datetime(2024, 4, 3, 22, tzinfo=UTC)  # end of Wednesday 3 April (summer time)
POLICY = Policy(
    resolution=DeadlineRule(days=30, days_kind=DayKind.CALENDAR, warn_at_percent=(50, 80)),
    acknowledgement=DeadlineRule(days=2, days_kind=DayKind.WORKING, warn_at_percent=(50,)),
)
NO_ACK = Policy(resolution=POLICY.resolution)


def new_sla(policy: Policy = NO_ACK) -> SlaState:
    return open_sla(CASE, RECEIVED, policy, MILAN)


def tick(state: SlaState, now: datetime, log: list[Alert]) -> SlaState:
    """What the adapter does on a tick: take what is due, publish it, remember it."""
    alerts = due_alerts(state, now)
    log.extend(alerts)
    return mark_emitted(state, alerts)
