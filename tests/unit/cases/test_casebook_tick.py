"""Time: the warnings at 50% and 80% and the breach, each exactly once however many ticks
arrive and however late; none for a case resolved in time; a pause while waiting for the
citizen moves the deadline, and the alerts, by the time paused."""

from collections import Counter
from datetime import datetime, timedelta

import pytest

from processors.cases import Tick
from schemas import topics
from schemas.events import SlaAlerted
from schemas.status import Actor, Transition
from tests.unit.cases.support import (
    DAY,
    HOUR,
    T0,
    Case,
    FakeClassifier,
    book_with,
    every,
    on,
    submission,
)

MINUTE = HOUR / 60


def unanswered() -> Case:
    """A pothole (30 calendar days; the body has 2 working days to acknowledge), assigned to
    strade on Tuesday 10 March 2026 and never answered."""
    return Case.opened(book_with(FakeClassifier()), submission("sla-1", "Buca in via Celoria"), T0)


def kinds(alerts: list[SlaAlerted]) -> list[tuple[str, str, int]]:
    return [(a.data.clock, a.data.kind, a.data.generation) for a in alerts]


ALL_FIVE = [
    ("acknowledgement", "warning_50", 0),
    ("acknowledgement", "breach", 0),
    ("resolution", "warning_50", 0),
    ("resolution", "warning_80", 0),
    ("resolution", "breach", 0),
]


@pytest.mark.parametrize("step", [MINUTE * 10, HOUR, DAY, 7 * DAY], ids=str)
def test_each_warning_and_the_breach_once_however_often_the_timer_ticks(step: timedelta) -> None:
    case = unanswered()
    deadline = case.record.snapshot.deadline_at
    assert deadline is not None
    alerts = case.ticks(every(step, T0, deadline + 10 * DAY))

    assert kinds(alerts) == ALL_FIVE
    assert Counter(a.id for a in alerts).most_common(1)[0][1] == 1
    breach = alerts[-1]
    assert breach.data.due_at == deadline
    assert breach.id == f"{case.case_id}/resolution/breach/g0"
    assert case.record.sla is not None
    allowed = deadline - T0
    [w50, w80] = [a for a in alerts if a.data.clock == "resolution" and a.data.percent < 100]
    assert w50.data.due_at == T0 + allowed * 50 / 100
    assert w80.data.due_at == T0 + allowed * 80 / 100
    # Every alert goes to the owner too, under the same event id.
    routed = [e for _, e in case.log if _ == topics.routed("strade") and e.type.endswith("alert")]
    assert [e.id for e in routed] == [a.id for a in alerts]


def test_an_alert_is_never_early() -> None:
    case = unanswered()
    ticks = every(HOUR, T0, T0 + 40 * DAY)
    for at in ticks:
        for event in on(case.tick(at), topics.SLA):
            assert isinstance(event, SlaAlerted)
            assert event.data.due_at <= at < event.data.due_at + HOUR


def test_the_same_tick_twice_and_a_stale_tick_emit_nothing_more() -> None:
    case = unanswered()
    late = T0 + 60 * DAY
    first = case.ticks([late])
    assert kinds(first) == ALL_FIVE, "one late tick owes every alert due, each once"
    assert case.ticks([late, late + HOUR, T0 + DAY]) == []


def test_a_tick_carries_its_own_time_when_the_agent_is_behind() -> None:
    """The timer sends the time it saw; an agent whose clock lags still emits what was due
    then (and no more)."""
    case = unanswered()
    deadline = case.record.snapshot.deadline_at
    assert deadline is not None
    step = case.take(case.book.tick(case.record, Tick(case_id=case.case_id, at=deadline), T0))
    assert [e.data.kind for e in on(step, topics.SLA)][-1] == "breach"


def test_a_case_resolved_in_time_gets_no_alert() -> None:
    case = unanswered()
    case.report(Transition.ACKNOWLEDGE, T0 + 2 * HOUR)
    case.report(Transition.START, T0 + DAY)
    case.report(Transition.RESOLVE, T0 + 5 * DAY, note="Riparata")
    alerts = case.ticks(every(HOUR, T0, T0 + 90 * DAY))
    assert alerts == []
    assert case.book.tick(case.record, Tick(case_id=case.case_id, at=T0), T0).next_alert_at is None


def test_a_case_resolved_after_a_warning_gets_that_warning_only() -> None:
    case = unanswered()
    case.report(Transition.ACKNOWLEDGE, T0 + 2 * HOUR)
    deadline = case.record.snapshot.deadline_at
    assert deadline is not None
    alerts = case.ticks(every(HOUR, T0, T0 + 20 * DAY))
    assert kinds(alerts) == [("resolution", "warning_50", 0)]
    case.report(Transition.START, T0 + 20 * DAY + HOUR)
    case.report(Transition.RESOLVE, T0 + 21 * DAY, note="Riparata")
    assert case.ticks(every(HOUR, T0 + 20 * DAY, deadline + 30 * DAY)) == []


def test_a_pause_moves_the_deadline_and_the_alerts_by_the_time_paused() -> None:
    case = unanswered()
    case.report(Transition.START, T0 + HOUR)
    deadline = case.record.snapshot.deadline_at
    assert deadline is not None
    asked, answered = T0 + 2 * DAY, T0 + 9 * DAY + 5 * HOUR
    case.report(Transition.ASK_CITIZEN, asked, note="Ci manda una foto?")
    assert case.record.snapshot.deadline_at is None
    paused_alerts = case.ticks(every(HOUR, asked, answered - HOUR))
    assert paused_alerts == [], "no clock runs while the city waits for the citizen"

    case.report(Transition.RESUME, answered, actor=Actor.CITIZEN, body=None)

    moved = deadline + (answered - asked)
    assert case.record.snapshot.deadline_at == moved
    alerts = case.ticks(every(HOUR, answered, moved + 5 * DAY))
    # A pause moves alerts not yet sent; it starts no new generation (processors.sla.timers).
    assert kinds(alerts) == [
        ("resolution", "warning_50", 0),
        ("resolution", "warning_80", 0),
        ("resolution", "breach", 0),
    ]
    allowed = deadline - T0
    paused = answered - asked
    assert [a.data.due_at for a in alerts] == [
        T0 + allowed / 2 + paused,
        T0 + allowed * 4 / 5 + paused,
        moved,
    ]
    assert alerts[-1].data.deadline_at == moved


def test_a_pause_after_a_warning_does_not_repeat_it() -> None:
    case = unanswered()
    case.report(Transition.START, T0 + HOUR)
    deadline = case.record.snapshot.deadline_at
    assert deadline is not None
    first = case.ticks(every(HOUR, T0, T0 + 17 * DAY))
    assert kinds(first) == [("resolution", "warning_50", 0)]
    asked, answered = T0 + 17 * DAY, T0 + 20 * DAY
    case.report(Transition.ASK_CITIZEN, asked, note="Serve una foto")
    case.report(Transition.RESUME, answered, actor=Actor.CITIZEN, body=None)
    rest = case.ticks(every(HOUR, answered, deadline + 10 * DAY))
    assert kinds(rest) == [("resolution", "warning_80", 0), ("resolution", "breach", 0)]
    assert rest[-1].data.due_at == deadline + (answered - asked)


def test_ticks_for_a_case_with_nothing_due_change_nothing() -> None:
    case = unanswered()
    before = case.record
    step = case.book.tick(before, Tick(case_id=case.case_id, at=T0 + HOUR), T0 + HOUR)
    assert step.record == before
    assert step.out == []
    assert isinstance(step.next_alert_at, datetime)
    assert step.next_alert_at > T0 + HOUR
