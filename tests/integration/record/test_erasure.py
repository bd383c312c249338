"""Erasing a citizen's personal data keeps the anonymous case, and no later write or replay
brings the data back; the retention policy erases what is closed long enough."""

import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from schemas.case import CaseStatus
from schemas.events import CaseUpdated, Event, StatusReported
from schemas.metrics import WindowSize
from schemas.status import Actor, StatusUpdate, Transition
from sinks.postgres.erasure import Identifier, apply_retention, erase
from sinks.postgres.figures import compute_figures
from sinks.postgres.records import Message, read_message
from sinks.postgres.replay import replay
from sinks.postgres.store import CaseStore
from sinks.postgres.windows import window_at
from tests.integration.record.cluster import REPO
from tests.integration.record.histories import BODY_OF_AGENCY, History, Request, histories
from tests.integration.record.streams import PrivateTopics
from tests.integration.record.tables import dump

pytestmark = pytest.mark.integration

ROME = ZoneInfo("Europe/Rome")


def stored_as(topic: str, event: Event[Any], n: int) -> Any:
    return read_message(Message(topic, 0, n, 0, event.to_json()))


async def store_all(store: CaseStore, published: list[tuple[str, Event[Any]]]) -> None:
    await store.write([stored_as(t, e, n) for n, (t, e) in enumerate(published)])


async def mentions(pool: asyncpg.Pool, text: str) -> int:
    """Rows of the record that still contain `text` anywhere."""
    return int(
        await pool.fetchval(
            "select (select count(*) from case_events where event::text ilike '%' || $1 || '%')"
            " + (select count(*) from cases where snapshot::text ilike '%' || $1 || '%')"
            " + (select count(*) from attachments where filename ilike '%' || $1 || '%')"
            " + (select count(*) from submissions where email_key = lower($1))",
            text,
        )
    )


async def case_text(pool: asyncpg.Pool, h: History) -> str:
    """Everything the record holds about one case, as text."""
    rows = await pool.fetch(
        "select event::text as t from case_events where case_id = $1 or tracking_id in"
        " (select tracking_id from case_tracking_ids where case_id = $1)"
        " union all select snapshot::text from cases where case_id = $1"
        " union all select coalesce(filename, '') from attachments where tracking_id in"
        " (select tracking_id from case_tracking_ids where case_id = $1)",
        h.case_id,
    )
    return "\n".join(r[0] for r in rows)


def personal(h: History, r: Request, index: int) -> list[str]:
    """The citizen's identifiers and words, as the record would hold them."""
    return [h.email, f'"Citizen {index}"', r.address, f"{r.complaint}: {r.descriptor}", "photo"]


async def test_an_erasure_keeps_the_anonymous_case_and_stays_erased(
    db: asyncpg.Pool, topics: PrivateTopics, nyc_requests: list[Request]
) -> None:
    salt = uuid.uuid4().hex[:8]
    requests = nyc_requests[:80]
    hs = list(histories(requests, salt=salt, shift=timedelta(days=1500)))
    feed = [i for h in hs for i in h.published]
    store = CaseStore(db)
    await store_all(store, feed)
    # A citizen who sent a photo, wrote twice (merged) and whose case a body owns.
    index = next(
        i for i, (h, r) in enumerate(zip(hs, requests, strict=True))
        if r.address and i % 5 == 0 and r.agency in BODY_OF_AGENCY
        and any(t == "complaints.cases" and e.type.endswith("deduplicated") for t, e in h.published)
    )
    h, r = hs[index], requests[index]
    assert await mentions(db, h.email) > 0
    other = [hs[index + 1].email]
    day = window_at(WindowSize.DAY, r.created + timedelta(days=1500), ROME)
    async with db.acquire() as conn:
        figures_before = await compute_figures(conn, day, "Europe/Rome")

    done = await erase(db, Identifier("email", f"  {h.email.upper()} "), now=datetime.now(UTC))

    assert done.case_ids == (h.case_id,) and len(done.tracking_ids) == 2
    assert await mentions(db, h.email) == 0
    held = await case_text(db, h)
    assert h.case_id in held
    for text in personal(h, r, index):
        assert text not in held, text
    assert await mentions(db, other[0]) > 0, "another citizen's data is untouched"
    row = await db.fetchrow("select * from erasures where erasure_id = $1", done.erasure_id)
    assert row["identifier_kind"] == "email" and row["rows_redacted"] > 5
    assert h.email not in str(dict(row))
    # The anonymous case still counts.
    async with db.acquire() as conn:
        assert await compute_figures(conn, day, "Europe/Rome") == figures_before
    case = await db.fetchrow("select body, category from cases where case_id = $1", h.case_id)
    assert case["body"] and case["category"]

    # What arrives later about the case is stored redacted.
    note = StatusUpdate(
        case_id=h.case_id,
        transition=Transition.ACKNOWLEDGE,
        actor=Actor.BODY,
        body=case["body"],
        note_for_citizen=f"Dear Citizen {index}, we are on it.",
        reported_at=datetime.now(UTC),
    )
    late = StatusReported.new(note, source="/t", subject=h.case_id, time=datetime.now(UTC))
    await store.write([late])
    assert late.id in await case_text(db, h)
    assert f"Citizen {index}," not in await case_text(db, h)

    # A replay from the topics, which still hold everything, does not bring it back.
    await topics.publish(feed)
    before = await dump(db)
    await replay(db, topics.bootstrap, truncate=True, pattern=topics.pattern)
    held = await case_text(db, h)
    for text in personal(h, r, index):
        assert text not in held, text
    assert await mentions(db, h.email) == 0
    assert await mentions(db, other[0]) > 0
    after = await dump(db)
    assert after["cases"] == before["cases"]


async def test_an_erasure_before_the_case_exists_reaches_the_case(
    db: asyncpg.Pool, nyc_requests: list[Request]
) -> None:
    [h] = histories(nyc_requests[:1], salt=uuid.uuid4().hex[:8], shift=timedelta(days=1500))
    store = CaseStore(db)
    received = [(t, e) for t, e in h.published if t == "complaints.intake"]
    await store_all(store, received)
    done = await erase(db, Identifier("tracking_id", h.tracking_id), now=datetime.now(UTC))
    assert done.case_ids == () and done.tracking_ids == (h.tracking_id,)
    await store_all(store, [(t, e) for t, e in h.published if t != "complaints.intake"])
    assert await mentions(db, h.email) == 0
    assert await db.fetchval("select count(*) from erased where subject_id = $1", h.case_id) == 1


async def test_retention_erases_cases_closed_long_ago_and_logs_each(
    db: asyncpg.Pool, nyc_requests: list[Request], caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    salt = uuid.uuid4().hex[:8]
    old, recent = (
        next(iter(histories(nyc_requests[i : i + 1], salt=f"{salt}{i}", shift=shift)))
        for i, shift in ((0, timedelta(days=-7 * 365)), (1, timedelta(days=-365)))
    )
    store = CaseStore(db)
    for h in (old, recent):
        await store_all(store, list(h.published))
        [latest] = [
            e.data for _, e in h.published
            if isinstance(e, CaseUpdated)
            and e.data.version == max(
                x.data.version for _, x in h.published if isinstance(x, CaseUpdated)
            )
        ]
        closed = latest.model_copy(
            update={"version": latest.version + 1, "status": CaseStatus.CLOSED,
                    "updated_at": latest.updated_at + timedelta(days=1)}
        )
        await store.write([CaseUpdated.new(closed, source="/t", subject=closed.case_id,
                                           time=closed.updated_at,
                                           event_id=f"{closed.case_id}@{closed.version}")])
    keep = timedelta(days=5 * 365)
    assert [e.case_ids for e in await apply_retention(db, keep=keep, now=now, dry_run=True)] == [
        (old.case_id,)
    ]
    assert await mentions(db, old.email) > 0, "a dry run erases nothing"
    with caplog.at_level(logging.INFO, logger="sinks.postgres.erasure"):
        done = await apply_retention(db, keep=keep, now=now)
    assert [(e.reason, e.case_ids) for e in done] == [("retention", (old.case_id,))]
    assert any(old.case_id in m and "retention" in m for m in caplog.messages)
    assert await mentions(db, old.email) == 0
    assert await mentions(db, recent.email) > 0
    assert await apply_retention(db, keep=keep, now=now) == [], "each case once"


async def test_sportello_erase_finds_a_citizen_by_phone(
    db: asyncpg.Pool, nyc_requests: list[Request], private_cluster: Any
) -> None:
    [h] = histories(nyc_requests[7:8], salt=uuid.uuid4().hex[:8], shift=timedelta(days=1500))
    await store_all(CaseStore(db), list(h.published))
    dsn = await db.fetchval("select current_database()")
    env = dict(os.environ, SPORTELLO_PG_DSN=private_cluster.dsn(dsn))

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runtime.cli", "erase", "--phone", "001 (212) 555-0000"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
        )

    first = run()
    assert first.returncode == 0, first.stderr
    assert h.case_id in first.stdout
    assert await mentions(db, h.email) == 0
    second = run()
    assert second.returncode == 1 and "nothing stored matches" in second.stdout
