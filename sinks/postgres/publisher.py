"""The metrics stream: figures computed from the store, published on `complaints.metrics`.

Every sink process runs a `MetricsPublisher`; in each round one of them (whichever takes the
transaction-scoped advisory lock) computes the windows that are due and publishes those whose
figures are new or changed, then records their digests in `metrics_published` in the same
transaction. So:

- with any number of sinks, a window's figures are published by one of them at a time, and
  the digests they share mean an unchanged window is not published again;
- a crash after publishing and before the commit publishes the same figures again under the
  same event id (the window and a digest of the figures), which consumers recognise;
- a window is first published `grace` after it ends, and recomputed for a while after
  (`windows.LOOKBACK`): facts that reached the store late publish a correction, a new event
  for the same window, which consumers take as the window's figures from then on.

Every process also keeps the latest closed window of each size for its Prometheus endpoint
(`FiguresCollector`), whether or not it publishes.
"""

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from schemas import topics
from schemas.events import Event, MetricsReported
from schemas.metrics import Figures, WindowSize, metric_key
from sinks.postgres.figures import compute_figures
from sinks.postgres.windows import LOOKBACK, Window, closed_windows

log = logging.getLogger(__name__)

SOURCE = "/sinks/postgres/metrics"
_LOCK_KEY = 0x5B0_3E7C  # the metrics round; any constant other than the migrator's

Publish = Callable[[Sequence[tuple[str, Event[Any]]]], Awaitable[None]]
"""Publish events and return once the broker acknowledged them (`Publisher.publish_many`)."""


def digest_of(figures: Figures) -> str:
    return hashlib.sha256(figures.model_dump_json().encode()).hexdigest()


def metrics_event(figures: Figures, now: datetime) -> MetricsReported:
    digest = digest_of(figures)
    start = figures.start.strftime("%Y-%m-%dT%H:%MZ")
    return MetricsReported.new(
        figures,
        source=SOURCE,
        subject=metric_key(figures.window),
        time=now,
        event_id=f"metrics:{figures.window.value}:{start}:{digest[:16]}",
    )


class FiguresCollector(Collector):
    """The latest figures of each window size as Prometheus gauges, labelled by window.

    Counts and shares become `sportello_<figure>{window=…}`; breakdowns become
    `sportello_<figure>{window=…, <dimension>=…}` (e.g. `sportello_received_by_channel`).
    """

    def __init__(self) -> None:
        self._latest: dict[WindowSize, Figures] = {}

    def update(self, figures: Figures) -> None:
        self._latest[figures.window] = figures

    def collect(self) -> Iterable[GaugeMetricFamily]:
        latest = [self._latest[s] for s in WindowSize if s in self._latest]
        if not latest:
            return
        start = GaugeMetricFamily(
            "sportello_figures_window_start_seconds",
            "start of the window the figures are of",
            labels=["window"],
        )
        for f in latest:
            start.add_metric([f.window.value], f.start.timestamp())
        yield start
        skip = {"window", "start", "end", "timezone"}
        for name, field in Figures.model_fields.items():
            if name in skip:
                continue
            help_text = field.description or name.replace("_", " ")
            values = [(f.window.value, getattr(f, name)) for f in latest]
            if name.endswith(("_by_channel", "_by_category", "_by_body", "_by_reason", "_by_age")):
                dimension = name.rsplit("_by_", 1)[1]
                family = GaugeMetricFamily(
                    f"sportello_{name}", help_text, labels=["window", dimension]
                )
                for window, breakdown in values:
                    for key, count in breakdown.items():
                        family.add_metric([window, key], count)
            else:
                family = GaugeMetricFamily(f"sportello_{name}", help_text, labels=["window"])
                for window, value in values:
                    if value is not None:
                        family.add_metric([window], value)
            yield family


class MetricsPublisher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        timezone: str = "Europe/Rome",
        grace: timedelta = timedelta(seconds=30),
        backfill: timedelta = timedelta(hours=24),
        most_per_size: int = 1500,
        collector: FiguresCollector | None = None,
        topic: str = topics.METRICS,
    ) -> None:
        self._pool = pool
        self._topic = topic
        self._publish = publish
        self._timezone = timezone
        self._tz = ZoneInfo(timezone)
        self._grace = grace
        self._backfill = backfill
        self._most = most_per_size
        self._collector = collector

    async def round(self, now: datetime) -> list[MetricsReported]:
        """Publish what is due at `now`; return the events published (none when another
        sink holds the round)."""
        published: list[MetricsReported] = []
        async with self._pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read"):
                if await conn.fetchval("select pg_try_advisory_xact_lock($1)", _LOCK_KEY):
                    published = await self._publish_due(conn, now)
            if self._collector is not None:
                for size in WindowSize:
                    [latest] = closed_windows(
                        size, now, self._tz, grace=self._grace, since=now - LOOKBACK[size] * 10,
                        most=1,
                    )
                    self._collector.update(await self.figures(conn, latest))
        return published

    async def figures(self, conn: asyncpg.Connection, window: Window) -> Figures:
        return await compute_figures(conn, window, self._timezone)

    async def _publish_due(self, conn: asyncpg.Connection, now: datetime) -> list[MetricsReported]:
        events: list[MetricsReported] = []
        for size in WindowSize:
            last_end = await conn.fetchval(
                "select max(window_start) from metrics_published where window_size = $1",
                size.value,
            )
            recent = now - LOOKBACK[size]
            since = max(now - self._backfill, min(last_end or recent, recent))
            windows = closed_windows(
                size, now, self._tz, grace=self._grace, since=since, most=self._most
            )
            if not windows:
                continue
            known = {
                r["window_start"]: r["digest"]
                for r in await conn.fetch(
                    "select window_start, digest from metrics_published"
                    " where window_size = $1 and window_start >= $2",
                    size.value,
                    windows[0].start,
                )
            }
            for window in windows:
                figures = await self.figures(conn, window)
                if known.get(window.start) != digest_of(figures):
                    events.append(metrics_event(figures, now))
        if not events:
            return []
        await self._publish([(self._topic, e) for e in events])
        await conn.executemany(
            "insert into metrics_published"
            " (window_size, window_start, digest, event_id, published_at)"
            " values ($1, $2, $3, $4, $5) on conflict (window_size, window_start) do update"
            " set digest = excluded.digest, event_id = excluded.event_id,"
            " published_at = excluded.published_at",
            [
                (e.data.window.value, e.data.start, digest_of(e.data), e.id, now)
                for e in events
            ],
        )
        log.info("published the figures of %d windows", len(events))
        return events
