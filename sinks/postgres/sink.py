"""The PostgreSQL sink: every history topic into the store, offsets committed after the data.

A batch is written in one database transaction and only then are its Kafka offsets
committed, so a crash between the two replays the batch, which the store absorbs (every write
is idempotent). Nothing acknowledged by Kafka is lost; nothing is written twice.

Each message's fate is decided here, in one place:
- stored: it is an event, written with the rest of its batch;
- dead-lettered: it cannot be read, or PostgreSQL refuses its data (a NUL character, say);
  it is written to `dead_letters` under its topic/partition@offset, and the stream goes on;
- retried: PostgreSQL is down, restarting, or in a deadlock; the batch is held and written
  again, with a growing pause, and Kafka keeps the rest. An error that is not about the data
  (a missing table, a lost permission) is retried the same way, never dead-lettered.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from sinks.postgres.health import SinkInstruments
from sinks.postgres.records import (
    HISTORY_TOPICS,
    Message,
    Read,
    Rows,
    read_message,
    rejected,
    rows_for,
    rows_of_messages,
)
from sinks.postgres.store import CaseStore

log = logging.getLogger(__name__)

# PostgreSQL refuses the data itself: worth finding the one message and dead-lettering it.
_REFUSED = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
    UnicodeError,
)

OnStored = Callable[[Sequence[Message], float], None]
"""Called after each batch is committed, with its messages and the commit time (epoch s)."""


@dataclass(frozen=True)
class _Batch:
    messages: list[Message]
    rows: Rows
    offsets: dict[TopicPartition, int]
    read_at: float


class _Abandoned(Exception):
    """Asked to stop while a batch could not be stored."""


class _Refused(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def as_message(record: ConsumerRecord[Any, Any]) -> Message:
    return Message(record.topic, record.partition, record.offset, record.timestamp, record.value)


class CaseSink:
    """One consumer's loop: fetch a batch, store it, commit its offsets.

    Run several in one consumer group to share the partitions. `run` goes on until `stop`;
    `run_until` stops at given end offsets (a replay).
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        store: CaseStore,
        *,
        batch_size: int = 500,
        poll_ms: int = 200,
        instruments: SinkInstruments | None = None,
        on_stored: OnStored | None = None,
        retry_max_s: float = 5.0,
        decode_processes: int = 0,
    ) -> None:
        """`decode_processes` > 0 decodes batches in that many processes of their own (for
        throughput on several cores; call `close` at the end); 0 decodes in a thread."""
        self._consumer = consumer
        self._store = store
        self._batch_size = batch_size
        self._poll_ms = poll_ms
        self._instruments = instruments
        self._on_stored = on_stored
        self._retry_max_s = retry_max_s
        self._until: Mapping[TopicPartition, int] | None = None
        self._next: dict[TopicPartition, int] = {}
        self._stop: asyncio.Event | None = None
        self._decoders = (
            ProcessPoolExecutor(decode_processes, mp_context=multiprocessing.get_context("spawn"))
            if decode_processes > 0
            else None
        )

    def close(self) -> None:
        """Stop the decoding processes, if any."""
        if self._decoders is not None:
            self._decoders.shutdown(cancel_futures=True)

    @staticmethod
    def consumer(
        bootstrap: str, group_id: str, *, pattern: str = HISTORY_TOPICS.pattern
    ) -> AIOKafkaConsumer:
        """A consumer of every topic matching `pattern` (new routed topics are picked up),
        committing only what the sink commits, starting from the beginning for a new group."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            metadata_max_age_ms=30_000,
        )
        consumer.subscribe(pattern=pattern)
        return consumer

    async def run_once(self) -> int:
        """Fetch one batch, store it, commit its offsets; return how many messages it held."""
        batch = await self._fetch()
        return await self._store_batch(batch) if batch is not None else 0

    async def run(self, stop: asyncio.Event) -> None:
        """Store batches until `stop`; the batch in flight is stored and committed first."""

        async def stopping() -> bool:
            return stop.is_set()

        await self._pipeline(stopping, stop)

    async def run_until(
        self, end: Mapping[TopicPartition, int], stop: asyncio.Event | None = None
    ) -> int:
        """Consume until every partition of `end` is read up to its end offset, and no
        further; return how many messages were stored."""

        async def done() -> bool:
            return (stop is not None and stop.is_set()) or await self._reached(end)

        self._until = end
        try:
            return await self._pipeline(done, stop)
        finally:
            self._until = None

    async def _pipeline(
        self, done: Callable[[], Awaitable[bool]], stop: asyncio.Event | None
    ) -> int:
        """Read and decode the next batch while the database stores the previous one: the
        decoding is Python's work, the storing mostly PostgreSQL's. Batches are stored and
        committed one after the other, in order. Asked to stop while PostgreSQL cannot take a
        batch, it gives up on it uncommitted: whoever reads the partitions next stores it."""
        self._stop = stop
        stored = 0
        writing: asyncio.Task[int] | None = None
        try:
            while not await done():
                batch = await self._fetch()
                if writing is not None:
                    stored += await writing
                    writing = None
                if batch is not None:
                    writing = asyncio.create_task(self._store_batch(batch))
            if writing is not None:
                stored += await writing
        except _Abandoned:
            log.warning("stopped with a batch not stored; its offsets stay uncommitted")
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError, _Abandoned):
                    await writing
            self._stop = None
        return stored

    async def _fetch(self) -> "_Batch | None":
        batches = await self._consumer.getmany(
            timeout_ms=self._poll_ms, max_records=self._batch_size
        )
        if self._until is not None:
            batches = self._bounded(batches)
        records = [r for rs in batches.values() for r in rs]
        if not records:
            return None
        messages = [as_message(r) for r in records]
        # Elsewhere than the event loop, which meanwhile feeds PostgreSQL the previous batch.
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(self._decoders, rows_of_messages, messages)
        return _Batch(
            messages,
            rows,
            {tp: rs[-1].offset + 1 for tp, rs in batches.items() if rs},
            time.monotonic(),
        )

    async def _store_batch(self, batch: "_Batch") -> int:
        rows = await self._write(batch.messages, batch.rows)
        await self._commit(batch.offsets)
        self._next.update(batch.offsets)
        self._observe(batch.messages, batch.rows.rejected, rows, time.monotonic() - batch.read_at)
        return len(batch.messages)

    def _bounded(
        self, batches: dict[TopicPartition, list[ConsumerRecord[Any, Any]]]
    ) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        assert self._until is not None
        kept = {}
        for tp, rs in batches.items():
            end = self._until.get(tp, 0)
            inside = [r for r in rs if r.offset < end]
            if len(inside) < len(rs):
                self._consumer.pause(tp)
            if inside:
                kept[tp] = inside
        return kept

    async def _reached(self, end: Mapping[TopicPartition, int]) -> bool:
        assigned = self._consumer.assignment()
        for tp, offset in end.items():
            if offset <= 0:
                continue
            if tp not in assigned or await self._consumer.position(tp) < offset:
                return False
        return True

    async def _write(self, messages: Sequence[Message], rows: Rows | None = None) -> int:
        """Store `messages` (whose rows, computed ahead, are `rows`); return the rows written."""
        try:
            return await self._write_retrying(messages, rows)
        except _Refused as refused:
            if len(messages) == 1:
                message = messages[0]
                log.error("PostgreSQL refused %s: %s", message.location, refused.cause)
                letter = rejected(message, "store_rejected", str(refused.cause))
                return await self._write_retrying([], rows_for([letter], frozenset()))
            # Find the message PostgreSQL refuses; the others are stored, in their order.
            middle = len(messages) // 2
            return await self._write(messages[:middle]) + await self._write(messages[middle:])

    async def _write_retrying(self, messages: Sequence[Message], rows: Rows | None) -> int:
        reads: list[Read] = []

        def read() -> list[Read]:
            if not reads:
                reads.extend(read_message(m) for m in messages)
            return reads

        if rows is None:
            rows = rows_for(read(), frozenset())
        delay = 0.2
        while True:
            try:
                return await self._store.write_rows(rows, read)
            except _REFUSED as exc:
                raise _Refused(exc) from exc
            except (
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,
                OSError,
            ) as exc:
                # Down, restarting, a deadlock, or a schema problem: hold the batch; Kafka keeps
                # the rest. Offsets are not committed, so a crash now replays the batch.
                if self._instruments:
                    self._instruments.database_errors.labels(type(exc).__name__).inc()
                log.warning(
                    "cannot store a batch (%s: %s); retrying in %.1f s",
                    type(exc).__name__,
                    exc,
                    delay,
                )
                if await self._stopped_within(delay):
                    raise _Abandoned from exc
                delay = min(delay * 2, self._retry_max_s)

    async def _stopped_within(self, seconds: float) -> bool:
        if self._stop is None:
            await asyncio.sleep(seconds)
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            # Stored already: whoever gets these partitions reads the batch again, and the
            # store absorbs it.
            if self._instruments:
                self._instruments.commit_failures.inc()
            log.warning("offset commit failed after the batch was stored: %s", exc)

    def _observe(
        self, messages: Sequence[Message], rejected: Sequence[str], rows: int, seconds: float
    ) -> None:
        now = time.time()
        if self._on_stored is not None:
            self._on_stored(messages, now)
        inst = self._instruments
        if inst is None:
            return
        inst.batches.inc()
        inst.last_commit.set(now)
        inst.batch_seconds.observe(seconds)
        for m in messages:
            inst.messages.labels(m.topic).inc()
            inst.ingest_to_db_seconds.observe(max(0.0, now - m.timestamp_ms / 1000))
        for reason in rejected:
            inst.dead_letters.labels(reason).inc()
        inst.rows.inc(rows)
        lag = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is not None and tp in self._next:
                lag[(tp.topic, tp.partition)] = max(0, highwater - self._next[tp])
        inst.set_lag(lag)
