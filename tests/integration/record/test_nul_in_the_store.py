"""A NUL character, which the web intake refuses but another channel may carry, does not stop
the PostgreSQL sink: PostgreSQL cannot store it, so the store writes U+FFFD instead.

(Belongs with the sink's tests; it is here because the web intake's fuzzing found it.)"""

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from schemas import CaseSnapshot, CaseStatus, CaseUpdated, Channel, tracking_id_for
from sinks.postgres.store import CaseStore

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def test_a_nul_in_a_case_is_stored_as_a_replacement_character(
    pg_pool: asyncpg.Pool,
) -> None:
    tracking_id = tracking_id_for(Channel.EMAIL, uuid.uuid4().hex)
    case_id = "CASE-" + tracking_id.removeprefix("SP-")
    snapshot = CaseSnapshot(
        case_id=case_id,
        version=1,
        status=CaseStatus.RECEIVED,
        tracking_ids=(tracking_id,),
        channels=(Channel.EMAIL,),
        opened_at=NOW,
        legal_receipt_at=NOW,
        updated_at=NOW,
        text="testo\x00con un NUL \\u0000 e una barra",
        category="cat\x00",
    )
    event = CaseUpdated.new(
        snapshot, source="/t", subject=case_id, time=NOW, event_id=f"{case_id}@1"
    )
    await CaseStore(pg_pool).write([event])
    row = await pg_pool.fetchrow(
        "select category, snapshot ->> 'text' as text from cases where case_id = $1", case_id
    )
    assert row["category"] == "cat\ufffd"
    assert row["text"] == "testo\ufffdcon un NUL \\u0000 e una barra"
