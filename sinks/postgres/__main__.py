"""`python -m sinks.postgres`: the PostgreSQL sink. Several may run in one group."""

import asyncio
import logging

import asyncpg

from runtime.logs import configure_logging
from runtime.shutdown import wait_for_shutdown
from sinks.postgres.settings import SinkSettings
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import CaseStore

log = logging.getLogger("sinks.postgres")


async def connect_pool(dsn: str) -> asyncpg.Pool:
    delay = 0.5
    while True:
        try:
            return await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot reach PostgreSQL (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def serve(settings: SinkSettings) -> None:
    pool = await connect_pool(settings.pg_dsn.get_secret_value())
    consumer = CaseSink.consumer(settings.kafka_bootstrap, settings.sink_group_id)
    await consumer.start()
    sink = CaseSink(
        consumer,
        CaseStore(pool),
        batch_size=settings.sink_batch_size,
        poll_ms=settings.sink_poll_ms,
    )
    stop = asyncio.Event()
    waiter = asyncio.create_task(wait_for_shutdown())
    waiter.add_done_callback(lambda _: stop.set())
    log.info("PostgreSQL sink consuming %s", consumer.subscription())
    try:
        await sink.run(stop)
    finally:
        await consumer.stop()
        await pool.close()
        log.info("PostgreSQL sink stopped")


def main() -> None:
    settings = SinkSettings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
