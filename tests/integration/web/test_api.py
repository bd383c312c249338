"""The JSON API's happy paths: signed callers, attachments in the blob store, and the
status lookup from the case store (and, before the case exists, from the intake)."""

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from ingestors.web.auth import CLIENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ingestors.web.receipts import ReceiptStore
from runtime.blobstore import BlobStore
from schemas import Channel, topics, tracking_id_for
from tests.integration.web.conftest import (
    WebIntake,
    intake_start,
    published,
    web_intake_running,
)
from tests.support import drained, eventually

pytestmark = pytest.mark.integration


async def test_a_signed_request_is_accepted_as_its_client(
    kafka_bootstrap: str, marker: str
) -> None:
    key = "signing-key-0123456789"
    async with web_intake_running(kafka_bootstrap, api_keys={"portale": key}) as intake:
        body = json.dumps({"text": f"Firmato {marker}", "channel": "app"}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": marker,
            CLIENT_HEADER: "portale",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(key.encode(), timestamp, "POST", "/v1/complaints", body),
        }
        async with intake.session.post(
            intake.url + "/v1/complaints", data=body, headers=headers
        ) as r:
            assert r.status == 202, await r.text()
            answer = await r.json()
        # The key's namespace is the signing client's: the id says so.
        expected = tracking_id_for(Channel.APP, f"key:portale:{marker}")
        assert answer["tracking_id"] == expected
        # The same signature over another body is refused.
        async with intake.session.post(
            intake.url + "/v1/complaints",
            data=body.replace(b"Firmato", b"Falso"),
            headers=headers,
        ) as r:
            assert r.status == 401


async def test_attachments_are_stored_by_hash_and_referenced_in_the_event(
    web_intake: WebIntake, kafka_bootstrap: str, shared_data: Path, blob_root: Path, marker: str
) -> None:
    # The shared intake allows 100 KiB per file; the scan is larger, so cut a real PNG's head.
    scan = (shared_data / "ocr" / "modulo_scan.png").read_bytes()[:60_000]
    start = await intake_start(kafka_bootstrap)
    form = aiohttp.FormData()
    form.add_field(
        "complaint", json.dumps({"text": f"Vedi foto {marker}"}), content_type="application/json"
    )
    form.add_field("attachments", scan, filename="buca.png", content_type="image/png")
    form.add_field(
        "attachments", b"%PDF-1.4 tiny", filename="verbale.pdf", content_type="application/pdf"
    )
    status, _, body = await web_intake.post("/v1/complaints", data=form)
    assert status == 202, body
    [event] = await published(kafka_bootstrap, start, marker, until=bool)
    first, second = event.data.attachments
    assert (first.filename, first.media_type, first.size) == ("buca.png", "image/png", len(scan))
    assert (second.filename, second.media_type) == ("verbale.pdf", "application/pdf")
    assert BlobStore(blob_root / "blobs").get(first.sha256) == scan


async def test_status_comes_from_the_case_store_without_personal_data(
    web_intake: WebIntake,
    pg_pool: asyncpg.Pool,
    pipeline: dict[str, Path],
    marker: str,
    kafka_bootstrap: str,
) -> None:
    await drained(kafka_bootstrap, "sportello", topics.INTAKE)
    status, _, body = await web_intake.post(
        "/v1/complaints",
        json={
            "text": f"Buca pericolosa davanti al civico 3 {marker}",
            # A citizen of this run only: dedup would merge a past run's complaint otherwise.
            "citizen": {"name": "Giulia Bianchi", "email": f"giulia.{marker}@example.org"},
            "location": {"address": "Via Padova 3"},
        },
    )
    assert status == 202
    tracking_id = body["tracking_id"]

    async def with_case() -> dict[str, object] | None:
        got = await web_intake.get(f"/v1/complaints/{tracking_id}")
        return got[2] if got[0] == 200 and got[2].get("case_id") else None

    view = await eventually(with_case, timeout=15)
    assert view["tracking_id"] == tracking_id
    assert view["case_id"] == "CASE-" + tracking_id.removeprefix("SP-")
    assert view["status"] in {"received", "assigned"}  # assigned, or waiting in triage
    assert view["history"]
    text = json.dumps(view)
    for personal in ("Giulia", "@example.org", "Via Padova", marker):
        assert personal not in text
    # The citizens' page says the same, in their language.
    status, headers, page = await web_intake.get(f"/complaints/{tracking_id}?lang=en")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert tracking_id in page
    assert "Giulia" not in page


async def test_before_its_case_exists_the_status_is_what_the_intake_knows(
    web_intake: WebIntake, pg_pool: asyncpg.Pool
) -> None:
    tracking_id = tracking_id_for(Channel.WEB, f"req:{uuid.uuid4().hex}")
    accepted_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    await ReceiptStore(pg_pool).record(
        "development",
        f"req:{tracking_id}",
        "f",
        tracking_id=tracking_id,
        channel="web",
        service_code=None,
        at=accepted_at,
    )
    status, _, view = await web_intake.get(f"/v1/complaints/{tracking_id.lower()}")
    assert status == 200
    assert view["status"] == "received"
    assert view["case_id"] is None
    assert datetime.fromisoformat(view["received_at"]) == accepted_at
