"""Faust's Kafka consumer, made to lose no message in a rebalance (faust-streaming 0.15.3).

`install(app)` gives the app this consumer; `build_app` does it. Why it is needed:

1. After a rebalance, Faust's `Recovery.on_recovery_completed` (faust/tables/recovery.py,
   0.15.3 lines 649-660) resumes the stream partitions while the fetcher still runs (it was
   restarted to read the changelogs), and only then awaits `Consumer.perform_seek()` to go
   back to the committed offsets, then `flow_control.resume()`, which empties every agent's
   queue. Messages fetched in between reach the agents' queues and are thrown away; the
   fetcher loop (`Consumer._drain_messages`, faust/transport/consumer.py lines 1200-1230)
   goes on handing out the rest of that batch after the seek and sets `_read_offset` to the
   last of them, so when the same offsets come again from the committed offset they are
   below `_read_offset` and dropped ("DROPPED MESSAGE ROFF"). Nobody reads them.
2. Faust then either stalls on them (`_new_offset`, lines 1097-1150, will not commit past a
   hole at the head) or commits past them: a jump in the offsets handed out counts as a
   gap (`_add_gap`, line 1215) and gaps are committed as if read; `_new_offset` has no head
   check at all while `_committed_offset` is None (between a revocation and the seek, and
   on a partition with no committed offset) and lets one missing message through when it
   has one (`min(acked) - committed_offset > 1`).
3. On a partition with no committed offset, aiokafka's `seek_to_committed` does not move
   (it seeks only to offsets above 0), so what was fetched before the rebalance is never
   fetched again.

This is faust-streaming issues #216 and #606 (also #221, #312), unfixed in 0.15.3, the last
release. The consumer here changes four things and nothing else:

- a seek first stops the flow (the caller resumes it, as every caller of `perform_seek`
  does right after) and is never run while a fetch is under way, and the fetcher loop stops
  handing out a batch fetched before a seek, putting back the read offset the seek set; a
  batch fetched while the flow is stopped is dropped without Faust's extra seek in the
  middle of the rebalance (the rebalance ends with one, which fetches it again);
- a partition with no committed offset is sought to its first offset (the app must read
  from "earliest", which `install` checks);
- gaps are what the fetch itself skipped (`processors.offsets.fetched`), not jumps in what
  the fetcher loop handed out;
- the offset to commit counts only from the committed offset, acknowledged offsets and
  those gaps (`processors.offsets.committable`).

One more, for speed: the changelog records of a batch fetched while the flow is active go
to the table recovery a partition at a time (`processors.recovery.BulkRecovery.take`), not
one by one through the fetcher loop and the conductor.

At worst a message is read twice, never lost: the stages are idempotent by event id. The
cost: a seek that stops the flow can cut short a batch of standby changelog records, which
a memory store (ours) does not mind, since a table taken over is read from its changelog's
start; a RocksDB store would keep the hole in its standby copy.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, ClassVar, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from processors.offsets import committable, fetched

FAUST_VERSION = "0.15.3"
_Records = Mapping[TP, list[Any]]


class SafeConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with the changes described in this module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fetch_lock = asyncio.Lock()
        self._seeks = 0  # how many seeks have started
        self._batch_seeks = 0  # how many had started when the last batch was fetched
        self._seeks_running = 0
        self._seek_read_offsets: dict[TP, int | None] = {}
        self._position: dict[TP, int] = {}  # where the next fetch of a partition starts
        self._base: dict[TP, int] = {}  # the committed offset, or the first one

    # -- seeking ---------------------------------------------------------------------

    async def perform_seek(self) -> None:
        """Go back to the committed offsets (the first offsets where none is committed)."""
        self._seeks += 1
        self._seeks_running += 1
        if self.flow_active:
            self.stop_flow()
        try:
            async with self._fetch_lock:
                committed: Mapping[TP, int | None] = await self.seek_to_committed()
                streams = {tp: o for tp, o in committed.items() if not self._is_changelog_tp(tp)}
                fresh = [tp for tp, offset in streams.items() if not offset]
                first: Mapping[TP, int] = {}
                if fresh:
                    first = await self.earliest_offsets(*fresh)
                    await self.seek_wait(first)
                read: dict[TP, int | None] = {
                    tp: o if o is not None and o >= 0 else None for tp, o in committed.items()
                }
                read.update({tp: o or None for tp, o in first.items()})
                self._read_offset.update(read)
                self._committed_offset.update(
                    {tp: o or None for tp, o in committed.items() if o is not None}
                )
                starts = {tp: o for tp, o in streams.items() if o} | dict(first)
                self._base.update(starts)
                self._position.update(starts)
                self._seek_read_offsets = read
        finally:
            self._seeks_running -= 1

    # Faust's signatures: `timeout` is its own.
    async def _getmany(
        self,
        active_partitions: set[TP] | None,
        timeout: float,  # noqa: ASYNC109
    ) -> _Records:
        async with self._fetch_lock:
            records: _Records = await super()._getmany(active_partitions, timeout)
            self._batch_seeks = self._seeks
            for tp, batch in records.items():
                if batch and not self._is_changelog_tp(tp):
                    self._note_fetched(tp, [r.offset for r in batch])
            return records

    async def _wait_next_records(
        self,
        timeout: float,  # noqa: ASYNC109
    ) -> tuple[_Records | None, set[TP] | None]:
        records, active = await super()._wait_next_records(timeout)
        if records and not self.flow_active:
            # Faust's `getmany` would seek to the committed offsets here, in the middle of
            # the rebalance (or of the seek) that stopped the flow, while partitions are
            # still being handed out. Every stop is followed by the seek that ends the
            # rebalance or the seek under way, which fetches these records again.
            return None, active
        if records and self.app.flow_control.is_active():
            # Where the conductor would deliver them one by one (flow active), and with no
            # await from the check to the last record applied.
            records = self._recover_in_bulk(records, active)
        return records, active

    def _recover_in_bulk(self, records: _Records, active: set[TP] | None) -> _Records:
        """Hand each changelog partition's records to the table recovery at once
        (`processors.recovery`); the records it leaves go Faust's own way."""
        recovery = getattr(self.app.tables, "recovery", None)
        take = getattr(recovery, "take", None)  # a BulkRecovery's
        if take is None:
            return records
        left: dict[TP, list[Any]] = {}
        for tp, batch in records.items():
            if (
                batch
                and (active is None or tp in active)
                and self._is_changelog_tp(tp)
                and take(tp, batch, self._to_message)
            ):
                # As the fetcher loop notes each record it hands out.
                self._read_offset[tp] = batch[-1].offset
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
            else:
                left[tp] = batch
        return left

    def _note_fetched(self, tp: TP, offsets: list[int]) -> None:
        batch = fetched(self._position.get(tp), offsets)
        gaps = self._gap[tp]
        for start, end in batch.gaps:
            gaps.addi(start, end)
        if batch.gaps:
            gaps.merge_overlaps()
        self._position[tp] = batch.next_position

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # noqa: ASYNC109
        """Faust's, but a batch fetched before a seek is not handed out after it."""
        batch = cast(AsyncGenerator[tuple[TP, Message], None], super().getmany(timeout))
        try:
            async for tp, message in batch:
                if self._batch_seeks != self._seeks:
                    return
                yield tp, message
                if self._batch_seeks != self._seeks:
                    # The fetcher loop has just noted this message as read, though a seek
                    # happened while it was handed over: put back the offset the seek set
                    # (a seek still running sets it when it ends).
                    if not self._seeks_running and tp in self._seek_read_offsets:
                        self._read_offset[tp] = self._seek_read_offsets[tp]
                    return
        finally:
            await batch.aclose()

    # -- gaps and commits ------------------------------------------------------------

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """A jump in what the fetcher loop handed out proves nothing (see the module)."""

    def _new_offset(self, tp: TP) -> int | None:
        base = self._base.get(tp)
        acked: list[int] = self._acked[tp]
        if base is None or not acked:
            return None
        gaps = self._gap[tp]
        n = committable(base, self._acked_index[tp], ((g.begin, g.end) for g in gaps))
        acked[:] = sorted(o for o in acked if o >= n)
        index = self._acked_index[tp]
        index.difference_update([o for o in index if o < n])
        gaps.chop(0, n)
        return n if n > base else None

    async def _commit_offsets(
        self, offsets: Mapping[TP, int], start_new_transaction: bool = True
    ) -> bool:
        did_commit: bool = await super()._commit_offsets(
            offsets, start_new_transaction=start_new_transaction
        )
        assignment = self.assignment()
        self._base.update({tp: o for tp, o in offsets.items() if tp in assignment})
        return did_commit

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self._base.pop(tp, None)
            self._position.pop(tp, None)
            self._seek_read_offsets.pop(tp, None)
        await super().on_partitions_revoked(revoked)


class SafeTransport(faust_aiokafka.Transport):
    Consumer: ClassVar[type[SafeConsumer]] = SafeConsumer


def install(app: faust.App) -> None:
    """Make `app` consume with `SafeConsumer`. Call it before anything uses the app's
    topics (they create the transport)."""
    installed = faust.__version__
    if installed != FAUST_VERSION:
        raise RuntimeError(
            f"processors.consumer is written against faust-streaming {FAUST_VERSION} "
            f"and {installed} is installed: check that its changes still apply"
        )
    if app.conf.consumer_auto_offset_reset != "earliest":
        raise ValueError("SafeConsumer seeks partitions with no committed offset to the first")
    app.transport = SafeTransport(app.conf.broker_consumer, app)
