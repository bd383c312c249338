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

A broker that is down leaves the files in the inbox and retries with back-off. An exception
from a handler is retried a few times, then the unit is refused as `internal_error`: bad
input never stops the watcher and never disappears.
"""

import asyncio
import contextlib
import hashlib
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from watchfiles import awatch

from ingestors.inbox.folders import InboxFolders, free_name, read_file, sha256_of_file
from ingestors.inbox.ledger import (
    FailureReport,
    InflightMarker,
    Ledger,
    name_to_hex,
    settle_until,
)
from ingestors.inbox.names import NameKind, classify_name, display_name, safe_name, unsafe_reason
from ingestors.inbox.published import PublishedCheck
from ingestors.inbox.stability import FileStat, StabilityTracker
from ingestors.inbox.units import (
    Accept,
    Backoff,
    Job,
    Outcome,
    Planner,
    Reject,
    Rejection,
    Unit,
    UnitHandler,
    Wait,
)
from ingestors.ocr.model import OcrUnavailable
from runtime.blobstore import BlobStore
from runtime.errors import BrokerUnavailable
from schemas import topics
from schemas.deadletter import DeadLetter
from schemas.events import DeadLettered, Event, SubmissionReceived
from schemas.submission import Channel

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event[Any], *, key: str | None = None) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WatcherConfig:
    channel: Channel
    stage: str
    """Who gives up on refused files, in dead letters: e.g. `ingestors.scans`."""
    source: str
    """The events' source: e.g. `/ingestors/scans`."""
    stable_s: float = 2.0
    rescan_s: float = 30.0
    orphan_after_s: float = 3600.0
    max_in_flight: int = 4
    settle_s: float = 10.0
    max_attempts: int = 3
    max_file_bytes: int = 200 * 1024 * 1024
    shutdown_grace_s: float = 10.0
    watch_events: bool = True


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
    ) -> None:
        self.folders = folders
        self._planner = planner
        self._handler = handler
        self._publisher = publisher
        self._published = published
        self._blobs = blobs
        self.config = config
        self._clock = clock
        self._ledger = Ledger(folders.inflight_dir)
        self._tracker = StabilityTracker(config.stable_s)
        self._backoff = Backoff()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._running_names: dict[str, tuple[str, ...]] = {}
        self._hashes_in_flight: set[str] = set()
        self._not_before: dict[str, float] = {}
        self._waiting_since: dict[str, float] = {}
        self._unclaimed_since: dict[str, float] = {}
        self._give_up: dict[str, Rejection] = {}
        self._stats: dict[str, FileStat | None] = {}
        self._poke = asyncio.Event()
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
        try:
            await asyncio.to_thread(self._sweep_ledger)
            watch = asyncio.create_task(self._watch(stop)) if self.config.watch_events else None
            try:
                while not stop.is_set():
                    wake_at = await self._scan()
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

    def _sweep_ledger(self) -> None:
        """Drop markers whose files have all been moved (the crash came after the move)."""
        for marker in self._ledger.all():
            if not any(os.path.lexists(self.folders.inbox / n) for n in marker.members):
                self._ledger.clear(marker.sha256)

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
        for _, unit in sorted(ready, key=lambda item: (item[0], item[1].key)):
            if len(self._running) >= self.config.max_in_flight:
                break
            if unit.key in self._running:
                continue
            self._start(unit)
        return wake_at

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

    async def _run_unit(self, unit: Unit) -> None:
        try:
            await self._process(unit)
        except asyncio.CancelledError:
            raise
        except BrokerUnavailable as exc:
            delay = self._backoff.next_delay(unit.key)
            log.warning(
                "Kafka unavailable for %s (%s); retry in %.0f s", display_name(unit.key), exc, delay
            )
            self._retry_in(unit.key, delay)
        except Exception as exc:
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

    # -- one unit ------------------------------------------------------------------------

    async def _process(self, unit: Unit) -> None:
        path = self.folders.inbox / unit.main
        stat = self._stats.get(unit.main)
        content: bytes | None = None
        if stat is None:
            digest = hashlib.sha256(b"not-a-regular-file\x00" + os.fsencode(unit.main)).hexdigest()
        else:
            try:
                content = await asyncio.to_thread(read_file, path, self.config.max_file_bytes)
                if content is None:
                    digest = await asyncio.to_thread(sha256_of_file, path)
                else:
                    digest = hashlib.sha256(content).hexdigest()
            except FileNotFoundError:
                return  # gone since the scan: whoever took it has it
        if digest in self._hashes_in_flight:
            # The same content under two names: one at a time, so markers do not collide.
            self._retry_in(unit.key, 1.0)
            return
        self._hashes_in_flight.add(digest)
        try:
            await self._process_content(unit, stat, content, digest)
        finally:
            self._hashes_in_flight.discard(digest)

    async def _process_content(
        self, unit: Unit, stat: FileStat | None, content: bytes | None, digest: str
    ) -> None:
        now = self._clock()
        marker = await asyncio.to_thread(self._ledger.get, digest)
        if marker is not None:
            due = settle_until(marker, self.config.settle_s)
            if now < due:
                self._retry_in(unit.key, (due - now).total_seconds())
                return
            if await self._published.was_published(
                marker.topic, marker.key, marker.event_id, marker.written_at
            ):
                log.info(
                    "%s was published before a restart; finishing the move", display_name(unit.main)
                )
                await asyncio.to_thread(self._finish, marker)
                self._done(unit, marker)
                return
        received_at = _received_at(stat, now)
        outcome = await self._outcome(unit, content, digest, received_at, now)
        if isinstance(outcome, Wait):
            self._waiting_since.setdefault(unit.key, now.timestamp())
            self._retry_in(unit.key, outcome.retry_in_s)
            log.info("%s waits: %s", display_name(unit.key), outcome.reason)
            return
        event, fresh = await asyncio.to_thread(
            self._prepare, unit, outcome, content, digest, received_at, now
        )
        await asyncio.to_thread(self._ledger.put, fresh)
        await self._publisher.publish(fresh.topic, event, key=fresh.key)
        await asyncio.to_thread(self._finish, fresh)
        self._done(unit, fresh)

    async def _outcome(
        self,
        unit: Unit,
        content: bytes | None,
        digest: str,
        received_at: datetime,
        now: datetime,
    ) -> Outcome:
        rejection = unit.rejection or self._give_up.get(unit.key)
        if rejection is not None:
            return Reject(rejection.reason, rejection.detail, unit.names)
        if content is None:
            return Reject(
                "too_large",
                f"larger than {self.config.max_file_bytes} bytes; not read",
                unit.names,
            )
        waited = now.timestamp() - self._waiting_since.get(unit.key, now.timestamp())
        job = Job(unit, self.folders.inbox, content, digest, received_at, waited)
        return await self._handler.handle(job)

    def _prepare(
        self,
        unit: Unit,
        outcome: Accept | Reject,
        content: bytes | None,
        digest: str,
        received_at: datetime,
        now: datetime,
    ) -> tuple[Event[Any], InflightMarker]:
        channel = self.config.channel.value
        if isinstance(outcome, Accept):
            submission = outcome.submission
            event: Event[Any] = SubmissionReceived.new(
                submission,
                source=self.config.source,
                subject=submission.submission_id,
                time=submission.received_at,
                event_id=f"{channel}-{digest}",
            )
            return event, InflightMarker(
                sha256=digest,
                topic=topics.INTAKE,
                key=submission.submission_id,
                event_id=event.id,
                written_at=now,
                outcome="processed",
                members_hex=tuple(name_to_hex(n) for n in outcome.members),
            )
        raw = outcome.raw
        if raw is None and content is not None:
            raw = self._blobs.put(content, "application/octet-stream", _blob_name(unit.main))
        stored_as = free_name(self.folders.failed_dir, _failed_name(unit.main))
        source_ref = f"{channel}:sha256:{digest}"
        dead = DeadLetter(
            stage=self.config.stage,
            source_ref=source_ref,
            reason=outcome.reason[:100],
            detail=f"{display_name(unit.main)}: {outcome.detail}"[:10_000],
            received_at=received_at,
            raw=raw,
            raw_location=str(self.folders.failed_dir / stored_as)[:1000],
        )
        event = DeadLettered.new(
            dead,
            source=self.config.source,
            subject=source_ref,
            time=received_at,
            event_id=f"{channel}-{digest}-deadletter",
        )
        report = FailureReport(
            reason=dead.reason,
            detail=outcome.detail[:10_000],
            file=display_name(unit.main),
            file_name_hex=name_to_hex(unit.main),
            stored_as=stored_as,
            sha256=digest,
            members=tuple(display_name(n) for n in outcome.members),
            channel=channel,
            failed_at=now,
            dead_letter_event_id=event.id,
        )
        return event, InflightMarker(
            sha256=digest,
            topic=topics.DEADLETTER,
            key=source_ref,
            event_id=event.id,
            written_at=now,
            outcome="failed",
            members_hex=tuple(name_to_hex(n) for n in outcome.members),
            report=report,
        )

    def _finish(self, marker: InflightMarker) -> None:
        """Move the unit's files where they belong and clear the marker. Idempotent."""
        members = marker.members
        if marker.outcome == "processed" or marker.report is None:
            destination = self.folders.processed_dir(marker.written_at)
            for name in members:
                self.folders.move(name, destination)
        else:
            failed = self.folders.failed_dir
            main, others = members[0], members[1:]
            if os.path.lexists(self.folders.inbox / main):
                target = marker.report.stored_as
                if os.path.lexists(failed / target):
                    target = free_name(failed, target)
                report = marker.report.model_copy(update={"stored_as": target})
                self.folders.write_report(
                    failed / target, report.model_dump_json(indent=2).encode()
                )
                self.folders.move(main, failed, target)
            for name in others:
                self.folders.move(name, failed, _failed_name(name))
        self._ledger.clear(marker.sha256)

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


def _received_at(stat: FileStat | None, now: datetime) -> datetime:
    """The file's mtime (when it was complete in the inbox), never later than now: the
    same file read again after a restart gets the same time, hence the same event."""
    if stat is None:
        return now
    mtime = datetime.fromtimestamp(stat.mtime_ns // 1_000_000 / 1000, UTC)
    return min(mtime, now)


def _failed_name(name: str) -> str:
    return name if not unsafe_reason(name) else safe_name(name)


def _blob_name(name: str) -> str | None:
    return display_name(name)[:255] or None
