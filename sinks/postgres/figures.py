"""The figures of one window, computed from the store.

Why from the store and not from the stream: the store already holds every fact once (by event
id, by submission id), whatever was redelivered or replayed, and it can be asked "as of" any
time, so the figures of a window are the same whenever and by whichever sink they are
computed. See `sinks.postgres.publisher` for how they reach `complaints.metrics`.

The definitions (also in `schemas.metrics.Figures`):
- received: submissions by `received_at` in the window; by channel; by the category and
  body of the case each is in now (`unsorted` when it has none yet);
- routed: `sportello.case.assigned` events by time, by body;
- resolved: case versions that became `resolved` in the window (the version before was not),
  by body; within the deadline when `updated_at <= deadline_at`; days from the legal receipt;
- backlog and triage queue: the case versions current just before `end` whose status is
  open (received … reassigned), aged from the legal receipt; the triage queue is those in
  `received`, which no body has yet;
- SLA warnings and breaches: `sportello.sla.alert` events by time, by kind;
- dead letters: by the time their input was received, by reason.
"""

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from schemas.metrics import BACKLOG_AGES, Figures
from sinks.postgres.windows import Window

OPEN_STATUSES = (
    "received",
    "assigned",
    "acknowledged",
    "in_progress",
    "waiting_for_citizen",
    "reassigned",
)
UNSORTED = "unsorted"
_DAY_S = 86_400.0
_AGE_LIMITS = (7, 15, 30, 60)

RECEIVED = """
select s.channel, coalesce(c.category, 'unsorted') as category,
       coalesce(c.body, 'unsorted') as body, count(*) as n
from submissions s
left join case_tracking_ids t on t.tracking_id = s.submission_id
left join cases c on c.case_id = t.case_id
where s.received_at >= $1 and s.received_at < $2
group by 1, 2, 3
"""

ROUTED = """
select coalesce(event -> 'data' ->> 'body', 'unsorted') as body, count(*) as n
from case_events
where type = 'sportello.case.assigned' and time >= $1 and time < $2
group by 1
"""

RESOLVED = """
select v.body, v.updated_at, v.deadline_at, v.legal_receipt_at
from case_versions v
where v.status = 'resolved' and v.updated_at >= $1 and v.updated_at < $2
  and (select p.status from case_versions p
       where p.case_id = v.case_id and p.version < v.version
       order by p.version desc limit 1) is distinct from 'resolved'
"""

# The statuses are written out, as in the partial index `case_versions_open_until`, so that
# the planner can use it.
OPEN_AT = f"""
select status, legal_receipt_at
from case_versions
where status in ({", ".join(f"'{s}'" for s in OPEN_STATUSES)})
  and updated_at < $1 and coalesce(valid_until, 'infinity') >= $1
"""  # noqa: S608 (constants)

SLA = """
select event -> 'data' ->> 'kind' as kind, count(*) as n
from case_events
where type = 'sportello.sla.alert' and time >= $1 and time < $2
group by 1
"""

DEAD_LETTERS = """
select reason, count(*) as n from dead_letters
where received_at >= $1 and received_at < $2
group by 1
"""


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return {k: counts[k] for k in sorted(counts)}


def age_bucket(days: float) -> str:
    for limit, label in zip(_AGE_LIMITS, BACKLOG_AGES, strict=False):
        if days < limit:
            return label
    return BACKLOG_AGES[-1]


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / _DAY_S)


@dataclass(frozen=True)
class _Resolutions:
    by_body: dict[str, int]
    within: int
    days: list[float]

    @property
    def count(self) -> int:
        return len(self.days)


def _resolutions(rows: Iterable[asyncpg.Record]) -> _Resolutions:
    by_body: Counter[str] = Counter()
    within = 0
    days: list[float] = []
    for r in rows:
        by_body[r["body"] or UNSORTED] += 1
        if r["deadline_at"] is not None and r["updated_at"] <= r["deadline_at"]:
            within += 1
        days.append(_days(r["updated_at"], r["legal_receipt_at"]))
    return _Resolutions(_sorted(by_body), within, days)


async def compute_figures(conn: asyncpg.Connection, window: Window, timezone: str) -> Figures:
    """The figures of `window`, read in one consistent snapshot of the store (the caller's
    transaction if there is one, else a repeatable-read one of its own)."""
    if not conn.is_in_transaction():
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await compute_figures(conn, window, timezone)
    a, b = window.start, window.end
    received = await conn.fetch(RECEIVED, a, b)
    routed = await conn.fetch(ROUTED, a, b)
    resolved = await conn.fetch(RESOLVED, a, b)
    open_at = await conn.fetch(OPEN_AT, b)
    sla = await conn.fetch(SLA, a, b)
    dead = await conn.fetch(DEAD_LETTERS, a, b)
    by_channel: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_body: Counter[str] = Counter()
    for r in received:
        by_channel[r["channel"]] += r["n"]
        by_category[r["category"]] += r["n"]
        by_body[r["body"]] += r["n"]
    ages: Counter[str] = Counter({label: 0 for label in BACKLOG_AGES})
    for r in open_at:
        ages[age_bucket(_days(b, r["legal_receipt_at"]))] += 1
    kinds = Counter({r["kind"]: r["n"] for r in sla})
    reasons = Counter({r["reason"]: r["n"] for r in dead})
    routed_by_body = Counter({r["body"]: r["n"] for r in routed})
    done = _resolutions(resolved)
    return Figures(
        window=window.size,
        start=a,
        end=b,
        timezone=timezone,
        received=sum(by_channel.values()),
        received_by_channel=_sorted(by_channel),
        received_by_category=_sorted(by_category),
        received_by_body=_sorted(by_body),
        routed=sum(routed_by_body.values()),
        routed_by_body=_sorted(routed_by_body),
        resolved=done.count,
        resolved_by_body=done.by_body,
        resolved_within_deadline=done.within,
        resolved_within_deadline_share=done.within / done.count if done.count else None,
        mean_days_to_resolution=statistics.fmean(done.days) if done.days else None,
        median_days_to_resolution=statistics.median(done.days) if done.days else None,
        open_backlog=len(open_at),
        open_backlog_by_age={label: ages[label] for label in BACKLOG_AGES},
        triage_queue=sum(1 for r in open_at if r["status"] == "received"),
        sla_warnings=sum(n for k, n in kinds.items() if k and k.startswith("warning")),
        sla_breaches=kinds.get("breach", 0),
        dead_letters=sum(reasons.values()),
        dead_letters_by_reason=_sorted(reasons),
    )
