"""The lifecycle state machine, by example: the whole path, the reopen path, refusals."""

from datetime import timedelta

import pytest

from processors.lifecycle import Accepted, CaseState, RefusalCode, Refused, apply, snapshot_with
from schemas.case import CaseSnapshot, CaseStatus
from schemas.status import Actor, Transition
from schemas.submission import Channel

from .support import CASE, T0, state, update

S, T = CaseStatus, Transition
NOW = T0 + timedelta(days=1)


def accept(st: CaseState, upd: object, now: object = NOW) -> CaseState:
    outcome = apply(st, upd, now)  # type: ignore[arg-type]
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def refuse(st: CaseState, upd: object) -> RefusalCode:
    outcome = apply(st, upd, NOW)  # type: ignore[arg-type]
    assert isinstance(outcome, Refused), outcome
    return outcome.code


def test_the_whole_path_received_to_closed() -> None:
    st = state()
    st = accept(st, update(T.ASSIGN, reassign_to="strade"))
    assert (st.status, st.body) == (S.ASSIGNED, "strade")
    st = accept(st, update(T.ACKNOWLEDGE, body="strade"))
    st = accept(st, update(T.START, body="strade"))
    st = accept(st, update(T.ASK_CITIZEN, body="strade", note="Which side of the street?"))
    assert st.status is S.WAITING_FOR_CITIZEN
    st = accept(st, update(T.RESUME, actor=Actor.CITIZEN))
    st = accept(st, update(T.RESOLVE, body="strade", note="Pothole filled on 4 March."))
    assert st.status is S.RESOLVED
    assert st.resolved_at is not None
    st = accept(st, update(T.CONFIRM, actor=Actor.CITIZEN))
    assert st.status is S.CLOSED
    assert st.confirmed_at is not None
    assert st.seq == 7
    assert refuse(st, update(T.REOPEN, actor=Actor.CITIZEN, reason="again")) is RefusalCode.CLOSED


def test_reopen_sends_the_case_back_to_its_owner_who_must_acknowledge_again() -> None:
    st = state(S.IN_PROGRESS, "verde")
    st = accept(st, update(T.RESOLVE, body="verde", note="Branch removed."))
    outcome = apply(
        st, update(T.REOPEN, actor=Actor.CITIZEN, reason="The branch is still there"), NOW
    )
    assert isinstance(outcome, Accepted)
    reopened, entry = outcome.state, outcome.entry
    assert (reopened.status, reopened.body, reopened.reopened) == (S.ASSIGNED, "verde", 1)
    assert reopened.resolved_at is None
    assert (entry.from_status, entry.to_status, entry.reason) == (
        S.RESOLVED,
        S.ASSIGNED,
        "The branch is still there",
    )
    assert refuse(reopened, update(T.RESOLVE, body="verde", note="x")) is (
        RefusalCode.NOT_ALLOWED_FROM_STATE
    )
    accept(reopened, update(T.ACKNOWLEDGE, body="verde"))


def test_a_case_rejected_before_assignment_reopens_to_the_front_office() -> None:
    st = accept(state(), update(T.REJECT, reason="not a complaint"))
    st = accept(st, update(T.REOPEN, actor=Actor.CITIZEN, reason="it is one"))
    assert (st.status, st.body) == (S.RECEIVED, None)


def test_only_the_owning_body_may_act() -> None:
    st = state(S.ASSIGNED, "strade")
    assert refuse(st, update(T.ACKNOWLEDGE, body="verde")) is RefusalCode.NOT_OWNER
    assert refuse(st, update(T.ACKNOWLEDGE, actor=Actor.BODY)) is RefusalCode.BODY_MISSING
    assert refuse(st, update(T.ACKNOWLEDGE, actor=Actor.CITIZEN)) is RefusalCode.ACTOR_NOT_ALLOWED
    moved = accept(st, update(T.REASSIGN, body="strade", reason="a tree", reassign_to="verde"))
    assert (moved.status, moved.body) == (S.REASSIGNED, "verde")
    assert refuse(moved, update(T.START, body="strade")) is RefusalCode.NOT_OWNER
    accept(moved, update(T.START, body="verde"))


@pytest.mark.parametrize(
    ("st", "upd", "code"),
    [
        (state(S.ASSIGNED, "a1"), update(T.RESOLVE, body="a1", note="x"), "not_allowed_from_state"),
        (state(S.IN_PROGRESS, "a1"), update(T.REJECT, body="a1"), "reason_required"),
        (state(S.IN_PROGRESS, "a1"), update(T.RESOLVE, body="a1"), "note_for_citizen_required"),
        (state(S.IN_PROGRESS, "a1"), update(T.ASK_CITIZEN, body="a1"), "note_for_citizen_required"),
        (
            state(S.IN_PROGRESS, "a1"),
            update(T.REASSIGN, body="a1", reason="r"),
            "reassign_to_required",
        ),
        (
            state(S.IN_PROGRESS, "a1"),
            update(T.REASSIGN, body="a1", reason="r", reassign_to="a1"),
            "same_body",
        ),
        (
            state(S.ASSIGNED, "a1"),
            update(T.ACKNOWLEDGE, body="a1", reassign_to="b2"),
            "reassign_to_not_expected",
        ),
        (state(), update(T.ASSIGN, reassign_to="nowhere"), "unknown_body"),
        (state(), update(T.ACKNOWLEDGE, body="a1"), "not_allowed_from_state"),
        (state(), update(T.ASSIGN, reassign_to="a1", case_id="CASE-0000-0000-0001"), "wrong_case"),
        (state(S.RESOLVED, "a1"), update(T.CONFIRM, actor=Actor.FRONT_OFFICE), "actor_not_allowed"),
        (
            state(S.RESOLVED, "a1"),
            update(T.CLOSE, actor=Actor.CITIZEN, body="a1"),
            "body_not_expected",
        ),
    ],
)
def test_refusals_say_why(st: CaseState, upd: object, code: str) -> None:
    outcome = apply(st, upd, NOW, known_bodies=frozenset({"a1", "b2"}))  # type: ignore[arg-type]
    assert isinstance(outcome, Refused)
    assert outcome.code.value == code
    assert outcome.message


def test_effective_time_is_the_reported_time_clamped_to_the_past_and_to_the_last_change() -> None:
    st = state(S.ASSIGNED, "a1")
    late = accept(st, update(T.ACKNOWLEDGE, body="a1", at=T0 + timedelta(hours=3)))
    assert late.updated_at == T0 + timedelta(hours=3)
    future = accept(st, update(T.ACKNOWLEDGE, body="a1", at=NOW + timedelta(days=9)))
    assert future.updated_at == NOW
    backdated = accept(st, update(T.ACKNOWLEDGE, body="a1", at=T0 - timedelta(days=9)))
    assert backdated.updated_at == T0


def test_snapshot_follows_the_state() -> None:
    snapshot = CaseSnapshot(
        case_id=CASE,
        version=3,
        status=S.ASSIGNED,
        tracking_ids=("SP-7K3M-9QXD-2B4F",),
        channels=(Channel.WEB,),
        opened_at=T0,
        legal_receipt_at=T0,
        updated_at=T0,
        text="Buca in via Padova 12",
        body="strade",
    )
    st = CaseState.from_snapshot(snapshot)
    st = accept(st, update(T.REASSIGN, actor=Actor.FRONT_OFFICE, reason="r", reassign_to="acqua"))
    nxt = snapshot_with(snapshot, st)
    assert (nxt.version, nxt.status, nxt.body, nxt.text) == (
        4,
        S.REASSIGNED,
        "acqua",
        snapshot.text,
    )
