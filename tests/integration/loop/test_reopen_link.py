"""The citizen's "not solved" link on the real web intake: the GET asks and changes nothing,
the POST publishes the reopen once per answer; a bad, expired, foreign or stale link is
refused with a page that says so."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import asyncpg
import pytest

from schemas.case import CaseStatus
from schemas.status import Actor, Transition
from sinks.notify.links import mint
from tests.integration.loop.support import Web, reports_of, status_start, stored_case

pytestmark = pytest.mark.integration

KEY = b"loop-test-reopen-secret"  # the fixture's SPORTELLO_REOPEN_SECRET
LATER = datetime.now(UTC) + timedelta(days=30)


class Form(HTMLParser):
    """The first form of a page: its action and its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag in ("input", "textarea") and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""


def form_of(page: str) -> Form:
    form = Form()
    form.feed(page)
    assert form.action, page
    return form


async def test_the_link_asks_then_reopens_once_per_answer(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    web = web_with_body_keys
    case = await stored_case(pg_pool, CaseStatus.IN_PROGRESS, email="giulia@example.org")
    answer = await case.resolved(seq=4, text="Buca chiusa <b>il 10 marzo</b>")
    token = mint(KEY, case.case_id, seq=4, expires_at=LATER)
    start = await status_start(kafka_bootstrap)

    status, headers, page = await web.request(
        "GET", f"/v1/cases/{case.case_id}/reopen", params={"token": token, "lang": "en"}
    )
    assert status == 200, page
    assert headers["Content-Type"].startswith("text/html")
    assert "Buca chiusa &lt;b&gt;il 10 marzo&lt;/b&gt;" in page, "the answer, escaped"
    assert case.tracking_id in page
    form = form_of(page)
    assert form.action == f"/v1/cases/{case.case_id}/reopen"
    assert form.fields["token"] == token

    fields = {**form.fields, "text": "La buca è ancora lì, anzi più grande"}
    answers = [
        await web.request("POST", form.action, data=fields) for _ in range(2)
    ]  # a double click
    assert [a[0] for a in answers] == [202, 202], answers[0][2]
    assert "reopened" in answers[0][2]
    event_id = f"reopen-link:{case.case_id}:{answer.seq}"
    found = await reports_of(kafka_bootstrap, start, case.case_id, until=event_id)
    assert {e.id for e in found} == {event_id}, "one reopen per answer, however often posted"
    update = found[0].data
    assert (update.transition, update.actor, update.body) == (
        Transition.REOPEN,
        Actor.CITIZEN,
        None,
    )
    assert update.reason is not None and "ancora lì" in update.reason


async def test_bad_expired_foreign_and_stale_links_are_refused(
    web_with_body_keys: Web, pg_pool: asyncpg.Pool
) -> None:
    web = web_with_body_keys
    case = await stored_case(pg_pool, CaseStatus.IN_PROGRESS, email="giulia@example.org")
    other = await stored_case(pg_pool, CaseStatus.IN_PROGRESS)
    path = f"/v1/cases/{case.case_id}/reopen"

    async def get(token: str, at: str = path) -> int:
        return (await web.request("GET", at, params={"token": token}))[0]

    good = mint(KEY, case.case_id, seq=4, expires_at=LATER)
    assert await get(good) == 409, "not resolved yet: nothing to contest"
    await case.resolved(seq=4)
    assert await get(good) == 200
    assert await get("garbage") == 403
    assert await get(good[:-2] + "AA") == 403, "an altered signature"
    assert await get(mint(b"another key", case.case_id, seq=4, expires_at=LATER)) == 403
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert await get(mint(KEY, case.case_id, seq=4, expires_at=past)) == 403
    assert await get(good, f"/v1/cases/{other.case_id}/reopen") == 403, "another case's link"
    assert await get(mint(KEY, case.case_id, seq=3, expires_at=LATER)) == 409, "an older answer"
    assert await get(good, "/v1/cases/CASE-0000-0000-0000/reopen") == 403
    unknown = "CASE-ZZZZ-ZZZZ-ZZZ9"
    assert (
        await get(mint(KEY, unknown, seq=1, expires_at=LATER), f"/v1/cases/{unknown}/reopen") == 404
    )

    posted = await web.request("POST", path, data={"token": "garbage"})
    assert posted[0] == 403
    posted = await web.request("POST", path, json={"token": good})
    assert posted[0] == 415
    await case.becomes(CaseStatus.CLOSED)
    status, _, page = await web.request("GET", path, params={"token": good})
    assert status == 409
    assert "closed" in page or "chiusa" in page
