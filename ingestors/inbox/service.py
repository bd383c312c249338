"""Running a watcher as a service: logging, signals, clean shutdown, periodic stats."""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry

from ingestors.inbox.folders import InboxBusy
from ingestors.inbox.settings import InboxSettings
from ingestors.inbox.watcher import InboxWatcher
from runtime.metrics_http import MetricsServer

S = TypeVar("S", bound=InboxSettings)

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_service(
    name: str, settings: S, serve: Callable[[S, asyncio.Event], Awaitable[None]]
) -> int:
    """The body of a watcher's `python -m`: serve until SIGTERM or SIGINT; exit status 2
    when another process already holds the inbox."""
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve(settings, stop)

    try:
        asyncio.run(run())
    except InboxBusy as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    return 0


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`: the watcher finishes what is in flight and returns."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


async def log_stats(watcher: InboxWatcher, stop: asyncio.Event, every_s: float = 60.0) -> None:
    """Log the watcher's figures now and then (the metrics endpoint has them all the time)."""
    while not stop.is_set():
        try:
            async with asyncio.timeout(every_s):
                await stop.wait()
        except TimeoutError:
            s = watcher.stats()
            log.info(
                "backlog=%d files in_flight=%d processed=%d failed=%d oldest=%.0fs",
                s.backlog_files,
                s.in_flight,
                s.processed_total,
                s.failed_total,
                s.oldest_file_age_s,
            )


async def start_metrics(
    registry: CollectorRegistry, host: str, port: int | None
) -> MetricsServer | None:
    """Serve `registry` on `host:port` (nothing when `port` is None)."""
    if port is None:
        return None
    server = MetricsServer(registry, host=host, port=port)
    await server.start()
    return server


async def run_watcher(watcher: InboxWatcher, stop: asyncio.Event) -> None:
    stats = asyncio.create_task(log_stats(watcher, stop))
    try:
        await watcher.run(stop)
    finally:
        stats.cancel()
