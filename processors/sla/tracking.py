"""How a case's lifecycle drives its SLA clocks.

    sla = open_sla(case_id, snapshot.legal_receipt_at, policy, calendar)
    ...
    outcome = lifecycle.apply(case_state, update, now)
    if isinstance(outcome, Accepted):
        policy = policies.for_case(category, outcome.state.body)
        sla = after_transition(sla, outcome.entry, policy, calendar)

The resolution clock starts at the legal receipt time (postmark, fax time, web time) and
runs until the case is resolved or rejected. It pauses while the case waits for the citizen,
and a reopening ("not solved") runs it again, the time the case sat resolved counting as a
pause, so a body gets no fresh 30 days by resolving too early, nor loses the days the citizen
took to answer.

The acknowledgement clock starts when a body gets the case (assign, reassign, reopen) and
stops at that body's first act (acknowledge, start, reject, hand it on); a new owner gets a
new clock, in a new generation, so its alerts are its own.

When the policy that applies changes (the category was corrected, another body took the
case), the clocks keep their start and pauses and get the new rule; see `timers` for which
alerts that re-arms.
"""

from datetime import datetime

from processors.lifecycle.machine import HistoryEntry
from processors.sla.calendar import WorkingCalendar
from processors.sla.policy import DeadlineRule, Policy
from processors.sla.timers import ClockKind, SlaClock, SlaState, start_clock
from schemas.case import CaseStatus
from schemas.status import Transition

_HANDED_OVER = frozenset({Transition.ASSIGN, Transition.REASSIGN, Transition.REOPEN})
_AWAITING_ACK = frozenset({CaseStatus.ASSIGNED, CaseStatus.REASSIGNED})
_DONE = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.CLOSED})


def _deadline(calendar: WorkingCalendar, rule: DeadlineRule, start: datetime) -> datetime:
    return calendar.deadline(start, rule.days, rule.days_kind, roll_forward=rule.roll_forward)


def open_sla(
    case_id: str,
    legal_receipt_at: datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    body: str | None = None,
    assigned_at: datetime | None = None,
) -> SlaState:
    """The SLA of a new case. Pass `body` and `assigned_at` if it was assigned on creation
    (the router often assigns at once), to start the acknowledgement clock too."""
    rule = policy.resolution
    resolution = start_clock(
        ClockKind.RESOLUTION, rule, legal_receipt_at, _deadline(calendar, rule, legal_receipt_at)
    )
    acknowledgement = None
    if body is not None and assigned_at is not None and policy.acknowledgement is not None:
        acknowledgement = _new_ack(None, body, policy.acknowledgement, assigned_at, calendar)
    return SlaState(
        case_id=case_id, body=body, resolution=resolution, acknowledgement=acknowledgement
    )


def _new_ack(
    old: SlaClock | None,
    owner: str | None,
    rule: DeadlineRule,
    at: datetime,
    calendar: WorkingCalendar,
) -> SlaClock:
    deadline = _deadline(calendar, rule, at)
    clock = start_clock(ClockKind.ACKNOWLEDGEMENT, rule, at, deadline, owner=owner)
    if old is not None:
        clock = clock.model_copy(update={"generation": old.generation + 1})
    return clock


def change_policy(
    state: SlaState,
    policy: Policy,
    calendar: WorkingCalendar,
    at: datetime,
    *,
    acknowledgement: bool = True,
) -> SlaState:
    """The clocks under `policy` from `at` on: same starts and pauses, new rules. An
    acknowledgement clock the new policy does not have is stopped at `at`. With
    `acknowledgement=False` only the resolution clock changes."""
    resolution = state.resolution.with_rule(
        policy.resolution, _deadline(calendar, policy.resolution, state.resolution.started_at), at
    )
    ack = state.acknowledgement
    if ack is not None and acknowledgement:
        if policy.acknowledgement is None:
            ack = ack.stop(at)
        else:
            rule = policy.acknowledgement
            ack = ack.with_rule(rule, _deadline(calendar, rule, ack.started_at), at)
    if resolution is state.resolution and ack is state.acknowledgement:
        return state
    return state.model_copy(update={"resolution": resolution, "acknowledgement": ack})


def after_transition(
    state: SlaState, entry: HistoryEntry, policy: Policy, calendar: WorkingCalendar
) -> SlaState:
    """The SLA after an accepted transition. `policy` is the one for the case as it is now
    (its category and its owner after the transition)."""
    at = entry.effective_at
    handed_over = entry.transition in _HANDED_OVER and entry.to_status in _AWAITING_ACK
    # On a handover the old owner's acknowledgement clock keeps its own rule.
    state = change_policy(state, policy, calendar, at, acknowledgement=not handed_over)
    resolution = state.resolution
    if entry.to_status is CaseStatus.WAITING_FOR_CITIZEN:
        resolution = resolution.pause(at)
    elif entry.from_status is CaseStatus.WAITING_FOR_CITIZEN:
        resolution = resolution.resume(at)
    if entry.transition is Transition.REOPEN:
        resolution = resolution.reopen(at)
    elif entry.to_status in _DONE:
        resolution = resolution.stop(at)

    ack = state.acknowledgement
    retired = state.retired
    if handed_over:
        if ack is not None:
            ack = ack.stop(at)  # kept, stopped, so that its generations keep counting
        if policy.acknowledgement is not None:
            if ack is not None and ack.pending():
                retired = (*retired, ack)  # it still owes what it reached before `at`
            ack = _new_ack(ack, entry.owner_after, policy.acknowledgement, at, calendar)
    elif ack is not None and entry.to_status not in _AWAITING_ACK:
        ack = ack.stop(at)
    return state.model_copy(
        update={
            "body": entry.owner_after,
            "resolution": resolution,
            "acknowledgement": ack,
            "retired": retired,
        }
    )
