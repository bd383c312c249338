"""Replays change nothing, and a replay from nothing rebuilds what the live sink wrote.

The stream is real service requests turned into case histories (tests/.../histories.py),
with what a real stream has: redeliveries, a webhook retry under a new event id, SLA alerts
on two topics, follow-ups on the intake and forwarded to the owner, merges, dead letters,
and messages nobody can read.
"""

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from schemas.events import Event, FollowUpReceived, SlaAlerted
from sinks.postgres.records import Message, dead_letter_id, read_message
from sinks.postgres.replay import history_end_offsets, replay
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import RECORD_TABLES, CaseStore
from tests.integration.record.histories import Request, dead_letters, histories
from tests.integration.record.streams import PrivateTopics, publish_raw
from tests.integration.record.tables import counts, dump, expected_counts
from tests.support import eventually

pytestmark = pytest.mark.integration


def feed_of(requests: list[Request], salt: str) -> list[tuple[str, Event[Any]]]:
    shift = timedelta(days=random.Random(salt).randrange(3000, 6000))
    feed = [item for h in histories(requests, salt=salt, shift=shift) for item in h.published]
    return feed + dead_letters(requests, salt=salt, shift=shift, every=40)


async def committed(bootstrap: str, group: str) -> dict[Any, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


async def test_replays_change_nothing_and_rebuild_what_the_live_sink_wrote(
    db: asyncpg.Pool, topics: PrivateTopics, nyc_requests: list[Request]
) -> None:
    feed = feed_of(nyc_requests[:400], uuid.uuid4().hex[:8])
    group = f"test-live-{uuid.uuid4().hex[:8]}"
    consumer = CaseSink.consumer(topics.bootstrap, group, pattern=topics.pattern)
    await consumer.start()
    sink = CaseSink(consumer, CaseStore(db), batch_size=37, poll_ms=50)
    stop = asyncio.Event()
    live = asyncio.create_task(sink.run(stop))
    try:
        # Published while the sink runs, so that it stores them in batches as they come.
        for i in range(0, len(feed), 300):
            await topics.publish(feed[i : i + 300])
            await asyncio.sleep(0.05)
        await publish_raw(
            topics.bootstrap,
            [
                (topics.name("complaints.cases"), b"CASE-BAD", b'{"type": "no such thing"}'),
                (topics.name("complaints.intake"), b"SP-EMPTY", None),
            ],
        )
        end = await history_end_offsets(topics.bootstrap, topics.pattern)

        async def caught_up() -> bool:
            done = await committed(topics.bootstrap, group)
            return all(done.get(tp, 0) >= offset for tp, offset in end.items() if offset)

        await eventually(caught_up, timeout=60)
    finally:
        stop.set()
        await live
        await consumer.stop()
    written = await dump(db)

    # What the stream holds, counted without the sink: one row per fact.
    expected = expected_counts(feed)
    expected["dead_letters"] += 2  # the two unreadable messages
    assert counts(written) == expected

    # One row per event wherever it was seen; copies complete it.
    alert = next(e for _, e in feed if isinstance(e, SlaAlerted))
    row = await db.fetchrow("select topics from case_events where event_id = $1", alert.id)
    assert row["topics"] == sorted(
        [topics.name("complaints.sla"), topics.name(f"complaints.routed.{alert.data.body}")]
    )
    follow = next(e for _, e in feed if isinstance(e, FollowUpReceived))
    row = await db.fetchrow(
        "select case_id, topics from case_events where event_id = $1", follow.id
    )
    assert row["case_id"] is not None and len(row["topics"]) == 2
    # The unreadable messages are dead letters named after where they are, as the worker
    # names them.
    bad = Message(topics.name("complaints.cases"), 0, 0, 0, b"x")
    assert read_message(bad).__class__.__name__ == "Rejected"
    reasons = {r["reason"] for r in await db.fetch("select reason from dead_letters")}
    assert {"invalid_event", "empty_message"} <= reasons
    assert dead_letter_id("a/0@1") != dead_letter_id("a/0@2")

    # A replay into the same tables writes nothing new and changes nothing.
    await replay(db, topics.bootstrap, truncate=False, pattern=topics.pattern, batch_size=500)
    assert await dump(db) == written

    # A replay from nothing, with other batches, rebuilds the same tables.
    await replay(db, topics.bootstrap, truncate=True, pattern=topics.pattern, batch_size=1000)
    assert await dump(db) == written


async def test_the_tables_do_not_depend_on_how_the_stream_is_cut_or_interleaved(
    private_cluster: Any, nyc_requests: list[Request]
) -> None:
    """Whatever the batches and however the partitions interleave (each keeping its order),
    the store ends the same: the merge rules are order-independent."""
    feed = feed_of(nyc_requests[:60], uuid.uuid4().hex[:8])
    # Messages as partitions would hold them: one partition per topic and key.
    lanes: dict[tuple[str, str], list[Message]] = {}
    for n, (topic, event) in enumerate(feed):
        lanes.setdefault((topic, event.subject), []).append(
            Message(topic, 0, n, 1_700_000_000_000, event.to_json())
        )
    reference = None
    for seed in range(8):
        rng = random.Random(seed)
        queues = [list(q) for q in lanes.values()]
        order: list[Message] = []
        while queues:
            q = rng.choice(queues)
            order.append(q.pop(0))
            if not q:
                queues.remove(q)
        dsn = await private_cluster.new_database()
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        try:
            store = CaseStore(pool)
            i = 0
            while i < len(order):
                size = rng.choice([1, 2, 7, 50, 300])
                await store.write([read_message(m) for m in order[i : i + size]])
                i += size
            tables = await dump(pool)
        finally:
            await pool.close()
        if reference is None:
            reference = tables
            assert all(reference[t] for t in RECORD_TABLES if t != "dead_letters")
        for table in RECORD_TABLES:
            assert tables[table] == reference[table], f"{table} differs with seed {seed}"
