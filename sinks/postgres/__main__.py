"""`python -m sinks.postgres`: the PostgreSQL sink. Several may run in one group.

Besides storing the history topics, every sink process computes the figures for its
Prometheus endpoint, takes its turn at publishing them on `complaints.metrics`, and applies
the retention policy now and then; the database's advisory locks make the shared work
happen once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka.errors import KafkaError

from runtime.errors import SportelloError
from runtime.instruments import service_registry
from runtime.logs import configure_logging
from runtime.metrics_http import MetricsServer
from runtime.publisher import Publisher
from runtime.shutdown import wait_for_shutdown
from schemas import topics
from sinks.postgres.erasure import apply_retention
from sinks.postgres.health import SinkInstruments
from sinks.postgres.publisher import FiguresCollector, MetricsPublisher
from sinks.postgres.records import history_pattern
from sinks.postgres.settings import SinkSettings
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import CaseStore

log = logging.getLogger("sinks.postgres")

_ROUND_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    KafkaError,
    SportelloError,
)


async def connect_pool(dsn: str) -> asyncpg.Pool:
    delay = 0.5
    while True:
        try:
            # A statement that outlives `command_timeout` (a connection that went half-open
            # under a restart) fails like any lost connection, and the batch is retried.
            return await asyncpg.create_pool(dsn, min_size=1, max_size=4, command_timeout=120)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot reach PostgreSQL (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def now() -> datetime:
    return datetime.now(UTC)


async def every(
    interval_s: float, stop: asyncio.Event, what: str, work: Callable[[], Awaitable[object]]
) -> None:
    """Run `work` every `interval_s` until `stop`; an error is logged and tried next time."""
    while not stop.is_set():
        try:
            await work()
        except _ROUND_ERRORS as exc:
            log.warning(
                "%s failed (%s: %s); next try in %.0f s", what, type(exc).__name__, exc, interval_s
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


async def serve(settings: SinkSettings) -> None:
    registry = service_registry("sink")
    instruments = SinkInstruments(registry)
    figures = FiguresCollector()
    registry.register(figures)
    server = None
    if settings.sink_metrics_port is not None:
        server = MetricsServer(
            registry, host=settings.sink_metrics_host, port=settings.sink_metrics_port
        )
        await server.start()
    pool = await connect_pool(settings.pg_dsn.get_secret_value())
    prefix = settings.sink_topic_prefix
    consumer = CaseSink.consumer(
        settings.kafka_bootstrap, settings.sink_group_id, pattern=history_pattern(prefix)
    )
    await consumer.start()
    sink = CaseSink(
        consumer,
        CaseStore(pool),
        batch_size=settings.sink_batch_size,
        poll_ms=settings.sink_poll_ms,
        instruments=instruments,
        decode_processes=settings.sink_decode_processes,
    )
    publisher = Publisher(settings.kafka_bootstrap, client_id="sportello-sink-metrics")
    await publisher.start()
    metrics = MetricsPublisher(
        pool,
        publisher.publish_many,
        timezone=settings.metrics_timezone,
        grace=timedelta(seconds=settings.metrics_grace_s),
        backfill=timedelta(hours=settings.metrics_backfill_hours),
        collector=figures,
        topic=prefix + topics.METRICS,
    )
    stop = asyncio.Event()
    waiter = asyncio.create_task(wait_for_shutdown())
    waiter.add_done_callback(lambda _: stop.set())
    tasks = [
        asyncio.create_task(
            every(settings.metrics_interval_s, stop, "metrics", lambda: metrics.round(now()))
        )
    ]
    keep = settings.retention
    if keep is not None:
        tasks.append(
            asyncio.create_task(
                every(
                    settings.retention_interval_s,
                    stop,
                    "retention",
                    lambda: apply_retention(pool, keep=keep, now=now()),
                )
            )
        )
    log.info("PostgreSQL sink consuming %s", ", ".join(sorted(consumer.subscription())))
    try:
        await sink.run(stop)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        sink.close()
        await consumer.stop()
        await publisher.stop()
        if server is not None:
            await server.stop()
        await pool.close()
        log.info("PostgreSQL sink stopped")


def main() -> None:
    settings = SinkSettings()
    configure_logging(settings.log_level)
    # asyncpg logs a traceback each time it cannot refill its pool while PostgreSQL is
    # down; the sink's own warnings already say so, once per retry.
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
