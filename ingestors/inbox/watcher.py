"""The inbox watcher: picks up complete files, hands units to a channel, publishes, moves.

Per unit, in this order, so that a crash at any point loses nothing and publishes nothing
twice (see ledger.py):

1. wait until its files are complete (`.part` renamed away, size and mtime stable);
2. read the main file and hash it; if the ledger has a marker for that hash, ask the
   broker whether its event is already there, and if so only finish step 6;
3. let the channel's handler read it: `Accept`, `Reject` or `Wait`;
4. write the ledger marker (event and files), fsynced;
5. publish the `SubmissionReceived` (or `DeadLettered`) and wait for the broker's ack;
6. move the files to `processed/<date>/` (or `failed/` with a reason JSON), clear the marker.

Steps 2-6 are `UnitPipeline` (pipeline.py); this module is the loop around it: listing,
stability, dispatch with a bound on units in flight, retries, shutdown and figures.

A broker that is down leaves the files in the inbox and retries with back-off. An exception
from a handler is retried a few times, then the unit is refused as `internal_error`: bad
input never stops the watcher and never disappears.
"""

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchfiles import awatch

from ingestors.inbox.folders import InboxFolders
from ingestors.inbox.ledger import InflightMarker
from ingestors.inbox.names import NameKind, classify_name, display_name
from ingestors.inbox.pipeline import Later, UnitPipeline
from ingestors.inbox.ports import EventPublisher, WatcherConfig, utc_now
from ingestors.inbox.published import PublishedCheck
from ingestors.inbox.stability import FileStat, StabilityTracker
from ingestors.inbox.units import (
    Backoff,
    Planner,
    Rejection,
    Unit,
    UnitHandler,
)
from ingestors.ocr.model import OcrUnavailable
from runtime.blobstore import BlobStore
from runtime.errors import BrokerUnavailable

log = logging.getLogger(__name__)

__all__ = ["EventPublisher", "InboxWatcher", "WatcherConfig", "WatcherStats", "utc_now"]

MIN_SCAN_INTERVAL_S = 0.25
"""Listing a big backlog costs; a unit finishing does not need a fresh listing each time."""


@dataclass(frozen=True)
class WatcherStats:
    """A snapshot for metrics: export `backlog_files` as the inbox's backlog gauge."""

    backlog_files: int
    """Files in the inbox waiting to be, or being, processed."""
    backlog_units: int
    in_flight: int
    retrying: int
    processed_total: int
    failed_total: int
    oldest_file_age_s: float


class InboxWatcher:
    """Usage: `await InboxWatcher(...).run(stop_event)`; returns once `stop_event` is set
    and the units in flight have finished (or `shutdown_grace_s` has passed)."""

    def __init__(
        self,
        *,
        folders: InboxFolders,
        planner: Planner,
        handler: UnitHandler,
        publisher: EventPublisher,
        published: PublishedCheck,
        blobs: BlobStore,
        config: WatcherConfig,
        clock: Callable[[], datetime] = utc_now,
        on_unit: Callable[[str, float], None] | None = None,
    ) -> None:
        """`on_unit(outcome, seconds)` is told how each attempt at a unit ended — `processed`,
        `failed` (refused, moved to failed/), `waiting` (for a companion file), `later`,
        `broker_unavailable` or `error` —
        and how long it took (for metrics)."""
        self._on_unit = on_unit
        self.folders = folders
        self._planner = planner
        self._pipeline = UnitPipeline(
            folders=folders,
            handler=handler,
            publisher=publisher,
            published=published,
            blobs=blobs,
            config=config,
            clock=clock,
        )
        self.config = config
        self._clock = clock
        self._tracker = StabilityTracker(config.stable_s)
        self._backoff = Backoff(config.retry_initial_s, config.retry_max_s)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._running_names: dict[str, tuple[str, ...]] = {}
        self._not_before: dict[str, float] = {}
        self._waiting_since: dict[str, float] = {}
        self._unclaimed_since: dict[str, float] = {}
        self._give_up: dict[str, Rejection] = {}
        self._stats: dict[str, FileStat | None] = {}
        self._poke = asyncio.Event()
        self._ready: list[Unit] = []
        self._backlog_files = 0
        self._backlog_units = 0
        self._oldest_age = 0.0
        self._processed = 0
        self._failed = 0

    # -- metrics -------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Files in the inbox not yet processed (a gauge for Prometheus)."""
        return self._backlog_files

    def stats(self) -> WatcherStats:
        return WatcherStats(
            backlog_files=self._backlog_files,
            backlog_units=self._backlog_units,
            in_flight=len(self._running),
            retrying=len(self._not_before),
            processed_total=self._processed,
            failed_total=self._failed,
            oldest_file_age_s=self._oldest_age,
        )

    # -- the loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.to_thread(self.folders.ensure)
        self.folders.lock()
        # Said only now, so whoever reads it can rely on the folders and the lock.
        log.info("watching %s", self.folders.inbox)
        try:
            await self._pipeline.sweep_ledger()
            watch = asyncio.create_task(self._watch(stop)) if self.config.watch_events else None
            try:
                loop = asyncio.get_running_loop()
                last_scan = -math.inf
                while not stop.is_set():
                    since = loop.time() - last_scan
                    if since >= MIN_SCAN_INTERVAL_S:
                        wake_at = await self._scan()
                        last_scan = loop.time()
                    else:
                        # A unit finished moments after a scan: start the next ready one
                        # from that scan, and list the inbox again a little later.
                        self._dispatch()
                        wake_at = self._clock().timestamp() + MIN_SCAN_INTERVAL_S - since
                    now = self._clock().timestamp()
                    timeout = max(0.05, min(self.config.rescan_s, wake_at - now))
                    self._poke.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await _first(self._poke.wait(), stop.wait())
            finally:
                if watch is not None:
                    watch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await watch
                await self._drain()
        finally:
            self.folders.unlock()

    async def _watch(self, stop: asyncio.Event) -> None:
        """Wake the loop when the inbox changes; the periodic rescan covers what this misses."""
        try:
            async for _changes in awatch(
                self.folders.inbox,
                stop_event=stop,
                recursive=False,
                debounce=200,
                step=50,
                watch_filter=None,
            ):
                self._poke.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # inotify limits, an unmounted share: keep polling instead
            log.warning(
                "watching %s failed; rescanning every %.0f s",
                self.folders.inbox,
                self.config.rescan_s,
                exc_info=True,
            )

    async def _drain(self) -> None:
        tasks = list(self._running.values())
        if not tasks:
            return
        log.info(
            "waiting up to %.0f s for %d unit(s) in flight",
            self.config.shutdown_grace_s,
            len(tasks),
        )
        _, pending = await asyncio.wait(tasks, timeout=self.config.shutdown_grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    # -- one scan ------------------------------------------------------------------------

    async def _scan(self) -> float:
        """List the inbox, start the units that are ready; return when to look again."""
        listing = await asyncio.to_thread(self.folders.listing)
        now = self._clock().timestamp()
        self._stats = listing
        busy = {name for names in self._running_names.values() for name in names}
        units: list[Unit] = []
        safe: list[str] = []
        visible = 0
        oldest = now
        for name, stat in listing.items():
            kind, why = classify_name(name)
            if kind in (NameKind.HIDDEN, NameKind.PARTIAL):
                continue
            visible += 1
            if stat is not None:
                oldest = min(oldest, stat.mtime)
            if name in busy:
                continue
            if kind is NameKind.UNSAFE:
                units.append(Unit(name, name, rejection=Rejection("unsafe_name", why)))
            elif stat is None:
                units.append(
                    Unit(
                        name,
                        name,
                        rejection=Rejection(
                            "not_a_regular_file", "a symbolic link, FIFO or device; not opened"
                        ),
                    )
                )
            else:
                safe.append(name)
        plan = self._planner.plan(safe)
        units.extend(plan.units)
        units.extend(self._orphans(plan.unclaimed, now))
        self._forget_gone({u.key for u in units} | set(self._running))
        self._backlog_files = visible
        self._backlog_units = len(units) + len(self._running)
        self._oldest_age = max(0.0, now - oldest)
        self._tracker.keep_only(set(listing))

        wake_at = math.inf
        ready: list[tuple[float, Unit]] = []
        for unit in units:
            waits = [
                self._tracker.observe(name, stat, now)
                for name in unit.names
                if (stat := listing.get(name)) is not None
            ]
            pending = [w for w in waits if w is not None]
            if pending:
                wake_at = min(wake_at, max(pending))
                continue
            not_before = self._not_before.get(unit.key, 0.0)
            if not_before > now:
                wake_at = min(wake_at, not_before)
                continue
            stat = listing.get(unit.main)
            ready.append((stat.mtime if stat else now, unit))
        ready.sort(key=lambda item: (item[0], item[1].key))
        self._ready = [unit for _, unit in ready]
        self._dispatch()
        return wake_at

    def _dispatch(self) -> None:
        """Start ready units, oldest first, up to the bound on units in flight."""
        while self._ready and len(self._running) < self.config.max_in_flight:
            unit = self._ready.pop(0)
            due = self._not_before.get(unit.key, 0.0)
            if unit.key not in self._running and due <= self._clock().timestamp():
                self._start(unit)

    def _forget_gone(self, keys: set[str]) -> None:
        """Drop retry and waiting state of units whose files have left the inbox."""
        for table in (self._not_before, self._waiting_since, self._give_up):
            for key in [k for k in table if k not in keys]:
                del table[key]
        self._backoff.keep_only(keys)

    def _orphans(self, unclaimed: tuple[str, ...], now: float) -> list[Unit]:
        for name in [n for n in self._unclaimed_since if n not in unclaimed]:
            del self._unclaimed_since[name]
        orphans = []
        for name in unclaimed:
            since = self._unclaimed_since.setdefault(name, now)
            if now - since >= self.config.orphan_after_s:
                orphans.append(
                    Unit(
                        name,
                        name,
                        rejection=Rejection(
                            "orphan_file",
                            f"no document or letter claimed this file in "
                            f"{self.config.orphan_after_s:.0f} s",
                        ),
                    )
                )
        return orphans

    def _start(self, unit: Unit) -> None:
        self._not_before.pop(unit.key, None)
        task = asyncio.create_task(self._run_unit(unit), name=f"unit:{display_name(unit.key)}")
        self._running[unit.key] = task
        self._running_names[unit.key] = unit.names

    def _tell(self, outcome: str, started: float) -> None:
        if self._on_unit is not None:
            self._on_unit(outcome, max(0.0, self._clock().timestamp() - started))

    async def _run_unit(self, unit: Unit) -> None:
        started = self._clock().timestamp()
        try:
            now = started
            step = await self._pipeline.process(
                unit,
                self._stats.get(unit.main),
                give_up=self._give_up.get(unit.key),
                waited_s=now - self._waiting_since.get(unit.key, now),
            )
            if isinstance(step, Later):
                if step.waiting:
                    self._waiting_since.setdefault(unit.key, now)
                self._retry_in(unit.key, step.delay_s)
                self._tell("waiting" if step.waiting else "later", started)
            elif step is not None:
                self._done(unit, step)
                self._tell(step.outcome, started)
        except asyncio.CancelledError:
            raise
        except BrokerUnavailable as exc:
            self._tell("broker_unavailable", started)
            delay = self._backoff.next_delay(unit.key)
            log.warning(
                "Kafka unavailable for %s (%s); retry in %.0f s", display_name(unit.key), exc, delay
            )
            self._retry_in(unit.key, delay)
        except Exception as exc:
            self._tell("error", started)
            delay = self._backoff.next_delay(unit.key)
            attempts = self._backoff.attempts(unit.key)
            log.exception("unit %s failed (attempt %d)", display_name(unit.key), attempts)
            if attempts >= self.config.max_attempts:
                code = "ocr_unavailable" if isinstance(exc, OcrUnavailable) else "internal_error"
                self._give_up[unit.key] = Rejection(
                    code, f"gave up after {attempts} attempts: {type(exc).__name__}: {exc}"
                )
                delay = 0.0
            self._retry_in(unit.key, delay)
        finally:
            self._running.pop(unit.key, None)
            self._running_names.pop(unit.key, None)
            self._poke.set()

    def _retry_in(self, key: str, delay: float) -> None:
        self._not_before[key] = self._clock().timestamp() + delay

    def _done(self, unit: Unit, marker: InflightMarker) -> None:
        self._backoff.reset(unit.key)
        self._give_up.pop(unit.key, None)
        self._waiting_since.pop(unit.key, None)
        if marker.outcome == "processed":
            self._processed += 1
            log.info("%s -> %s", display_name(unit.main), marker.key)
        else:
            self._failed += 1
            reason = marker.report.reason if marker.report else "?"
            log.warning("%s refused (%s)", display_name(unit.main), reason)


async def _first(*awaitables: Any) -> None:
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
