"""Idempotency-Key: a retry gets the same answer and publishes nothing new — across
restarts, under concurrent duplicates, per API client — and a key reused for another body
is refused; a 202 is only ever given for an event Kafka holds."""

import asyncio
import time

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from schemas import topics
from tests.integration.web.conftest import (
    WebIntake,
    black_hole,
    intake_start,
    published,
    settle_then_count,
    web_intake_running,
)
from tests.support import end_offsets, read_until

pytestmark = pytest.mark.integration


async def test_a_retry_publishes_exactly_one_event(
    web_intake: WebIntake, kafka_bootstrap: str, marker: str
) -> None:
    start = await intake_start(kafka_bootstrap)
    complaint = {"text": f"Semaforo guasto in corso Buenos Aires {marker}", "channel": "app"}
    answers = [
        await web_intake.post("/v1/complaints", json=complaint, headers={"Idempotency-Key": marker})
        for _ in range(3)
    ]
    assert [a[0] for a in answers] == [202, 202, 202]
    assert answers[0][2] == answers[1][2] == answers[2][2]
    assert "Idempotent-Replayed" not in answers[0][1]
    assert answers[1][1]["Idempotent-Replayed"] == "true"
    # The same body with keys spelt differently (RFC 8941 string) is the same key.
    quoted = await web_intake.post(
        "/v1/complaints", json=complaint, headers={"Idempotency-Key": f'"{marker}"'}
    )
    assert quoted[2] == answers[0][2]

    sentinel = f"sentinel {marker}"
    assert (await web_intake.post("/v1/complaints", json={"text": sentinel}))[0] == 202
    found = await settle_then_count(kafka_bootstrap, start, marker, sentinel)
    ours = [s for s in found if s.data.text != sentinel]
    assert len(ours) == 1
    assert ours[0].data.submission_id == answers[0][2]["tracking_id"]


async def test_the_answer_survives_a_restart_of_the_intake(
    kafka_bootstrap: str, marker: str
) -> None:
    start = await intake_start(kafka_bootstrap)
    complaint = {"text": f"Rifiuti abbandonati in via Padova {marker}"}
    headers = {"Idempotency-Key": marker}
    async with web_intake_running(kafka_bootstrap) as first:
        before = await first.post("/v1/complaints", json=complaint, headers=headers)
    async with web_intake_running(kafka_bootstrap) as second:  # a new process, same database
        after = await second.post("/v1/complaints", json=complaint, headers=headers)
        sentinel = f"sentinel {marker}"
        assert (await second.post("/v1/complaints", json={"text": sentinel}))[0] == 202
    assert before[0] == after[0] == 202
    assert before[2] == after[2]
    assert after[1]["Idempotent-Replayed"] == "true"
    found = await settle_then_count(kafka_bootstrap, start, marker, sentinel)
    assert len([s for s in found if s.data.text != sentinel]) == 1


async def test_concurrent_duplicates_publish_once(
    web_intake: WebIntake, kafka_bootstrap: str, marker: str
) -> None:
    start = await intake_start(kafka_bootstrap)
    complaint = {"text": f"Lampione spento in piazza Leonardo {marker}"}
    answers = await asyncio.gather(
        *(
            web_intake.post("/v1/complaints", json=complaint, headers={"Idempotency-Key": marker})
            for _ in range(8)
        )
    )
    statuses = sorted(a[0] for a in answers)
    assert set(statuses) <= {202, 409}, answers
    assert 202 in statuses
    assert len({a[2]["tracking_id"] for a in answers if a[0] == 202}) == 1
    for status, headers, _ in answers:
        if status == 409:
            assert headers["Retry-After"] == "1"
    sentinel = f"sentinel {marker}"
    assert (await web_intake.post("/v1/complaints", json={"text": sentinel}))[0] == 202
    found = await settle_then_count(kafka_bootstrap, start, marker, sentinel)
    assert len([s for s in found if s.data.text != sentinel]) == 1


async def test_a_key_reused_for_another_body_is_refused(web_intake: WebIntake, marker: str) -> None:
    headers = {"Idempotency-Key": marker}
    first = await web_intake.post("/v1/complaints", json={"text": f"one {marker}"}, headers=headers)
    other = await web_intake.post("/v1/complaints", json={"text": f"two {marker}"}, headers=headers)
    assert first[0] == 202
    assert other[0] == 422
    assert other[1]["Content-Type"].startswith("application/problem+json")
    assert "different request" in other[2]["detail"]
    # Key order and spacing do not make a different body.
    same = await web_intake.post(
        "/v1/complaints",
        data=f'{{ "channel" : "web", "text": "one {marker}" }}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert same[2] == first[2]


async def test_keys_are_per_client(kafka_bootstrap: str, marker: str) -> None:
    keys = {"comune-app": "app-key-0123456789", "contact-centre": "cc-key-0123456789"}
    complaint = {"text": f"Marciapiede rotto {marker}"}
    async with web_intake_running(kafka_bootstrap, api_keys=keys, key=keys["comune-app"]) as w:
        a = await w.post("/v1/complaints", json=complaint, headers={"Idempotency-Key": marker})
        w.key = keys["contact-centre"]
        b = await w.post("/v1/complaints", json=complaint, headers={"Idempotency-Key": marker})
    assert a[0] == b[0] == 202
    assert a[2]["tracking_id"] != b[2]["tracking_id"]


async def test_a_refused_publish_leaves_the_key_free(kafka_bootstrap: str, marker: str) -> None:
    complaint = {"text": f"Perdita d'acqua {marker}"}
    headers = {"Idempotency-Key": marker}
    server, address = await black_hole()
    try:
        async with web_intake_running(address, publish_timeout_s=0.5) as down:
            assert (await down.post("/v1/complaints", json=complaint, headers=headers))[0] == 503
    finally:
        server.close()
    start = await intake_start(kafka_bootstrap)
    async with web_intake_running(kafka_bootstrap) as up:
        status, _, body = await up.post("/v1/complaints", json=complaint, headers=headers)
    assert status == 202, body
    [event] = await published(kafka_bootstrap, start, marker, until=bool)
    assert event.data.submission_id == body["tracking_id"]


async def test_no_202_without_the_broker_s_ack(kafka_bootstrap: str) -> None:
    """A broker that accepts connections and never answers: the intake waits for the ack
    for its whole publish timeout and then refuses; it never answers early."""
    server, address = await black_hole()
    try:
        async with web_intake_running(address, publish_timeout_s=1.0) as intake:
            began = time.monotonic()
            status, _, _ = await intake.post("/v1/complaints", json={"text": "wait for it"})
            waited = time.monotonic() - began
    finally:
        server.close()
    assert status == 503
    assert waited >= 1.0


async def test_every_202_names_an_event_already_in_the_log(
    web_intake: WebIntake, kafka_bootstrap: str, marker: str
) -> None:
    """As soon as each 202 arrives, the broker's end offsets already cover the event."""
    start = await end_offsets(kafka_bootstrap, topics.INTAKE)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends_after: dict[str, dict[TopicPartition, int]] = {}
        for i in range(10):
            status, _, body = await web_intake.post(
                "/v1/complaints", json={"text": f"{i} {marker}"}
            )
            assert status == 202
            ends_after[body["tracking_id"]] = dict(await consumer.end_offsets(list(start)))
    finally:
        await consumer.stop()

    def ours(rs: list[ConsumerRecord[bytes, bytes]]) -> dict[str, ConsumerRecord[bytes, bytes]]:
        return {r.key.decode(): r for r in rs if marker.encode() in r.value}

    records = ours(await read_until(kafka_bootstrap, start, lambda rs: len(ours(rs)) >= 10))
    assert set(records) == set(ends_after)
    for tracking_id, record in records.items():
        tp = TopicPartition(record.topic, record.partition)
        assert record.offset < ends_after[tracking_id][tp], tracking_id
