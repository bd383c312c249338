"""The overview's arithmetic and its feed, without a database: which windows it reads, how the
longer period is added up from the days, and how often the store is asked."""

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestors.web.dashboard import OverviewFeed
from runtime.errors import StoreUnavailable
from schemas.metrics import WindowSize
from sinks.postgres.overview import Overview, overview_windows, period_totals
from tests.unit.dashboard.pages import EPOCH, figures
from tests.unit.dashboard.test_dashboard_page import overview

ROME = ZoneInfo("Europe/Rome")

day = st.fixed_dictionaries(
    {
        "received_by_channel": st.dictionaries(
            st.sampled_from(["web", "fax", "email"]), st.integers(0, 50)
        ),
        "resolved": st.integers(0, 20),
        "within": st.integers(0, 20),
        "mean": st.floats(0, 90, allow_nan=False),
        "dead": st.integers(0, 5),
    }
)


@given(st.lists(day, min_size=1, max_size=9))
def test_the_longer_period_adds_the_days_up(days: list[dict[str, object]]) -> None:
    windows = []
    for i, d in enumerate(days):
        resolved = int(d["resolved"])  # type: ignore[call-overload]
        within = min(resolved, int(d["within"]))  # type: ignore[call-overload]
        by_channel = dict(d["received_by_channel"])  # type: ignore[call-overload]
        windows.append(
            figures(
                EPOCH + timedelta(days=i),
                received=sum(by_channel.values()),
                received_by_channel=by_channel,
                resolved=resolved,
                resolved_within_deadline=within,
                resolved_within_deadline_share=within / resolved if resolved else None,
                mean_days_to_resolution=d["mean"] if resolved else None,
                dead_letters=d["dead"],
            )
        )
    total = period_totals(windows)
    assert (total.start, total.end) == (windows[0].start, windows[-1].end)
    assert total.received == sum(w.received for w in windows)
    for channel in ("web", "fax", "email"):
        assert total.received_by_channel.get(channel, 0) == sum(
            w.received_by_channel.get(channel, 0) for w in windows
        )
    resolved = sum(w.resolved for w in windows)
    assert total.resolved == resolved
    if resolved == 0:
        assert total.resolved_within_deadline_share is None
        assert total.mean_days_to_resolution is None
    else:
        every_day = [(w.mean_days_to_resolution or 0.0) for w in windows for _ in range(w.resolved)]
        assert total.mean_days_to_resolution == pytest.approx(sum(every_day) / resolved)
        assert total.resolved_within_deadline_share == pytest.approx(
            sum(w.resolved_within_deadline for w in windows) / resolved
        )
    assert total.dead_letters == sum(w.dead_letters for w in windows)


def test_no_window_no_totals() -> None:
    with pytest.raises(ValueError, match="at least one"):
        period_totals([])


def test_the_windows_are_the_minute_and_the_city_days_up_to_today() -> None:
    # 31 March 2030: the clocks go forward in Rome; that day has 23 hours.
    at = datetime(2030, 4, 2, 9, 30, 15, tzinfo=UTC)
    minute, days = overview_windows(at, ROME, 7)
    assert (minute.size, minute.start, minute.end) == (
        WindowSize.MINUTE,
        at.replace(second=0),
        at.replace(second=0) + timedelta(minutes=1),
    )
    assert len(days) == 7
    assert all(d.size is WindowSize.DAY for d in days)
    assert days[-1].start <= at < days[-1].end
    assert [d.start.astimezone(ROME).day for d in days] == [27, 28, 29, 30, 31, 1, 2]
    assert all(a.end == b.start for a, b in itertools.pairwise(days))
    assert {d.start.astimezone(ROME).hour for d in days} == {0}
    short = days[4]
    assert short.end - short.start == timedelta(hours=23)


async def test_the_feed_reads_once_per_period_however_many_watch() -> None:
    loads = 0
    clock = [100.0]

    async def load() -> Overview:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return overview()

    feed = OverviewFeed(load, max_age_s=15, monotonic=lambda: clock[0])
    first = await asyncio.gather(*(feed.latest() for _ in range(20)))
    assert loads == 1 and all(o is first[0] for o in first)
    clock[0] += 14.9
    await feed.latest()
    assert loads == 1
    clock[0] += 0.2
    await feed.latest()
    assert loads == 2


async def test_the_feed_remembers_a_failure_for_a_period() -> None:
    calls = 0
    clock = [0.0]
    failing = True

    async def load() -> Overview:
        nonlocal calls
        calls += 1
        if failing:
            raise StoreUnavailable("PostgreSQL: down")
        return overview()

    feed = OverviewFeed(load, max_age_s=5, monotonic=lambda: clock[0])
    for _ in range(3):
        with pytest.raises(StoreUnavailable):
            await feed.latest()
    assert calls == 1
    failing = False
    clock[0] += 5
    assert (await feed.latest()).today.received == 63
    assert calls == 2
