"""The lifecycle drives the clocks: acknowledgement, pauses, reopening, reassignment."""

from datetime import UTC, datetime, timedelta

from processors.lifecycle import Accepted, CaseState, apply
from processors.sla import (
    MILAN,
    Alert,
    ClockKind,
    SlaState,
    after_transition,
    due_alerts,
    load_policies,
    mark_emitted,
    next_alert_at,
    open_sla,
)
from processors.sla.policy import Policy
from schemas.case import CaseStatus
from schemas.status import Actor, StatusUpdate, Transition

from .support import CASE, DAY, DEADLINE, HOUR, POLICY, RECEIVED, tick

POLICIES = load_policies()


class Case:
    """A case driven through the lifecycle, its SLA following, alerts logged on each tick."""

    def __init__(self, category: str | None = None) -> None:
        self.category = category
        self.state = CaseState(case_id=CASE, status=CaseStatus.RECEIVED, updated_at=RECEIVED)
        self.sla: SlaState = open_sla(CASE, RECEIVED, self.policy(None), MILAN)
        self.log: list[Alert] = []

    def policy(self, body: str | None) -> Policy:
        return POLICIES.for_case(self.category, body)

    def do(self, at: datetime, transition: Transition, **fields: object) -> None:
        self.sla = tick(self.sla, at, self.log)
        actor = fields.pop("actor", Actor.BODY if "body" in fields else Actor.FRONT_OFFICE)
        update = StatusUpdate(
            case_id=CASE, transition=transition, actor=actor, reported_at=at, **fields
        )
        outcome = apply(self.state, update, at)
        assert isinstance(outcome, Accepted), outcome
        self.state = outcome.state
        policy = POLICIES.for_case(self.category, self.state.body)
        self.sla = after_transition(self.sla, outcome.entry, policy, MILAN)

    def run_until(self, end: datetime) -> None:
        now = self.sla.resolution.started_at
        while now <= end:
            self.sla = tick(self.sla, now, self.log)
            now += HOUR

    def kinds(self) -> list[tuple[str, str, int]]:
        return [(a.clock.value, a.kind, a.generation) for a in self.log]


def test_acknowledged_in_time_no_acknowledgement_alert_resolved_in_time_no_breach() -> None:
    case = Case()
    case.do(RECEIVED + HOUR, Transition.ASSIGN, reassign_to="strade")
    assert case.sla.acknowledgement is not None
    case.do(RECEIVED + 20 * HOUR, Transition.ACKNOWLEDGE, body="strade")
    case.do(RECEIVED + 10 * DAY, Transition.RESOLVE, body="strade", note_for_citizen="done")
    case.run_until(DEADLINE + 30 * DAY)
    assert case.kinds() == []
    assert next_alert_at(case.sla) is None


def test_a_silent_body_gets_its_acknowledgement_warning_and_breach_once() -> None:
    case = Case()
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")  # Monday 10:00
    case.run_until(RECEIVED + 5 * DAY)
    ack = [(a.kind, a.due_at) for a in case.log if a.clock is ClockKind.ACKNOWLEDGEMENT]
    # 2 working days: Tuesday and Wednesday; the deadline is Wednesday's midnight.
    assert [k for k, _ in ack] == ["warning_50", "breach"]
    assert ack[1][1] == datetime(2024, 3, 6, 23, tzinfo=ack[1][1].tzinfo)


def test_a_reassigned_case_gives_the_new_body_its_own_acknowledgement_clock() -> None:
    case = Case()
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")
    case.run_until(RECEIVED + 4 * DAY)  # strade lets it breach
    case.do(
        RECEIVED + 4 * DAY, Transition.REASSIGN, body="strade", reason="a tree", reassign_to="verde"
    )
    # Friday 8 March: verde has Monday 11 and Tuesday 12; it starts on Wednesday.
    case.do(RECEIVED + 9 * DAY, Transition.START, body="verde")
    case.run_until(RECEIVED + 12 * DAY)
    ack = [(a.body, a.kind, a.generation) for a in case.log if a.clock is ClockKind.ACKNOWLEDGEMENT]
    assert ack == [
        ("strade", "warning_50", 0),
        ("strade", "breach", 0),
        ("verde", "warning_50", 1),
        ("verde", "breach", 1),
    ]


def test_a_late_tick_still_emits_what_the_previous_owner_owed_before_the_handover() -> None:
    case = Case()
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")
    # strade's term ends at midnight between Wednesday 6 and Thursday 7 March; no tick runs
    # until the front office moves the case 30 seconds later.
    late = datetime(2024, 3, 6, 23, 0, 30, tzinfo=UTC)
    state = case.state
    outcome = apply(
        state,
        StatusUpdate(
            case_id=CASE,
            transition=Transition.REASSIGN,
            actor=Actor.FRONT_OFFICE,
            reason="wrong office",
            reported_at=late,
            reassign_to="verde",
        ),
        late,
    )
    assert isinstance(outcome, Accepted)
    sla = after_transition(case.sla, outcome.entry, POLICIES.for_case(None, "verde"), MILAN)
    owed = [(a.body, a.kind, a.generation) for a in due_alerts(sla, late)]
    assert owed == [("strade", "warning_50", 0), ("strade", "breach", 0)]
    sla = mark_emitted(sla, due_alerts(sla, late))
    assert sla.retired == ()
    assert sla.acknowledgement is not None
    assert sla.acknowledgement.owner == "verde"


def test_waiting_for_the_citizen_moves_the_deadline_by_the_wait() -> None:
    case = Case()
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")
    case.do(RECEIVED + DAY, Transition.ACKNOWLEDGE, body="strade")
    case.do(RECEIVED + 2 * DAY, Transition.ASK_CITIZEN, body="strade", note_for_citizen="where?")
    assert case.sla.deadline_at is None
    case.do(RECEIVED + 9 * DAY + 3 * HOUR, Transition.RESUME, actor=Actor.CITIZEN)
    assert case.sla.deadline_at == DEADLINE + 7 * DAY + 3 * HOUR


def test_not_solved_reopens_the_clock_without_a_fresh_30_days() -> None:
    case = Case()
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")
    case.do(RECEIVED + DAY, Transition.START, body="strade")
    case.do(RECEIVED + 20 * DAY, Transition.RESOLVE, body="strade", note_for_citizen="done")
    case.do(RECEIVED + 25 * DAY, Transition.REOPEN, actor=Actor.CITIZEN, reason="still broken")
    assert case.sla.resolution.stopped_at is None
    assert case.sla.deadline_at == DEADLINE + 5 * DAY  # the 5 days it sat resolved
    assert case.sla.acknowledgement is not None
    assert case.sla.acknowledgement.stopped_at is None  # strade must acknowledge again
    case.run_until(DEADLINE + 10 * DAY)
    res = [(a.kind, a.generation) for a in case.log if a.clock is ClockKind.RESOLUTION]
    assert res == [("warning_50", 0), ("warning_80", 0), ("breach", 0)]


def test_a_new_owner_with_a_shorter_policy_can_be_late_at_once() -> None:
    case = Case(category="pulizia_strade")
    case.do(RECEIVED, Transition.ASSIGN, reassign_to="strade")
    case.do(RECEIVED + DAY, Transition.ACKNOWLEDGE, body="strade")
    at = RECEIVED + 9 * DAY
    case.do(at, Transition.REASSIGN, body="strade", reason="theirs", reassign_to="rifiuti")
    breach = [a for a in due_alerts(case.sla, at) if a.clock is ClockKind.RESOLUTION]
    assert [a.kind for a in breach] == ["warning_50", "warning_80", "breach"]  # 7 days, gone
    assert breach[-1].body == "rifiuti"


def test_uses_the_shipped_defaults() -> None:
    assert POLICIES.for_case(None, "strade") == POLICY.model_copy(update={"solved_after_days": 15})
    assert timedelta(days=POLICIES.default.solved_after_days) == POLICIES.default.contest_period
