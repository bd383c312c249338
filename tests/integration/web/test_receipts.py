"""Receipts in the real PostgreSQL: written off the answer's path but readable at once, and
purged after their retention.

The table is shared with whoever else uses the database, so the purges here cut at 2002:
only rows these tests date back to 2001 are that old.
"""

import asyncio
import os
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from ingestors.web.housekeeping import purge_receipts
from ingestors.web.receipts import Claimed, ReceiptStore
from schemas import Channel, tracking_id_for

pytestmark = pytest.mark.integration

LONG_AGO = datetime(2001, 5, 4, 10, 0, tzinfo=UTC)
CUTOFF = datetime(2002, 1, 1, tzinfo=UTC)


async def rows_of(pool: asyncpg.Pool, client_id: str) -> dict[str, str]:
    found = await pool.fetch(
        "select idempotency_key, state from web_intake_receipts where client_id = $1", client_id
    )
    return {r["idempotency_key"]: r["state"] for r in found}


async def remember(store: ReceiptStore, client_id: str, key: str, at: datetime) -> str:
    tracking_id = tracking_id_for(Channel.WEB, f"key:{client_id}:{key}")
    await store.record(
        client_id, key, "f", tracking_id=tracking_id, channel="web", service_code=None, at=at
    )
    return tracking_id


async def test_old_receipts_and_abandoned_claims_are_purged(pg_pool: asyncpg.Pool) -> None:
    client = f"purge-{uuid.uuid4().hex}"
    store = ReceiptStore(pg_pool)
    for n in range(5):
        await remember(store, client, f"old-{n}", LONG_AGO + timedelta(minutes=n))
    recent = await remember(store, client, "recent", datetime.now(UTC))
    claim = await store.claim(
        client, "crashed", "f", tracking_id="SP-0000-0000-0000", channel="web",
        service_code=None, now=LONG_AGO,
    )  # fmt: skip
    assert isinstance(claim, Claimed)
    assert len(await rows_of(pg_pool, client)) == 7

    purged = await store.purge(before=CUTOFF, batch=2)  # three batches, and the claim
    assert purged >= 6
    assert await rows_of(pg_pool, client) == {"recent": "accepted"}
    assert set(await store.receipts([recent])) == {recent}
    await pg_pool.execute("delete from web_intake_receipts where client_id = $1", client)


async def test_the_web_intake_purges_now_and_then(pg_pool: asyncpg.Pool) -> None:
    client = f"purge-{uuid.uuid4().hex}"
    store = ReceiptStore(pg_pool)
    stop = asyncio.Event()
    keep = timedelta(days=30)
    purging = asyncio.create_task(
        purge_receipts(store, keep=keep, interval_s=0.05, clock=lambda: CUTOFF + keep, stop=stop)
    )
    try:
        await remember(store, client, "old", LONG_AGO)
        await remember(store, client, "kept", CUTOFF + timedelta(days=1))
        for _ in range(100):
            if "old" not in await rows_of(pg_pool, client):
                break
            await asyncio.sleep(0.05)
        assert await rows_of(pg_pool, client) == {"kept": "accepted"}
    finally:
        stop.set()
        await asyncio.wait_for(purging, 10)
    await pg_pool.execute("delete from web_intake_receipts where client_id = $1", client)


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


async def test_the_web_service_purges_from_its_start(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    """`python -m ingestors.web` purges at start. Its retention here reaches back to 1999, so
    of the shared table it deletes only this test's row from 1990."""
    client = f"service-{uuid.uuid4().hex}"
    await remember(ReceiptStore(pg_pool), client, "ancient", datetime(1990, 1, 1, tzinfo=UTC))
    env = dict(
        os.environ,
        SPORTELLO_WEB_PORT="0",
        SPORTELLO_VAR_DIR=str(tmp_path),
        SPORTELLO_IDEMPOTENCY_RETENTION_DAYS="10000",
        SPORTELLO_RECEIPTS_PURGE_INTERVAL_S="3600",
    )
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ingestors.web", env=env, stdout=out, stderr=out
        )
    try:
        for _ in range(300):
            if not await rows_of(pg_pool, client):
                break
            assert service.returncode is None, log.read_text()
            await asyncio.sleep(0.1)
        assert not await rows_of(pg_pool, client), log.read_text()
        assert re.search(r"purged \d+ idempotency receipts", log.read_text())
    finally:
        service.terminate()
        assert await asyncio.wait_for(service.wait(), 30) == 0, log.read_text()
