"""When a resolved case counts as solved: confirmed, or not contested within the period."""

from datetime import timedelta

from processors.lifecycle import Accepted, CaseState, apply, counts_as_solved, solved_at
from schemas.case import CaseStatus
from schemas.status import Actor, Transition

from .support import T0, state, update

PERIOD = timedelta(days=15)
DAY = timedelta(days=1)


def step(s: CaseState, upd: object, now: object) -> CaseState:
    outcome = apply(s, upd, now)  # type: ignore[arg-type]
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def resolved() -> CaseState:
    s = state(CaseStatus.IN_PROGRESS, "strade")
    return step(s, update(Transition.RESOLVE, body="strade", note="done", at=T0 + DAY), T0 + DAY)


def test_uncontested_counts_only_once_the_period_has_passed() -> None:
    s = resolved()
    assert solved_at(s, PERIOD) == T0 + DAY + PERIOD
    assert not counts_as_solved(s, T0 + DAY + PERIOD - timedelta(seconds=1), PERIOD)
    assert counts_as_solved(s, T0 + DAY + PERIOD, PERIOD)


def test_confirmed_counts_at_once() -> None:
    at = T0 + 2 * DAY
    s = step(resolved(), update(Transition.CONFIRM, actor=Actor.CITIZEN, at=at), at)
    assert counts_as_solved(s, at, PERIOD)


def test_contested_does_not_count_until_resolved_again_and_the_period_restarts() -> None:
    at = T0 + 3 * DAY
    s = step(resolved(), update(Transition.REOPEN, actor=Actor.CITIZEN, reason="no", at=at), at)
    assert solved_at(s, PERIOD) is None
    assert not counts_as_solved(s, T0 + 99 * DAY, PERIOD)
    s = step(s, update(Transition.START, body="strade", at=at + DAY), at + DAY)
    s = step(s, update(Transition.RESOLVE, body="strade", note="ok", at=at + 2 * DAY), at + 2 * DAY)
    assert solved_at(s, PERIOD) == at + 2 * DAY + PERIOD


def test_closing_early_does_not_shorten_the_period() -> None:
    at = T0 + 2 * DAY
    s = step(resolved(), update(Transition.CLOSE, at=at), at)
    assert s.status is CaseStatus.CLOSED
    assert not counts_as_solved(s, at, PERIOD)
    assert counts_as_solved(s, T0 + DAY + PERIOD, PERIOD)


def test_rejected_is_never_solved() -> None:
    s = step(state(), update(Transition.REJECT, reason="spam"), T0 + DAY)
    s = step(s, update(Transition.CLOSE, at=T0 + 2 * DAY), T0 + 2 * DAY)
    assert not counts_as_solved(s, T0 + 400 * DAY, PERIOD)
