"""Properties of the state machine over random sequences of updates (Hypothesis).

Updates are drawn from every verb, every kind of actor, a few bodies (owners and strangers),
with and without each optional field, at times that may be early, late or in the future.
"""

from datetime import timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from processors.lifecycle import (
    RULES,
    Accepted,
    CaseState,
    Need,
    Refused,
    Who,
    apply,
    rules_for,
)
from schemas.case import CaseStatus
from schemas.status import Actor, StatusUpdate, Transition

from .support import CASE, T0, state

BODIES = ("strade", "verde", "acqua")
KNOWN = frozenset(BODIES)
HELD_BY_SOMEONE = frozenset(
    {
        CaseStatus.ASSIGNED,
        CaseStatus.REASSIGNED,
        CaseStatus.ACKNOWLEDGED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_FOR_CITIZEN,
        CaseStatus.RESOLVED,
    }
)


@st.composite
def updates(draw: st.DrawFn) -> tuple[StatusUpdate, timedelta]:
    actor = draw(st.sampled_from(Actor))
    body = draw(st.sampled_from(BODIES)) if actor is Actor.BODY else None
    if draw(st.integers(0, 20)) == 0:  # now and then, a malformed reporter
        body = None if body else "strade"
    upd = StatusUpdate(
        case_id=CASE,
        transition=draw(st.sampled_from(Transition)),
        actor=actor,
        body=body,
        reason=draw(st.sampled_from([None, "because"])),
        note_for_citizen=draw(st.sampled_from([None, "we are on it"])),
        reported_at=T0 + timedelta(minutes=draw(st.integers(-600, 60 * 24 * 60))),
        reassign_to=draw(st.sampled_from([None, None, *BODIES, "unknown_body"])),
    )
    return upd, timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))


def check_invariants(s: CaseState) -> None:
    assert s.status in set(CaseStatus)
    if s.status in HELD_BY_SOMEONE:
        assert s.body in KNOWN
    assert (s.status is CaseStatus.RESOLVED) <= (s.resolved_at is not None)
    assert (s.confirmed_at is not None) <= (s.status is CaseStatus.CLOSED)


@st.composite
def plausible_update(draw: st.DrawFn, s: CaseState) -> tuple[StatusUpdate, timedelta]:
    """An update a real reporter might send from state `s`: a verb allowed from it, by an
    actor the row allows, with the fields it needs; and now and then one thing wrong."""
    rows = [r for r in RULES if s.status in r.sources]
    if not rows:
        return draw(updates())
    rule = draw(st.sampled_from(rows))
    who = draw(st.sampled_from(sorted(rule.who)))
    actor = {Who.OWNER: Actor.BODY, Who.FRONT_OFFICE: Actor.FRONT_OFFICE}.get(who, Actor.CITIZEN)
    upd = StatusUpdate(
        case_id=CASE,
        transition=rule.transition,
        actor=actor,
        body=s.body if actor is Actor.BODY else None,
        reason="because" if Need.REASON in rule.needs else None,
        note_for_citizen="we are on it" if Need.NOTE_FOR_CITIZEN in rule.needs else None,
        reported_at=s.updated_at + timedelta(minutes=draw(st.integers(-600, 60 * 24 * 5))),
        reassign_to=(
            draw(st.sampled_from([b for b in BODIES if b != s.body]))
            if Need.REASSIGN_TO in rule.needs
            else None
        ),
    )
    if draw(st.integers(0, 9)) == 0:  # one thing wrong
        field = draw(st.sampled_from(["body", "reason", "note_for_citizen", "reassign_to"]))
        wrong: object = draw(st.sampled_from([None, "verde", "strade"]))
        if field in ("reason", "note_for_citizen"):
            wrong = None
        upd = upd.model_copy(update={field: wrong})
    return upd, timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_no_sequence_reaches_an_undefined_state_and_refusals_change_nothing(
    data: st.DataObject,
) -> None:
    s = state()
    now = T0
    accepted = 0
    for _ in range(data.draw(st.integers(0, 30), label="steps")):
        upd, gap = data.draw(st.one_of(updates(), plausible_update(s), plausible_update(s)))
        now += gap
        before = s.model_dump()
        outcome = apply(s, upd, now, known_bodies=KNOWN)
        assert s.model_dump() == before  # the input is never changed
        rule = rules_for(upd.transition, s.status)
        if isinstance(outcome, Refused):
            assert outcome.message
            continue
        assert isinstance(outcome, Accepted)
        accepted += 1
        new, entry = outcome.state, outcome.entry
        # Accepted only what the table allows, by whom it allows.
        assert rule is not None
        who = {Actor.BODY: Who.OWNER, Actor.FRONT_OFFICE: Who.FRONT_OFFICE}.get(
            upd.actor, Who.CITIZEN
        )
        assert who in rule.who
        # Only the owning body may act.
        if upd.actor is Actor.BODY:
            assert upd.body == s.body is not None
        else:
            assert upd.body is None
        expected = rule.target
        if upd.transition is Transition.REOPEN and s.body is None:
            expected = CaseStatus.RECEIVED
        assert new.status is expected is entry.to_status
        assert entry.from_status is s.status
        assert entry.seq == new.seq == accepted
        assert s.updated_at <= new.updated_at <= max(now, s.updated_at)
        check_invariants(new)
        event(f"reached {new.status.value}")
        # The same update delivered again is refused: a redelivery changes nothing.
        assert isinstance(apply(new, upd, now, known_bodies=KNOWN), Refused)
        s = new


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CaseStatus), st.sampled_from(BODIES), updates())
def test_a_stranger_body_is_always_refused(
    status: CaseStatus, owner: str, drawn: tuple[StatusUpdate, timedelta]
) -> None:
    upd, _ = drawn
    s = state(status, owner)
    stranger = next(b for b in BODIES if b != owner)
    upd = upd.model_copy(update={"actor": Actor.BODY, "body": stranger})
    assert isinstance(apply(s, upd, T0 + timedelta(days=1), known_bodies=KNOWN), Refused)
