"""The PostgreSQL sink: `complaints.cases` into the store, offsets committed after the data.

A batch is written in one database transaction and only then are its Kafka offsets
committed, so a crash between the two replays the batch, which the store absorbs (writes are
idempotent by event id). Nothing acknowledged by Kafka is lost; nothing is written twice.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from schemas import topics
from schemas.events import CaseUpdated, decode_event
from sinks.postgres.store import CaseStore

log = logging.getLogger(__name__)

_DB_ERRORS = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


def decode_batch(records: Sequence[ConsumerRecord[Any, Any]]) -> list[CaseUpdated]:
    """The case events of a batch. Anything else on the topic is logged and skipped: the
    worker dead-letters bad input before it reaches `complaints.cases`."""
    events = []
    for record in records:
        try:
            event = decode_event(record.value)
        except ValidationError as exc:
            log.error(
                "skipping unreadable message %s/%d@%d: %s",
                record.topic,
                record.partition,
                record.offset,
                exc.errors()[0]["msg"],
            )
            continue
        if isinstance(event, CaseUpdated):
            events.append(event)
    return events


class CaseSink:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        store: CaseStore,
        *,
        batch_size: int = 500,
        poll_ms: int = 200,
    ) -> None:
        self._consumer = consumer
        self._store = store
        self._batch_size = batch_size
        self._poll_ms = poll_ms

    @staticmethod
    def consumer(bootstrap: str, group_id: str) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topics.CASES,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )

    async def run_once(self) -> int:
        """Fetch one batch, store it, commit its offsets; return how many records it held."""
        batches = await self._consumer.getmany(
            timeout_ms=self._poll_ms, max_records=self._batch_size
        )
        records = [r for rs in batches.values() for r in rs]
        if not records:
            return 0
        events = decode_batch(records)
        delay = 0.5
        while True:
            try:
                await self._store.write(events)
                break
            except _DB_ERRORS as exc:
                # PostgreSQL is down or restarting: hold the batch and retry; Kafka keeps
                # the rest. Offsets are not committed, so a crash now replays the batch.
                log.warning("PostgreSQL unavailable (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        await self._consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batches.items() if rs})
        return len(records)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()
