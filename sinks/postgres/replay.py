"""`sportello replay`: rebuild the store from the topics, through the sink's own write path.

    report = await replay(pool, bootstrap, truncate=True)

The end offsets of every history topic are taken first; then, with `truncate`, the record's
tables are emptied (`store.RECORD_TABLES`: never `erased`, so erased data stays erased), and
a consumer in a fresh group reads every topic from the beginning up to those offsets into the
store, committing as the live sink does. Since every write is idempotent and independent of
batching, the rebuilt tables equal the live ones; without `truncate`, a replay changes
nothing at all. Messages published meanwhile are the live sink's to store.

Run it with the live sinks stopped, or expect status lookups to see a partial store until it
ends. A compacted `complaints.cases` has lost old snapshots after `min.compaction.lag.ms`:
the cases come back whole, and the history keeps the versions the topic still holds.
"""

import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sinks.postgres.health import SinkInstruments
from sinks.postgres.records import HISTORY_TOPICS
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import RECORD_TABLES, CaseStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayReport:
    group_id: str
    messages: int
    partitions: int
    seconds: float


async def history_end_offsets(
    bootstrap: str, pattern: str = HISTORY_TOPICS.pattern
) -> dict[TopicPartition, int]:
    """The end offset of every partition of every topic matching `pattern`, now."""
    matcher = re.compile(pattern)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = sorted(t for t in await admin.list_topics() if matcher.match(t))
        described = await admin.describe_topics(names) if names else []
    finally:
        await admin.close()
    tps = [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        for p in d["partitions"]
    ]
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def _start_group_at(
    bootstrap: str, group_id: str, start: Mapping[TopicPartition, int]
) -> None:
    """Commit `start` for a new group, so that it begins there instead of the beginning."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(start))
        await consumer.commit(dict(start))
    finally:
        await consumer.stop()


async def truncate_record(pool: asyncpg.Pool) -> None:
    await pool.execute(f"truncate table {', '.join(RECORD_TABLES)}")


async def replay(
    pool: asyncpg.Pool,
    bootstrap: str,
    *,
    truncate: bool,
    batch_size: int = 2000,
    pattern: str = HISTORY_TOPICS.pattern,
    start: Mapping[TopicPartition, int] | None = None,
    end: Mapping[TopicPartition, int] | None = None,
    group_id: str | None = None,
    instruments: SinkInstruments | None = None,
    decode_processes: int = 0,
) -> ReplayReport:
    """Read the history topics into the store up to `end` (default: the end offsets now).

    `start` begins some partitions later than the beginning (tests bound their reading so);
    `group_id` defaults to a fresh `sportello-replay-<random>` group.
    """
    began = time.monotonic()
    end = dict(end) if end is not None else await history_end_offsets(bootstrap, pattern)
    group = group_id or f"sportello-replay-{uuid.uuid4().hex[:12]}"
    if start:
        await _start_group_at(bootstrap, group, start)
    if truncate:
        await truncate_record(pool)
        log.info("replay: emptied %s", ", ".join(RECORD_TABLES))
    consumer = CaseSink.consumer(bootstrap, group, pattern=pattern)
    await consumer.start()
    sink = CaseSink(
        consumer,
        CaseStore(pool),
        batch_size=batch_size,
        instruments=instruments,
        decode_processes=decode_processes,
    )
    try:
        messages = await sink.run_until(end)
    finally:
        sink.close()
        await consumer.stop()
    report = ReplayReport(group, messages, len(end), time.monotonic() - began)
    log.info(
        "replay: %d messages from %d partitions in %.1f s (group %s)",
        report.messages,
        report.partitions,
        report.seconds,
        report.group_id,
    )
    return report
