"""What an operations dashboard shows, built from the metrics stream's own windows.

    overview = await read_overview(pool, now, timezone="Europe/Rome")
    overview.today       # Figures of the city's day holding `now` (what complaints.metrics
                         # publishes for that day once it is over)
    overview.now         # Figures of the minute holding `now`: the stocks (open backlog by
                         # age, triage queue) as they are now
    overview.days        # Figures of the last `days` city days, oldest first, today last
    overview.week        # `period_totals(overview.days)`: their flows added up

Why windows of the stream and not queries of their own: the figures on a dashboard must be
the figures of `complaints.metrics` for the same period, so the dashboard computes exactly the
windows the sinks publish (`sinks.postgres.figures.compute_figures`), all in one consistent
snapshot of the store, and derives the longer period from the daily windows by adding their
flows up. A median does not add up, so the longer period has none.

No personal data: `Figures` holds counts, shares and durations only.
"""

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import AwareDatetime, Field

from runtime.errors import STORE_ERRORS, StoreUnavailable
from schemas._strict import StrictModel
from schemas.metrics import Breakdown, Count, Figures, WindowSize
from sinks.postgres.figures import compute_figures
from sinks.postgres.windows import Window, previous, window_at


class PeriodTotals(StrictModel):
    """The flows of several consecutive windows added up (`period_totals`)."""

    start: AwareDatetime
    end: AwareDatetime
    received: Count
    received_by_channel: Breakdown
    received_by_category: Breakdown
    received_by_body: Breakdown
    routed: Count
    resolved: Count
    resolved_within_deadline: Count
    resolved_within_deadline_share: Annotated[float | None, Field(ge=0, le=1)]
    mean_days_to_resolution: Annotated[
        float | None, Field(ge=0, description="the windows' means weighted by their resolved")
    ]
    sla_warnings: Count
    sla_breaches: Count
    dead_letters: Count
    dead_letters_by_reason: Breakdown


class Overview(StrictModel):
    at: AwareDatetime
    timezone: str
    now: Figures
    today: Figures
    days: tuple[Figures, ...]
    week: PeriodTotals


def _added(breakdowns: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for b in breakdowns:
        total.update(b)
    return {k: total[k] for k in sorted(total)}


def period_totals(windows: Sequence[Figures]) -> PeriodTotals:
    """The flows of consecutive `windows` (oldest first) added up: counts and breakdowns are
    sums, the share within the deadline is the sum within over the sum resolved, and the mean
    days to resolution is the windows' means weighted by how many each resolved."""
    if not windows:
        raise ValueError("period_totals needs at least one window")
    resolved = sum(f.resolved for f in windows)
    within = sum(f.resolved_within_deadline for f in windows)
    days = sum((f.mean_days_to_resolution or 0.0) * f.resolved for f in windows if f.resolved)
    return PeriodTotals(
        start=windows[0].start,
        end=windows[-1].end,
        received=sum(f.received for f in windows),
        received_by_channel=_added(f.received_by_channel for f in windows),
        received_by_category=_added(f.received_by_category for f in windows),
        received_by_body=_added(f.received_by_body for f in windows),
        routed=sum(f.routed for f in windows),
        resolved=resolved,
        resolved_within_deadline=within,
        resolved_within_deadline_share=within / resolved if resolved else None,
        mean_days_to_resolution=days / resolved if resolved else None,
        sla_warnings=sum(f.sla_warnings for f in windows),
        sla_breaches=sum(f.sla_breaches for f in windows),
        dead_letters=sum(f.dead_letters for f in windows),
        dead_letters_by_reason=_added(f.dead_letters_by_reason for f in windows),
    )


def overview_windows(at: datetime, tz: ZoneInfo, days: int) -> tuple[Window, list[Window]]:
    """The minute holding `at`, and the `days` city days up to the one holding it."""
    day = window_at(WindowSize.DAY, at, tz)
    found = [day]
    while len(found) < days:
        found.append(previous(found[-1], tz))
    return window_at(WindowSize.MINUTE, at, tz), found[::-1]


async def compute_overview(
    conn: asyncpg.Connection, at: datetime, *, timezone: str, days: int = 7
) -> Overview:
    """The overview at `at`, in one repeatable-read snapshot of the store."""
    minute, daily = overview_windows(at, ZoneInfo(timezone), days)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        now = await compute_figures(conn, minute, timezone)
        figures = tuple([await compute_figures(conn, w, timezone) for w in daily])
    return Overview(
        at=at,
        timezone=timezone,
        now=now,
        today=figures[-1],
        days=figures,
        week=period_totals(figures),
    )


async def read_overview(
    pool: asyncpg.Pool,
    at: datetime,
    *,
    timezone: str = "Europe/Rome",
    days: int = 7,
    timeout_s: float = 10.0,
) -> Overview:
    """`compute_overview` on a connection of `pool`; PostgreSQL being unreachable or too slow
    raises `runtime.errors.StoreUnavailable`."""
    if days < 1:
        raise ValueError("an overview covers at least one day")
    try:
        async with asyncio.timeout(timeout_s), pool.acquire() as conn:
            return await compute_overview(conn, at, timezone=timezone, days=days)
    except STORE_ERRORS as exc:
        raise StoreUnavailable(f"PostgreSQL: {type(exc).__name__}: {exc}") from exc
