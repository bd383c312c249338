"""One unit through the steps that make a crash harmless (see watcher.py for the order).

`UnitPipeline.process` reads the unit's main file, consults the ledger, asks the
channel's handler, writes the marker, publishes, and moves the files; it returns what
the watcher should do next: nothing (the unit is finished, or gone) or try again later.
"""

import asyncio
import hashlib
import logging
import os
import stat as stat_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestors.inbox.folders import InboxFolders, free_name, read_file, sha256_of_file
from ingestors.inbox.ledger import (
    FailureReport,
    InflightMarker,
    Ledger,
    name_to_hex,
    settle_until,
)
from ingestors.inbox.names import display_name, safe_name, unsafe_reason
from ingestors.inbox.ports import EventPublisher, WatcherConfig
from ingestors.inbox.published import PublishedCheck
from ingestors.inbox.stability import FileStat
from ingestors.inbox.units import (
    Accept,
    Job,
    Outcome,
    Reject,
    Rejection,
    Unit,
    UnitHandler,
    Wait,
)
from runtime.blobstore import BlobStore
from runtime.errors import BrokerUnavailable
from schemas import topics
from schemas.deadletter import DeadLetter
from schemas.events import DeadLettered, Event, SubmissionReceived

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Later:
    """Try the unit again in `delay_s`; `waiting` when a companion file is awaited."""

    delay_s: float
    waiting: bool = False


Step = InflightMarker | Later | None
"""Finished (the marker says how and where), try again later, or gone from the inbox."""


class UnitPipeline:
    def __init__(
        self,
        *,
        folders: InboxFolders,
        handler: UnitHandler,
        publisher: EventPublisher,
        published: PublishedCheck,
        blobs: BlobStore,
        config: WatcherConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.folders = folders
        self.config = config
        self._handler = handler
        self._publisher = publisher
        self._published = published
        self._blobs = blobs
        self._clock = clock
        self._ledger = Ledger(folders.inflight_dir)
        self._hashes_in_flight: set[str] = set()

    async def sweep_ledger(self) -> None:
        """Finish what a crash interrupted after a move began: a marker whose main file has
        left the inbox has its other files moved after it, if the broker has its event
        (moves follow the ack; a person may also have removed the file), and is cleared."""
        for marker in await asyncio.to_thread(self._ledger.all):
            present = await asyncio.to_thread(self._present, marker.members)
            if marker.members and marker.members[0] in present:
                continue  # handled when its unit comes up
            try:
                published = not present or await self._published.was_published(
                    marker.topic, marker.key, marker.event_id, marker.written_at
                )
            except BrokerUnavailable:
                log.warning("cannot check %s now; leaving its marker", marker.event_id)
                continue
            if published:
                await asyncio.to_thread(self._finish, marker)

    def _present(self, names: tuple[str, ...]) -> list[str]:
        return [n for n in names if os.path.lexists(self.folders.inbox / n)]

    async def process(
        self,
        unit: Unit,
        stat: FileStat | None,
        *,
        give_up: Rejection | None = None,
        waited_s: float = 0.0,
    ) -> Step:
        """Take one unit through steps 2-6 (see watcher.py); `stat` is the main file's, or
        None for a file that is not a regular file. `give_up` refuses the unit as is."""
        path = self.folders.inbox / unit.main
        content: bytes | None = None
        if stat is None:
            # Not a regular file when listed, or not in the latest listing: look again.
            try:
                stat = await asyncio.to_thread(_regular_stat, path)
            except FileNotFoundError:
                return None
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
                return None  # gone since the scan: whoever took it has it
        if digest in self._hashes_in_flight:
            # The same content under two names: one at a time, so markers do not collide.
            return Later(1.0)
        self._hashes_in_flight.add(digest)
        try:
            return await self._process_content(unit, stat, content, digest, give_up, waited_s)
        finally:
            self._hashes_in_flight.discard(digest)

    async def _process_content(
        self,
        unit: Unit,
        stat: FileStat | None,
        content: bytes | None,
        digest: str,
        give_up: Rejection | None,
        waited_s: float,
    ) -> Step:
        now = self._clock()
        marker = await asyncio.to_thread(self._ledger.get, digest)
        if marker is not None:
            due = settle_until(marker, self.config.settle_s)
            if now < due:
                return Later((due - now).total_seconds())
            if await self._published.was_published(
                marker.topic, marker.key, marker.event_id, marker.written_at
            ):
                log.info(
                    "%s was published before a restart; finishing the move", display_name(unit.main)
                )
                await asyncio.to_thread(self._finish, marker)
                return marker
        received_at = _received_at(stat, now)
        outcome = await self._outcome(unit, content, digest, received_at, give_up, waited_s)
        if isinstance(outcome, Wait):
            log.info("%s waits: %s", display_name(unit.key), outcome.reason)
            return Later(outcome.retry_in_s, waiting=True)
        event, fresh = await asyncio.to_thread(
            self._prepare, unit, outcome, content, digest, received_at, now
        )
        await asyncio.to_thread(self._ledger.put, fresh)
        await self._publisher.publish(fresh.topic, event, key=fresh.key)
        await asyncio.to_thread(self._finish, fresh)
        return fresh

    async def _outcome(
        self,
        unit: Unit,
        content: bytes | None,
        digest: str,
        received_at: datetime,
        give_up: Rejection | None,
        waited_s: float,
    ) -> Outcome:
        rejection = unit.rejection or give_up
        if rejection is not None:
            return Reject(rejection.reason, rejection.detail, unit.names)
        if content is None:
            return Reject(
                "too_large",
                f"larger than {self.config.max_file_bytes} bytes; not read",
                unit.names,
            )
        job = Job(unit, self.folders.inbox, content, digest, received_at, waited_s)
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


def _regular_stat(path: Path) -> FileStat | None:
    """The file's stat if it is a regular file, None if it is a link, FIFO or device."""
    st = os.lstat(path)
    return FileStat(st.st_size, st.st_mtime_ns) if stat_module.S_ISREG(st.st_mode) else None


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
