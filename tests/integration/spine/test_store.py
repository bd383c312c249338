"""The PostgreSQL side: migrations, idempotent writes, and replays that change nothing."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from runtime.publisher import Publisher
from schemas import Channel, Submission, SubmissionReceived, topics, tracking_id_for
from schemas.case import CaseSnapshot, CaseStatus, case_id_for
from schemas.events import CaseUpdated
from sinks.postgres.migrate import load_migrations, migrate
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import CaseStore
from tests.support import drained, end_offsets, eventually

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LIVE_SINK_GROUP = "sportello-sink-postgres"
TABLES = {
    "cases": "select case_id, version, status, snapshot::text from cases",
    "case_events": "select event_id, case_id, type, event::text, recorded_at from case_events",
    "case_tracking_ids": "select tracking_id, case_id from case_tracking_ids",
}


def a_submission(marker: str) -> Submission:
    ref = f"test:{marker}"
    return Submission(
        submission_id=tracking_id_for(Channel.WEB, ref),
        channel=Channel.WEB,
        idempotency_ref=ref,
        received_at=NOW,
        legal_receipt_at=NOW,
        text=f"Rifiuti non raccolti {marker}",
    )


def a_case(marker: str) -> CaseUpdated:
    s = a_submission(marker)
    snapshot = CaseSnapshot(
        case_id=case_id_for(s.submission_id),
        version=1,
        status=CaseStatus.RECEIVED,
        tracking_ids=(s.submission_id,),
        channels=(s.channel,),
        opened_at=NOW,
        legal_receipt_at=NOW,
        updated_at=NOW,
        text=s.text,
    )
    return CaseUpdated.new(
        snapshot, source="/t", subject=snapshot.case_id, time=NOW, event_id=f"{snapshot.case_id}@1"
    )


async def dump(pool: asyncpg.Pool) -> dict[str, set[tuple[object, ...]]]:
    return {name: {tuple(r) for r in await pool.fetch(sql)} for name, sql in TABLES.items()}


async def test_migrations_apply_once(pg_pool: asyncpg.Pool) -> None:
    async with pg_pool.acquire() as conn:
        assert await migrate(conn) == []
        versions = await conn.fetch("select version from schema_migrations order by version")
    assert {m.version for m in load_migrations()} <= {r["version"] for r in versions}


async def test_writing_the_same_events_again_changes_nothing(pg_pool: asyncpg.Pool) -> None:
    store = CaseStore(pg_pool)
    event = a_case(uuid.uuid4().hex)
    await store.write([event])
    before = await dump(pg_pool)
    await store.write([event, event])
    assert await dump(pg_pool) == before


async def test_an_older_snapshot_never_overwrites_a_newer_one(pg_pool: asyncpg.Pool) -> None:
    store = CaseStore(pg_pool)
    v1 = a_case(uuid.uuid4().hex)
    v2_data = v1.data.model_copy(
        update={"version": 2, "status": CaseStatus.ASSIGNED, "updated_at": NOW + timedelta(1)}
    )
    v2 = CaseUpdated.new(
        v2_data, source="/t", subject=v1.subject, time=NOW, event_id=f"{v1.subject}@2"
    )
    await store.write([v2])
    await store.write([v1])
    row = await pg_pool.fetchrow("select version, status from cases where case_id = $1", v1.subject)
    assert (row["version"], row["status"]) == (2, "assigned")
    assert (
        await pg_pool.fetchval("select count(*) from case_events where case_id = $1", v1.subject)
        == 2
    )


async def sink_group_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(LIVE_SINK_GROUP)
    except KafkaError:  # the group's coordinator is not known yet
        return {}
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in committed.items()}


async def test_replaying_the_cases_topic_leaves_the_database_unchanged(
    pg_pool: asyncpg.Pool, kafka_bootstrap: str, pipeline: dict[str, Path]
) -> None:
    await drained(kafka_bootstrap, "sportello", topics.INTAKE)
    # Some cases of our own through the live pipeline, so the topic is never empty.
    publisher = Publisher(kafka_bootstrap, client_id="test-replay")
    marker = uuid.uuid4().hex
    ids = []
    try:
        for i in range(3):
            s = a_submission(f"{marker}-{i}")
            ids.append(s.submission_id)
            event = SubmissionReceived.new(s, source="/test", subject=s.submission_id, time=NOW)
            await publisher.publish(topics.INTAKE, event)
    finally:
        await publisher.stop()

    async def ours_stored() -> bool:
        n = await pg_pool.fetchval(
            "select count(*) from case_tracking_ids where tracking_id = any($1)", ids
        )
        return bool(n == len(ids))

    await eventually(ours_stored, timeout=20)
    end = await end_offsets(kafka_bootstrap, topics.CASES)

    async def live_sink_caught_up() -> bool:
        committed = await sink_group_offsets(kafka_bootstrap)
        return all(committed.get(tp, 0) >= offset for tp, offset in end.items() if offset)

    await eventually(live_sink_caught_up, timeout=30)
    before = await dump(pg_pool)

    # A fresh consumer group reads the whole topic from the start into the same store.
    consumer = CaseSink.consumer(kafka_bootstrap, f"replay-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        sink = CaseSink(consumer, CaseStore(pg_pool), batch_size=200)
        replayed = 0
        deadline = asyncio.get_running_loop().time() + 60
        while replayed < sum(end.values()) and asyncio.get_running_loop().time() < deadline:
            replayed += await sink.run_once()
    finally:
        await consumer.stop()
    assert replayed >= sum(end.values())

    after = await dump(pg_pool)
    for table, rows in before.items():
        # Other tests may add rows meanwhile; what existed must be exactly as it was.
        assert rows <= after[table], f"replay changed or removed rows of {table}"
