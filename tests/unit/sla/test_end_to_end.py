"""Lifecycle, clocks and index together, as the adapter will run them (Hypothesis).

Several cases live at once: random allowed transitions (assign, acknowledge, ask the citizen,
resume, resolve, reopen, reassign to bodies with other policies ...) and ticks that look only
at what the deadline index names. Whatever happens: no alert id is emitted twice, none before
its time, and a final tick through the index leaves nothing owed that a full look at every
case would still find.
"""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.lifecycle import RULES, Accepted, CaseState, Need, Who, apply
from processors.sla import (
    Alert,
    DeadlineIndex,
    SlaState,
    after_transition,
    due_alerts,
    load_policies,
    mark_emitted,
    next_alert_at,
    open_sla,
)
from schemas.case import CaseStatus
from schemas.status import Actor, StatusUpdate

from .support import RECEIVED

POLICIES = load_policies()
BODIES = ("strade", "rifiuti", "mobilita")  # default, faster body, and ...
CATEGORIES = (None, "semafori", "lampioni")  # ... categories with their own terms
CASES = ("CASE-0000-0000-0001", "CASE-0000-0000-0002", "CASE-0000-0000-0003")
WHO_TO_ACTOR = {
    Who.OWNER: Actor.BODY,
    Who.FRONT_OFFICE: Actor.FRONT_OFFICE,
    Who.CITIZEN: Actor.CITIZEN,
}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_ticks_through_the_index_emit_everything_owed_once(data: st.DataObject) -> None:
    index = DeadlineIndex(slots=2)
    now = RECEIVED.astimezone(RECEIVED.tzinfo)
    lives: dict[str, tuple[CaseState, SlaState, str | None]] = {}
    for i, case_id in enumerate(CASES):
        category = CATEGORIES[i]
        receipt = now + timedelta(hours=5 * i)
        sla = open_sla(case_id, receipt, POLICIES.for_case(category, None), POLICIES.calendar)
        state = CaseState(case_id=case_id, status=CaseStatus.RECEIVED, updated_at=receipt)
        lives[case_id] = (state, sla, category)
        index.set(case_id, next_alert_at(sla))
    emitted: list[tuple[Alert, datetime]] = []

    def tick(at: datetime) -> None:
        for case_id in index.due(at):
            state, sla, category = lives[case_id]
            alerts = due_alerts(sla, at)
            emitted.extend((a, at) for a in alerts)
            sla = mark_emitted(sla, alerts)
            lives[case_id] = (state, sla, category)
            index.set(case_id, next_alert_at(sla))

    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        now += timedelta(seconds=data.draw(st.integers(0, 3 * 86_400), label="gap"))
        if data.draw(st.booleans(), label="tick"):
            tick(now)
            continue
        case_id = data.draw(st.sampled_from(CASES), label="case")
        state, sla, category = lives[case_id]
        rows = [r for r in RULES if state.status in r.sources]
        if not rows:
            continue
        rule = data.draw(st.sampled_from(rows), label="rule")
        actor = WHO_TO_ACTOR[data.draw(st.sampled_from(sorted(rule.who)), label="who")]
        target = None
        if Need.REASSIGN_TO in rule.needs:
            target = data.draw(st.sampled_from([b for b in BODIES if b != state.body]))
        update = StatusUpdate(
            case_id=case_id,
            transition=rule.transition,
            actor=actor,
            body=state.body if actor is Actor.BODY else None,
            reason="r",
            note_for_citizen="n",
            reported_at=now - timedelta(seconds=data.draw(st.integers(0, 86_400), label="late")),
            reassign_to=target,
        )
        outcome = apply(state, update, now)
        assert isinstance(outcome, Accepted), outcome
        policy = POLICIES.for_case(category, outcome.state.body)
        sla = after_transition(sla, outcome.entry, policy, POLICIES.calendar)
        lives[case_id] = (outcome.state, sla, category)
        index.set(case_id, next_alert_at(sla))

    end = now + timedelta(days=400)
    tick(end)
    ids = [a.alert_id for a, _ in emitted]
    assert len(ids) == len(set(ids))
    assert all(a.due_at <= at for a, at in emitted)
    for _, sla, _ in lives.values():
        assert due_alerts(sla, end) == []  # nothing owed was missed by the index
