"""What the pipeline did with a run's submissions, read from where it put them: the
PostgreSQL store (cases, history, submissions; written by the sink) and the routed and
triage topics (written by the worker).

Ingest time is the intake's: the `time` of the `SubmissionReceived` envelope (a
CloudEvents header attribute), which the sink stores as `submissions.received_at`. Routed
time is the Kafka timestamp of the case's first assignment or triage record; database
time is when the sink's transaction stored the case's first snapshot
(`case_events.recorded_at`). All three clocks are this machine's.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from processors.bodies import load_bodies
from schemas import topics
from schemas.case import case_id_for

ROUTING_TYPES = ("sportello.case.assigned", "sportello.case.triaged")


def routing_topics() -> list[str]:
    return [topics.routed(b.id) for b in load_bodies()] + [topics.TRIAGE]


async def end_offsets(bootstrap: str, names: Iterable[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def scan(
    bootstrap: str, start: dict[TopicPartition, int], visit: Callable[[Any], None]
) -> None:
    """Call `visit` with every record from `start` up to the ends the partitions had when
    the scan began."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = list(start)
        consumer.assign(tps)
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > start[tp]}
        while pending:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=500)).items():
                for r in records:
                    if r.offset < ends[tp]:
                        visit(r)
                    if r.offset + 1 >= ends[tp]:
                        pending.discard(tp)
    finally:
        await consumer.stop()


async def routed_times(
    bootstrap: str, start: dict[TopicPartition, int], case_ids: set[str]
) -> dict[str, float]:
    """Case id -> Kafka timestamp (seconds) of its first assignment or triage record, read
    from `start` to the current ends."""
    out: dict[str, float] = {}

    def visit(r: Any) -> None:
        key = (r.key or b"").decode()
        if key in case_ids and json.loads(r.value)["type"] in ROUTING_TYPES:
            out[key] = min(out.get(key, r.timestamp / 1000), r.timestamp / 1000)

    await scan(bootstrap, start, visit)
    return out


async def deliveries(bootstrap: str, case_ids: set[str]) -> Counter[str]:
    """How often each SLA alert (by event id) of `case_ids` is on complaints.sla."""
    out: Counter[str] = Counter()

    def visit(r: Any) -> None:
        if (r.key or b"").decode() in case_ids:
            out[json.loads(r.value)["id"]] += 1

    start = {tp: 0 for tp in await end_offsets(bootstrap, [topics.SLA])}
    await scan(bootstrap, start, visit)
    return out


@dataclass(frozen=True)
class CaseFacts:
    """What the expected SLA alerts of a stored case depend on."""

    case_id: str
    category: str | None
    body: str | None
    legal_receipt_at: datetime
    assigned_at: datetime | None


@dataclass(frozen=True)
class Stored:
    """A run's submissions as stored: see `ledger.account` for what each field feeds."""

    cases: dict[str, list[str]]  # case id -> tracking ids
    routings: dict[str, int]  # case id -> assignment and triage rows
    submission_rows: dict[str, int]  # tracking id -> rows
    ingested: dict[str, float]  # tracking id -> received_at (epoch seconds)
    stored_at: dict[str, float]  # case id -> first snapshot's recorded_at (epoch seconds)
    alerts: list[tuple[str, str, str, str]]  # (case id, clock, kind, alert id)
    facts: list[CaseFacts]


async def stored(dsn: str, tracking_ids: Sequence[str]) -> Stored:
    """Everything the store holds about `tracking_ids` and the cases they opened (case ids
    are derived from the first tracking id: `case_id_for`)."""
    ids = list(tracking_ids)
    own_cases = [case_id_for(t) for t in ids]
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "select case_id, snapshot->'tracking_ids' as t from cases"
            " where case_id = any($1) or snapshot->'tracking_ids' ?| $2",
            own_cases,
            ids,
        )
        cases = {r["case_id"]: json.loads(r["t"]) for r in rows}
        routings = dict(
            await conn.fetch(
                "select case_id, count(*) from case_events"
                " where type = any($2) and case_id = any($1) group by case_id",
                list(cases),
                list(ROUTING_TYPES),
            )
        )
        subs = await conn.fetch(
            "select submission_id, count(*) n, min(received_at) r from submissions"
            " where submission_id = any($1) group by submission_id",
            ids,
        )
        first = await conn.fetch(
            "select case_id, min(recorded_at) t from case_events"
            " where type = 'sportello.case.updated' and case_id = any($1) group by case_id",
            list(cases),
        )
        alerts = await conn.fetch(
            "select case_id, event->'data'->>'clock' c, event->'data'->>'kind' k, event_id"
            " from case_events where type = 'sportello.sla.alert' and case_id = any($1)",
            list(cases),
        )
        facts = await conn.fetch(
            "select c.case_id, c.category, c.body, c.legal_receipt_at,"
            " (select min(e.time) from case_events e where e.case_id = c.case_id"
            "  and e.type = 'sportello.case.assigned') as assigned"
            " from cases c where c.case_id = any($1)",
            list(cases),
        )
    finally:
        await conn.close()
    return Stored(
        cases=cases,
        routings={str(k): int(v) for k, v in routings.items()},
        submission_rows={r["submission_id"]: r["n"] for r in subs},
        ingested={r["submission_id"]: r["r"].timestamp() for r in subs},
        stored_at={r["case_id"]: r["t"].timestamp() for r in first},
        alerts=[(r["case_id"], r["c"], r["k"], r["event_id"]) for r in alerts],
        facts=[
            CaseFacts(r["case_id"], r["category"], r["body"], r["legal_receipt_at"], r["assigned"])
            for r in facts
        ],
    )


async def stored_count(conn: asyncpg.Connection, tracking_ids: Sequence[str]) -> int:
    """How many of `tracking_ids` are in a stored case (cheap: an index lookup each)."""
    n = await conn.fetchval(
        "select count(*) from case_tracking_ids where tracking_id = any($1)", list(tracking_ids)
    )
    return int(n)
