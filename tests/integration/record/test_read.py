"""The read side: a citizen's status without personal data, an operator's whole history."""

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from runtime.errors import StoreUnavailable
from schemas.case import CaseStatus
from schemas.events import (
    CaseAssigned,
    CaseDeduplicated,
    SlaAlerted,
    StatusReported,
    SubmissionReceived,
)
from schemas.metrics import WindowSize
from schemas.status import Transition
from sinks.postgres.read import CaseReader
from sinks.postgres.records import Message, read_message
from sinks.postgres.store import CaseStore
from tests.integration.record.histories import History, Request, histories

pytestmark = pytest.mark.integration


@pytest.fixture
async def stored(db: asyncpg.Pool, nyc_requests: list[Request]) -> list[History]:
    hs = list(histories(nyc_requests[:400], salt=uuid.uuid4().hex[:8], shift=timedelta(1000)))
    feed = [item for h in hs for item in h.published]
    await CaseStore(db).write(
        [read_message(Message(t, 0, n, 0, e.to_json())) for n, (t, e) in enumerate(feed)]
    )
    return hs


def personal_strings(h: History) -> list[str]:
    submission = next(e for t, e in h.published if t == "complaints.intake").data
    found = [h.email, submission.text]
    if submission.citizen and submission.citizen.name:
        found.append(submission.citizen.name)
    if submission.location and submission.location.address:
        found.append(submission.location.address)
    return found


def first(hs: list[History], want: Any) -> History:
    return next(h for h in hs if want(h))


def has(h: History, cls: type, topic_part: str = "") -> bool:
    return any(isinstance(e, cls) and topic_part in t for t, e in h.published)


async def test_a_citizen_sees_the_steps_and_what_they_were_told_and_nothing_personal(
    db: asyncpg.Pool, stored: list[History]
) -> None:
    h = first(stored, lambda h: has(h, SlaAlerted) and has(h, StatusReported))
    reader = CaseReader(db)
    status = await reader.status_of(h.tracking_id)
    assert status is not None
    assert status.case_id == h.case_id and status.merged_into is None
    assert status.status is CaseStatus.RESOLVED
    assert [s.status for s in status.steps] == [
        CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED,
    ]
    resolve = next(
        e.data for _, e in h.published
        if isinstance(e, StatusReported) and e.data.transition is Transition.RESOLVE
    )
    assert status.steps[-1].note_for_citizen == resolve.note_for_citizen
    assert status.steps[0].note_for_citizen is None
    shown = status.model_dump_json()
    for text in personal_strings(h):
        assert text not in shown, text


async def test_a_merged_complaint_says_which_case_it_joined(
    db: asyncpg.Pool, stored: list[History]
) -> None:
    h = first(stored, lambda h: has(h, CaseDeduplicated, "complaints.cases"))
    merge = next(e for _, e in h.published if isinstance(e, CaseDeduplicated))
    second = merge.data.decision.submission_id
    reader = CaseReader(db)
    status = await reader.status_of(second)
    assert status is not None and status.merged_into == h.case_id
    assert status.channel is not None and status.channel.value == "email"

    view = await reader.case_by_tracking_id(second)
    assert view is not None and view.case_id == h.case_id
    assert view.tracking_ids == (h.tracking_id, second)
    assert view.snapshot.citizen is not None and view.snapshot.citizen.email == h.email

    history = await reader.case_history(h.case_id)
    assert history is not None
    assert history.merges and history.merges[0].submission_id == second
    types = [i.type for i in history.items]
    assert types.count("sportello.submission.received") == 2
    merged = next(i for i in history.items if i.type == "sportello.case.deduplicated")
    assert "email" in merged.summary and merged.event == merge
    times = [i.time for i in history.items]
    assert times == sorted(times)


async def test_the_operator_sees_the_rule_that_routed_it_and_each_alert_once(
    db: asyncpg.Pool, stored: list[History]
) -> None:
    h = first(stored, lambda h: has(h, SlaAlerted))
    history = await CaseReader(db).case_history(h.case_id)
    assert history is not None
    assert history.routing_rule_id and history.routing_rule_id.startswith("category:")
    assigned = [i for i in history.items if isinstance(i.event, CaseAssigned)]
    assert len(assigned) == 1 and history.routing_rule_id in assigned[0].summary
    alerts = [i for i in history.items if isinstance(i.event, SlaAlerted)]
    assert len(alerts) == 1
    assert alerts[0].topics == ("complaints.routed.polizia_locale", "complaints.sla")


async def test_unknown_numbers_early_numbers_and_lists(
    db: asyncpg.Pool, stored: list[History], nyc_requests: list[Request]
) -> None:
    reader = CaseReader(db)
    assert await reader.status_of("SP-0000-0000-0000") is None
    assert await reader.case_by_tracking_id("SP-0000-0000-0000") is None
    assert await reader.case_history("CASE-0000-0000-0000") is None
    # A submission the worker has not opened a case for yet.
    [early] = histories(nyc_requests[200:201], salt=uuid.uuid4().hex[:8], shift=timedelta(1))
    await CaseStore(db).write([e for t, e in early.published if t == "complaints.intake"])
    status = await reader.status_of(early.tracking_id)
    assert status is not None and status.case_id is None
    assert status.status is CaseStatus.RECEIVED

    opened = sorted(
        e.data.opened_at for h in stored for _, e in h.published if hasattr(e.data, "opened_at")
    )
    listed = await reader.opened_between(since=opened[0], until=opened[-1])
    assert len(listed) == len({h.case_id for h in stored})
    triaged = await reader.opened_between(
        since=opened[0], until=opened[-1], statuses=[CaseStatus.RECEIVED]
    )
    assert triaged and all(s.status is CaseStatus.RECEIVED and s.body is None for s in triaged)
    assert all(s.tracking_id.startswith("SP-") for s in listed)

    # The dashboard's figures: the day of the last arrivals, every submission of it counted.
    last = max(e.data.received_at for h in stored for t, e in h.published if t.endswith("intake")
               and isinstance(e, SubmissionReceived))
    day = await reader.figures(WindowSize.DAY, last)
    assert day.start <= last < day.end
    assert day.received == len({
        e.data.submission_id for h in stored for _, e in h.published
        if isinstance(e, SubmissionReceived) and day.start <= e.data.received_at < day.end
    }) > 0


async def test_an_unreachable_store_says_so(private_cluster: Any) -> None:
    pool = await asyncpg.create_pool(await private_cluster.new_database(), min_size=1, max_size=1)
    await pool.close()
    with pytest.raises(StoreUnavailable):
        await CaseReader(pool).status_of("SP-0000-0000-0000")
