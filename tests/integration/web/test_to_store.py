"""The thin end-to-end path: HTTP → complaints.intake → worker → complaints.cases → PostgreSQL."""

import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from schemas import SubmissionReceived, decode_event, topics
from tests.integration.web.conftest import WebIntake
from tests.support import drained, end_offsets, eventually, read_until

pytestmark = pytest.mark.integration


def intake_events_with(records: list, marker: str) -> list[SubmissionReceived]:  # type: ignore[type-arg]
    found = []
    for r in records:
        event = decode_event(r.value)
        if isinstance(event, SubmissionReceived) and marker in event.data.text:
            found.append(event)
    return found


async def test_a_posted_complaint_is_on_the_intake_topic(
    web_intake: WebIntake, kafka_bootstrap: str
) -> None:
    marker = uuid.uuid4().hex
    start = await end_offsets(kafka_bootstrap, topics.INTAKE)
    status, _, body = await web_intake.post(
        "/v1/complaints",
        json={
            "text": f"Il lampione di via Padova 44 è spento da una settimana {marker}",
            "channel": "contact_centre",
            "operator_id": "op-17",
            "citizen": {"name": "Maria Rossi", "phone": "+39 02 1234567"},
            "location": {"address": "Via Padova 44", "district": "Municipio 2"},
        },
    )
    assert status == 202, body
    tracking_id = body["tracking_id"]
    assert body["status_url"].endswith(f"/v1/complaints/{tracking_id}")

    records = await read_until(
        kafka_bootstrap, start, lambda rs: bool(intake_events_with(rs, marker))
    )
    [event] = intake_events_with(records, marker)
    assert event.data.submission_id == tracking_id
    assert event.data.channel == "contact_centre"
    assert event.data.operator_id == "op-17"
    assert event.data.location is not None
    assert event.data.location.district == "Municipio 2"
    [record] = [r for r in records if marker.encode() in r.value]
    assert record.key == tracking_id.encode(), "intake is keyed by submission id"


async def test_a_posted_complaint_reaches_postgresql_within_ten_seconds(
    web_intake: WebIntake, pg_pool: asyncpg.Pool, pipeline: dict[str, Path], kafka_bootstrap: str
) -> None:
    await drained(kafka_bootstrap, "sportello", topics.INTAKE)
    marker = uuid.uuid4().hex
    status, _, body = await web_intake.post(
        "/v1/complaints", json={"text": f"Buca pericolosa in viale Monza {marker}"}
    )
    assert status == 202

    async def stored() -> asyncpg.Record | None:
        return await pg_pool.fetchrow(
            "select c.case_id, c.status, c.snapshot from case_tracking_ids t"
            " join cases c using (case_id) where t.tracking_id = $1",
            body["tracking_id"],
        )

    try:
        row = await eventually(stored, timeout=10.0)
    except AssertionError:
        raise AssertionError(
            "no row within 10 s; worker log:\n" + pipeline["worker"].read_text()[-3000:]
        ) from None
    assert row["status"] in {"received", "assigned"}  # assigned, or waiting in triage
    assert marker in json.loads(row["snapshot"])["text"]
    snapshots = await pg_pool.fetchval(
        "select count(*) from case_events where case_id = $1 and type = 'sportello.case.updated'",
        row["case_id"],
    )
    assert snapshots >= 1, "the case's history holds its snapshots"


async def test_the_same_idempotency_key_gets_the_same_tracking_number(
    web_intake: WebIntake,
) -> None:
    key = uuid.uuid4().hex
    complaint = {"text": "Semaforo guasto all'incrocio di corso Buenos Aires"}
    first = await web_intake.post(
        "/v1/complaints", json=complaint, headers={"Idempotency-Key": key}
    )
    again = await web_intake.post(
        "/v1/complaints", json=complaint, headers={"Idempotency-Key": key}
    )
    other = await web_intake.post("/v1/complaints", json=complaint)
    assert first[0] == again[0] == other[0] == 202
    assert first[2]["tracking_id"] == again[2]["tracking_id"]
    assert other[2]["tracking_id"] != first[2]["tracking_id"]
