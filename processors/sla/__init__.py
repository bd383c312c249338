"""SLA: policies, calendar arithmetic, clocks and their alerts, and the deadline index.

    from processors.sla import load_policies, open_sla, after_transition, due_alerts

- `policy`: the policy file (`policies.toml` beside this module) and `Policies.for_case`.
- `calendar`: Italian and city holidays, calendar and working days, end-of-day deadlines.
- `timers`: `SlaClock`/`SlaState`, `due_alerts`, `mark_emitted`, `next_alert_at`.
- `tracking`: how lifecycle transitions start, pause, stop and reopen the clocks.
- `index`: `DeadlineIndex`, so a tick looks only at the cases that are due.
- `clock`: the `Clock` port, `SystemClock` and `ManualClock`.
"""

from processors.sla.calendar import (
    MILAN,
    DayKind,
    WorkingCalendar,
    easter_sunday,
    italian_national_holidays,
)
from processors.sla.clock import Clock, ManualClock, SystemClock, UtcDatetime, as_utc
from processors.sla.index import DeadlineIndex
from processors.sla.policy import (
    DEFAULT_POLICIES_FILE,
    DeadlineRule,
    Policies,
    Policy,
    load_policies,
    parse_policies,
)
from processors.sla.timers import (
    Alert,
    ClockKind,
    Pause,
    SlaClock,
    SlaState,
    due_alerts,
    mark_emitted,
    next_alert_at,
    overdue_by,
)
from processors.sla.tracking import after_transition, change_policy, open_sla

__all__ = [
    "DEFAULT_POLICIES_FILE",
    "MILAN",
    "Alert",
    "Clock",
    "ClockKind",
    "DayKind",
    "DeadlineIndex",
    "DeadlineRule",
    "ManualClock",
    "Pause",
    "Policies",
    "Policy",
    "SlaClock",
    "SlaState",
    "SystemClock",
    "UtcDatetime",
    "WorkingCalendar",
    "after_transition",
    "as_utc",
    "change_policy",
    "due_alerts",
    "easter_sunday",
    "italian_national_holidays",
    "load_policies",
    "mark_emitted",
    "next_alert_at",
    "open_sla",
    "overdue_by",
    "parse_policies",
]
