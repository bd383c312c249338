"""A known batch of complaints in a store of the test's own, the metrics stream's figures of
it, and a web intake serving the dashboard over that store at a chosen instant.

The batch is the real NYC 311 requests of the shared data made into case histories (the
record's tests do the same), moved in time by `shift` so that the windows hold only them.
The figures are those `MetricsPublisher` publishes on `complaints.metrics` after each window
closes, caught on their way to Kafka.
"""

import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from aiohttp import web

from ingestors.web.app import build_app
from ingestors.web.settings import WebSettings
from runtime.publisher import Publisher
from schemas.events import Event, MetricsReported
from schemas.metrics import Figures, WindowSize
from sinks.postgres.overview import overview_windows
from sinks.postgres.publisher import MetricsPublisher
from sinks.postgres.store import CaseStore
from tests.integration.record.histories import History, Request, dead_letters, histories

ROME = "Europe/Rome"


@dataclass(frozen=True)
class Batch:
    at: datetime
    """An instant on the busiest day, a minute after its last arrival."""
    histories: list[History]
    extra: History
    """One more complaint, received before `at` on the same day: not yet stored."""


def _busiest_day(times: list[datetime]) -> tuple[datetime, datetime]:
    tz = ZoneInfo(ROME)
    days = Counter(t.astimezone(tz).date() for t in times)
    best = max(days, key=lambda d: days[d])
    last = max(t for t in times if t.astimezone(tz).date() == best)
    return last, min(t for t in times if t.astimezone(tz).date() == best)


async def load_batch(pool: asyncpg.Pool, requests: list[Request]) -> Batch:
    """Store the requests' histories and dead letters, but for one kept back."""
    salt = uuid.uuid4().hex[:8]
    shift = timedelta(days=2500 + uuid.uuid4().int % 1000)
    made = list(histories(requests, salt=salt, shift=shift))
    last, first = _busiest_day([h.published[0][1].time for h in made])
    extra = next(h for h in made if first <= h.published[0][1].time < last)
    stored = [h for h in made if h is not extra]
    feed: list[Event[Any]] = [e for h in stored for _, e in h.published]
    feed += [e for _, e in dead_letters(requests, salt=salt, shift=shift, every=20)]
    await CaseStore(pool).write(feed)
    return Batch((last + timedelta(minutes=1)).astimezone(UTC), stored, extra)


async def store_extra(pool: asyncpg.Pool, batch: Batch) -> None:
    await CaseStore(pool).write([e for _, e in batch.extra.published])


class MetricsStream:
    """What `complaints.metrics` carries, caught on its way to Kafka: `MetricsPublisher`
    rounds run as each window closes. A window whose figures did not change is not published
    again, so the latest event of each window is kept across calls."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._latest: dict[tuple[WindowSize, datetime], Figures] = {}
        self._publisher = MetricsPublisher(
            pool, self._publish, timezone=ROME, backfill=timedelta(days=9), most_per_size=12
        )

    async def _publish(self, items: Any) -> None:
        for _, event in items:
            assert isinstance(event, MetricsReported)
            self._latest[(event.data.window, event.data.start)] = event.data

    async def figures(self, at: datetime) -> tuple[Figures, list[Figures]]:
        """The minute holding `at` and the seven city days up to it, once they closed."""
        grace = timedelta(seconds=31)
        minute, days = overview_windows(at, ZoneInfo(ROME), 7)
        for now in sorted([minute.end + grace, *(d.end + grace for d in days)]):
            await self._publisher.round(now)
        return self._latest[(WindowSize.MINUTE, minute.start)], [
            self._latest[(WindowSize.DAY, d.start)] for d in days
        ]


def personal_data(batch: Batch) -> list[str]:
    """Strings that must never appear on the dashboard: who complained, where, and what."""
    found = []
    for h in batch.histories[:100]:
        submission = h.published[0][1].data
        found += [h.email, submission.citizen.name, submission.text]
        if submission.location and submission.location.address:
            found.append(submission.location.address)
    return [s for s in found if s]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@contextlib.asynccontextmanager
async def dashboard_running(
    pool: asyncpg.Pool,
    clock: Callable[[], datetime],
    *,
    bootstrap: str,
    var_dir: Path,
    refresh_s: float = 0.3,
) -> AsyncIterator[str]:
    """A web intake over `pool` on a free port; yields its base URL."""
    settings = WebSettings(
        kafka_bootstrap=bootstrap,
        web_port=0,
        var_dir=var_dir,
        dashboard_refresh_s=refresh_s,
        metrics_timezone=ROME,
        web_metrics_port=None,
    )
    publisher = Publisher(bootstrap, client_id="test-dashboard")  # never used: no posts
    runner = web.AppRunner(build_app(settings, publisher, pool=pool, clock=clock))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
        await publisher.stop()


async def next_event(response: aiohttp.ClientResponse) -> tuple[str, str]:
    """The next Server-Sent Event on `response`: its name and its data."""
    name, data = "message", list[str]()
    while True:
        line = (await response.content.readline()).decode()
        if line in ("\n", ""):
            if data:
                return name, "\n".join(data)
            if line == "":
                raise EOFError("the event stream ended")
            continue
        field, _, value = line.rstrip("\n").partition(": ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
