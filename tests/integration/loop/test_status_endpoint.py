"""POST /v1/cases/{case_id}/status against the real broker and store: a body's report is
published on complaints.status when the stored case allows it, and refused with the right
problem (publishing nothing) when it does not."""

import time
import uuid
from typing import Any

import asyncpg
import pytest

from ingestors.web.auth import CLIENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ingestors.web.settings import DEV_API_KEY
from schemas.case import CaseStatus
from schemas.status import StatusUpdate
from tests.integration.loop.conftest import KEYS
from tests.integration.loop.support import (
    NOW,
    PROBLEM,
    Web,
    black_hole,
    reports_of,
    status_start,
    stored_case,
    web_running,
)

pytestmark = pytest.mark.integration

STRADE = KEYS["strade"]


def update(case_id: str, transition: str, body: str | None = "strade", **kw: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "transition": transition,
        "body": body,
        "reported_at": NOW.isoformat(),
        **kw,
    }


def assert_problem(status: int, headers: dict[str, str], body: Any, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"].startswith(PROBLEM)
    assert body["status"] == expected


async def test_the_owner_s_report_is_published_and_answered_with_the_expected_status(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    case = await stored_case(pg_pool, CaseStatus.ASSIGNED)
    start = await status_start(kafka_bootstrap)
    sent = update(case.case_id, "acknowledge")
    status, _, body = await web_with_body_keys.report(case.case_id, sent, key=STRADE)
    assert status == 202, body
    assert body["previous_status"] == "assigned"
    assert body["status"] == "acknowledged"
    assert body["status_url"].endswith(f"/v1/complaints/{case.tracking_id}")
    [event] = await reports_of(kafka_bootstrap, start, case.case_id, until=body["event_id"])
    assert event.subject == case.case_id
    assert event.data == StatusUpdate.model_validate(sent)


async def test_a_signed_report_and_the_body_s_not_ours_are_accepted(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    case = await stored_case(pg_pool, CaseStatus.ACKNOWLEDGED)
    raw = (
        f'{{"case_id":"{case.case_id}","transition":"reassign","body":"strade",'
        f'"reason":"Non è una strada: è un parco","reported_at":"{NOW.isoformat()}"}}'
    ).encode()
    path = f"/v1/cases/{case.case_id}/status"
    ts = str(int(time.time()))
    headers = {
        CLIENT_HEADER: "strade",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(STRADE.encode(), ts, "POST", path, raw),
    }
    status, _, body = await web_with_body_keys.report(case.case_id, raw, key=None, headers=headers)
    assert status == 202, body
    assert body["status"] is None, "the routing rules decide where a refused case goes"
    headers[SIGNATURE_HEADER] = sign(b"wrong", ts, "POST", path, raw)
    status, headers_, body = await web_with_body_keys.report(
        case.case_id, raw, key=None, headers=headers
    )
    assert_problem(status, headers_, body, 401)


async def test_refusals_say_why_and_publish_nothing(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    web = web_with_body_keys
    case = await stored_case(pg_pool, CaseStatus.ASSIGNED)
    start = await status_start(kafka_bootstrap)
    cid = case.case_id

    # A stale transition: resolving needs an acknowledgement or a start first.
    status, headers, body = await web.report(
        cid, update(cid, "resolve", note_for_citizen="Fatto"), key=STRADE
    )
    assert_problem(status, headers, body, 409)
    assert (body["code"], body["case_status"]) == ("not_allowed_from_state", "assigned")

    # Another body's key, on this case or naming this body.
    status, headers, body = await web.report(
        cid, update(cid, "acknowledge", body="verde"), key=KEYS["verde"]
    )
    assert_problem(status, headers, body, 403)
    assert body["code"] == "not_owner"
    status, headers, body = await web.report(cid, update(cid, "acknowledge"), key=KEYS["verde"])
    assert_problem(status, headers, body, 403)
    assert body["code"] == "not_this_body"
    status, headers, body = await web.report(
        cid, update(cid, "close", body=None, actor="front_office"), key=STRADE
    )
    assert_problem(status, headers, body, 403)

    # Malformed: not JSON, an unknown transition, a field the transition needs.
    status, headers, body = await web.report(cid, b'{"case_id": "CASE-', key=STRADE)
    assert_problem(status, headers, body, 400)
    status, headers, body = await web.report(cid, update(cid, "teleport"), key=STRADE)
    assert_problem(status, headers, body, 422)
    assert [e["pointer"] for e in body["errors"]] == ["/transition"]
    status, headers, body = await web.report(
        cid, update(cid, "reassign", reason="Parco", reassign_to="nessuno"), key=STRADE
    )
    assert_problem(status, headers, body, 422)
    assert body["code"] == "unknown_body"
    status, headers, body = await web.report(
        cid, update(cid, "acknowledge", body="nessuno"), key=STRADE
    )
    assert_problem(status, headers, body, 403)
    other = "CASE-ZZZZ-ZZZZ-ZZZZ"
    status, headers, body = await web.report(cid, update(other, "acknowledge"), key=STRADE)
    assert_problem(status, headers, body, 422)
    assert body["errors"][0]["pointer"] == "/case_id"

    # Unknown case, and no or a wrong key.
    unknown = "CASE-" + uuid.uuid4().hex[:4].upper() + "-0000-0000"
    status, headers, body = await web.report(unknown, update(unknown, "acknowledge"), key=STRADE)
    assert_problem(status, headers, body, 404)
    status, headers, body = await web.report("not-a-case", update(cid, "acknowledge"), key=STRADE)
    assert_problem(status, headers, body, 404)
    for key in (None, "wrong", "k-app-0123456789", DEV_API_KEY):
        status, headers, body = await web.report(cid, update(cid, "acknowledge"), key=key)
        assert_problem(status, headers, body, 401)
        assert headers["WWW-Authenticate"].startswith("Bearer")

    # The case moves on; the same resolve is allowed now, and is the only report published.
    await case.becomes(CaseStatus.IN_PROGRESS)
    status, headers, body = await web.report(cid, update(cid, "resolve"), key=STRADE)
    assert_problem(status, headers, body, 422)
    assert body["errors"][0]["pointer"] == "/note_for_citizen"
    status, _, body = await web.report(
        cid, update(cid, "resolve", note_for_citizen="Fatto"), key=STRADE
    )
    assert status == 202, body
    assert body["status"] == "resolved"
    found = await reports_of(kafka_bootstrap, start, cid, until=body["event_id"])
    assert [e.data.transition.value for e in found] == ["resolve"]


async def test_a_retry_with_the_same_idempotency_key_publishes_the_same_event(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    case = await stored_case(pg_pool, CaseStatus.ASSIGNED)
    start = await status_start(kafka_bootstrap)
    sent = update(case.case_id, "start")
    answers = [
        await web_with_body_keys.report(
            case.case_id, sent, key=STRADE, headers={"Idempotency-Key": "retry-1"}
        )
        for _ in range(2)
    ]
    assert [a[0] for a in answers] == [202, 202]
    ids = {a[2]["event_id"] for a in answers}
    assert len(ids) == 1
    found = await reports_of(kafka_bootstrap, start, case.case_id, until=ids.pop())
    assert len(found) == 2 and found[0].id == found[1].id, "the case agent applies it once"


async def test_the_development_key_acts_for_the_named_body_only_in_development(
    kafka_bootstrap: str, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    case = await stored_case(pg_pool, CaseStatus.ASSIGNED, "illuminazione")
    var = tmp_path_factory.mktemp("loop-dev")
    async with web_running(kafka_bootstrap, pool=pg_pool, var_dir=var) as web:
        named = update(case.case_id, "acknowledge", body="illuminazione")
        status, _, body = await web.report(case.case_id, named, key=DEV_API_KEY)
        assert status == 202, body
        status, headers, body = await web.report(
            case.case_id, update(case.case_id, "start", body="strade"), key=DEV_API_KEY
        )
        assert_problem(status, headers, body, 403)
    async with web_running(
        kafka_bootstrap, pool=pg_pool, var_dir=var, environment="production", api_keys=("k",)
    ) as web:
        status, headers, body = await web.report(case.case_id, named, key=DEV_API_KEY)
        assert_problem(status, headers, body, 401)


async def test_the_broker_or_the_store_away_is_503_and_nothing_is_recorded(
    kafka_bootstrap: str, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    case = await stored_case(pg_pool, CaseStatus.ASSIGNED)
    var = tmp_path_factory.mktemp("loop-503")
    server, address = await black_hole()
    try:
        async with web_running(
            address, pool=pg_pool, var_dir=var, publish_timeout_s=0.5, retry_after_s=7
        ) as web:
            status, headers, body = await web.report(
                case.case_id, update(case.case_id, "acknowledge"), key=DEV_API_KEY
            )
            assert_problem(status, headers, body, 503)
            assert headers["Retry-After"] == "7"
        host, port = address.split(":")
        dsn = f"postgresql://sportello:sportello@{host}:{port}/sportello"
        async with web_running(
            kafka_bootstrap, pool=None, pg_dsn=dsn, var_dir=var, store_timeout_s=0.5
        ) as web:
            status, headers, body = await web.report(
                case.case_id, update(case.case_id, "acknowledge"), key=DEV_API_KEY
            )
            assert_problem(status, headers, body, 503)
    finally:
        server.close()
