"""Lifecycle, clocks and index together, as the adapter will run them (Hypothesis).

Several cases live at once, driven by a random script: allowed transitions (assign,
acknowledge, ask the citizen, resume, resolve, reopen, reassign ...) and ticks that look only
at what the deadline index names. Whatever happens, no alert id is emitted twice, none before
its time, and a final tick through the index leaves nothing owed. And when reports are not
backdated and the policy does not change, the alerts (ids and times) are the same whether
ticks come rarely or before every single change.
"""

from dataclasses import dataclass, field
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
CASES = ("CASE-0000-0000-0001", "CASE-0000-0000-0002", "CASE-0000-0000-0003")
ACTOR = {Who.OWNER: Actor.BODY, Who.FRONT_OFFICE: Actor.FRONT_OFFICE, Who.CITIZEN: Actor.CITIZEN}

# A step: seconds to wait, tick or not, which case, and choices among what is allowed then.
SCRIPT = st.lists(
    st.tuples(
        st.integers(0, 3 * 86_400),
        st.integers(0, 4).map(lambda n: n == 0),  # a tick one step in five
        st.integers(0, len(CASES) - 1),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 86_400),
    ),
    max_size=40,
)


@dataclass
class World:
    index: DeadlineIndex = field(default_factory=lambda: DeadlineIndex(slots=2))
    lives: dict[str, tuple[CaseState, SlaState, str | None]] = field(default_factory=dict)
    emitted: list[tuple[Alert, datetime]] = field(default_factory=list)

    def tick(self, at: datetime) -> None:
        for case_id in self.index.due(at):
            state, sla, category = self.lives[case_id]
            alerts = due_alerts(sla, at)
            self.emitted.extend((a, at) for a in alerts)
            sla = mark_emitted(sla, alerts)
            self.lives[case_id] = (state, sla, category)
            self.index.set(case_id, next_alert_at(sla))


def simulate(
    script: list[tuple[int, bool, int, int, int, int]],
    *,
    bodies: tuple[str, ...],
    categories: tuple[str | None, ...],
    backdate: bool,
    tick_before_every_change: bool,
) -> tuple[World, datetime]:
    world = World()
    now = RECEIVED
    for i, case_id in enumerate(CASES):
        receipt = now + timedelta(hours=5 * i)
        sla = open_sla(case_id, receipt, POLICIES.for_case(categories[i], None), POLICIES.calendar)
        state = CaseState(case_id=case_id, status=CaseStatus.RECEIVED, updated_at=receipt)
        world.lives[case_id] = (state, sla, categories[i])
        world.index.set(case_id, next_alert_at(sla))
    for gap, is_tick, case, pick_row, pick_other, late in script:
        now += timedelta(seconds=gap)
        if is_tick:
            world.tick(now)
            continue
        if tick_before_every_change:
            world.tick(now)
        case_id = CASES[case]
        state, sla, category = world.lives[case_id]
        rows = [r for r in RULES if state.status in r.sources]
        if not rows:
            continue
        rule = rows[pick_row % len(rows)]
        who = sorted(rule.who)[pick_other % len(rule.who)]
        targets = [b for b in bodies if b != state.body]
        update = StatusUpdate(
            case_id=case_id,
            transition=rule.transition,
            actor=ACTOR[who],
            body=state.body if who is Who.OWNER else None,
            reason="r",
            note_for_citizen="n",
            reported_at=now - timedelta(seconds=late if backdate else 0),
            reassign_to=targets[pick_other % len(targets)]
            if Need.REASSIGN_TO in rule.needs
            else None,
        )
        outcome = apply(state, update, now)
        assert isinstance(outcome, Accepted), outcome
        policy = POLICIES.for_case(category, outcome.state.body)
        sla = after_transition(sla, outcome.entry, policy, POLICIES.calendar)
        world.lives[case_id] = (outcome.state, sla, category)
        world.index.set(case_id, next_alert_at(sla))
    end = now + timedelta(days=400)
    world.tick(end)
    return world, end


@settings(max_examples=150, deadline=None)
@given(SCRIPT)
def test_ticks_through_the_index_emit_everything_owed_once(
    script: list[tuple[int, bool, int, int, int, int]],
) -> None:
    world, end = simulate(
        script,
        bodies=("strade", "rifiuti", "mobilita"),  # rifiuti has shorter terms
        categories=(None, "semafori", "lampioni"),  # so do these categories
        backdate=True,
        tick_before_every_change=False,
    )
    ids = [a.alert_id for a, _ in world.emitted]
    assert len(ids) == len(set(ids))
    assert all(a.due_at <= at for a, at in world.emitted)
    for _, sla, _ in world.lives.values():
        assert due_alerts(sla, end) == []  # nothing owed was missed by the index


@settings(max_examples=150, deadline=None)
@given(SCRIPT)
def test_alerts_do_not_depend_on_when_the_ticks_come(
    script: list[tuple[int, bool, int, int, int, int]],
) -> None:
    same = {"bodies": ("strade", "verde", "acqua"), "categories": (None, None, None)}
    lazy, _ = simulate(script, **same, backdate=False, tick_before_every_change=False)  # type: ignore[arg-type]
    eager, _ = simulate(script, **same, backdate=False, tick_before_every_change=True)  # type: ignore[arg-type]
    named = {(a.alert_id, a.due_at, a.body) for a, _ in lazy.emitted}
    assert named == {(a.alert_id, a.due_at, a.body) for a, _ in eager.emitted}
    assert len(named) == len(lazy.emitted) == len(eager.emitted)
