"""Receipts in the real PostgreSQL: written off the answer's path but readable at once."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ingestors.web.receipts import ReceiptStore
from schemas import Channel, tracking_id_for

pytestmark = pytest.mark.integration


async def rows_of(pool: asyncpg.Pool, client_id: str) -> dict[str, str]:
    found = await pool.fetch(
        "select idempotency_key, state from web_intake_receipts where client_id = $1", client_id
    )
    return {r["idempotency_key"]: r["state"] for r in found}


async def test_a_receipt_is_readable_before_its_row_is_written(pg_pool: asyncpg.Pool) -> None:
    client = f"soon-{uuid.uuid4().hex}"
    store = ReceiptStore(pg_pool)
    at = datetime.now(UTC)
    tracking_id = tracking_id_for(Channel.APP, f"req:{client}")
    await store.record_soon(
        client, f"req:{client}", "", tracking_id=tracking_id, channel="app",
        service_code="rifiuti_abbandono", at=at,
    )  # fmt: skip
    # Read at once, in the same turn of the loop: from memory.
    found = await store.receipts([tracking_id, "SP-ZZZZ-ZZZZ-ZZZZ"])
    assert found[tracking_id].channel == "app" and found[tracking_id].accepted_at == at
    listed = await store.recent(
        since=at - timedelta(seconds=1), until=at, service_code="rifiuti_abbandono", limit=1000
    )
    assert tracking_id in {r.tracking_id for r in listed}
    await store.flush()
    assert await rows_of(pg_pool, client) == {f"req:{client}": "accepted"}
    assert (await store.receipts([tracking_id]))[tracking_id].accepted_at == at
    await pg_pool.execute("delete from web_intake_receipts where client_id = $1", client)
