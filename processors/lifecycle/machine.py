"""The case lifecycle as a pure function: `apply(state, update, now)`.

An adapter (the Faust agent on `complaints.status`, the HTTP status endpoint) keeps one
`CaseState` per case in a table, calls `apply` for each `StatusUpdate` and acts on the result:

    outcome = apply(state, update, now=record_time)
    match outcome:
        case Accepted(new_state, entry): store new_state, publish the snapshot, keep entry
        case Refused(code, message): tell the reporter; the stored state is untouched

`apply` never raises on bad input and never mutates its arguments (the models are frozen).
Every accepted update is refused if delivered again (a redelivery acts as a second report
from a state the first one already left), so replays change nothing. For the same result on
every worker and on replay, pass as `now` a time carried by the input (the Kafka record's
timestamp or the envelope's `time`), not the wall clock.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from processors.lifecycle.table import Need, Who, rules_for, sources_of
from schemas._strict import StrictModel
from schemas.case import CaseId, CaseSnapshot, CaseStatus
from schemas.status import Actor, BodyId, StatusUpdate, Transition


class CaseState(StrictModel):
    """What the lifecycle knows of one case; JSON-serializable, for a Faust table.

    `seq` counts accepted transitions (the history entry of the n-th carries seq n), so a
    sink can write history idempotently by (case_id, seq).
    """

    case_id: CaseId
    status: CaseStatus
    body: BodyId | None = None
    seq: Annotated[int, Field(ge=0)] = 0
    updated_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    confirmed_at: AwareDatetime | None = None
    reopened: Annotated[int, Field(ge=0, description="how many times it was reopened")] = 0

    @classmethod
    def from_snapshot(cls, snapshot: CaseSnapshot) -> "CaseState":
        """Start tracking a case from the snapshot that created it."""
        return cls(
            case_id=snapshot.case_id,
            status=snapshot.status,
            body=snapshot.body,
            updated_at=snapshot.updated_at,
        )


class HistoryEntry(StrictModel):
    """One accepted transition, for the case's history and for the SLA clocks.

    `effective_at` is the time the change counts from (SLA clocks use it); `applied_at` is
    when Sportello processed it.
    """

    case_id: CaseId
    seq: Annotated[int, Field(ge=1)]
    transition: Transition
    actor: Actor
    reported_by: BodyId | None
    from_status: CaseStatus
    to_status: CaseStatus
    owner_before: BodyId | None
    owner_after: BodyId | None
    reason: str | None
    note_for_citizen: str | None
    reported_at: AwareDatetime
    effective_at: AwareDatetime
    applied_at: AwareDatetime


class RefusalCode(StrEnum):
    """Why an update was refused; stable, for departments' systems to act on."""

    WRONG_CASE = "wrong_case"
    CLOSED = "closed"
    NOT_ALLOWED_FROM_STATE = "not_allowed_from_state"
    ACTOR_NOT_ALLOWED = "actor_not_allowed"
    BODY_MISSING = "body_missing"
    BODY_NOT_EXPECTED = "body_not_expected"
    NOT_OWNER = "not_owner"
    REASON_REQUIRED = "reason_required"
    NOTE_REQUIRED = "note_for_citizen_required"
    TARGET_REQUIRED = "reassign_to_required"
    TARGET_NOT_EXPECTED = "reassign_to_not_expected"
    UNKNOWN_BODY = "unknown_body"
    SAME_BODY = "same_body"


@dataclass(frozen=True)
class Accepted:
    state: CaseState
    entry: HistoryEntry


@dataclass(frozen=True)
class Refused:
    code: RefusalCode
    message: str


Outcome = Accepted | Refused

_WHO_OF_ACTOR = {
    Actor.BODY: Who.OWNER,
    Actor.FRONT_OFFICE: Who.FRONT_OFFICE,
    Actor.CITIZEN: Who.CITIZEN,
}


def apply(
    state: CaseState,
    update: StatusUpdate,
    now: datetime,
    *,
    known_bodies: frozenset[str] | None = None,
) -> Outcome:
    """Apply one status update to a case, or refuse it with a reason.

    `known_bodies`, when given, is checked for `reassign_to`. The checks run in this order,
    and the first that fails is the reason: the case id matches; the case is not closed; the
    reporter is well formed (a body actor names its body, other actors name none); the
    transition is allowed from the current state; by this kind of actor; a body is the owner;
    the required fields are there (and `reassign_to` only where it means something).
    """
    refusal = _check(state, update, known_bodies)
    if refusal is not None:
        return refusal
    rule = rules_for(update.transition, state.status)
    assert rule is not None  # _check refused otherwise
    effective = max(state.updated_at, min(update.reported_at, now))
    owner_after = update.reassign_to if Need.REASSIGN_TO in rule.needs else state.body
    target = rule.target
    if update.transition is Transition.REOPEN and owner_after is None:
        target = CaseStatus.RECEIVED
    seq = state.seq + 1
    entry = HistoryEntry(
        case_id=state.case_id,
        seq=seq,
        transition=update.transition,
        actor=update.actor,
        reported_by=update.body,
        from_status=state.status,
        to_status=target,
        owner_before=state.body,
        owner_after=owner_after,
        reason=update.reason,
        note_for_citizen=update.note_for_citizen,
        reported_at=update.reported_at,
        effective_at=effective,
        applied_at=now,
    )
    resolved_at = state.resolved_at
    confirmed_at = state.confirmed_at
    if target is CaseStatus.RESOLVED:
        resolved_at, confirmed_at = effective, None
    elif update.transition is Transition.REOPEN:
        resolved_at, confirmed_at = None, None
    elif update.transition is Transition.CONFIRM:
        confirmed_at = effective
    new_state = state.model_copy(
        update={
            "status": target,
            "body": owner_after,
            "seq": seq,
            "updated_at": effective,
            "resolved_at": resolved_at,
            "confirmed_at": confirmed_at,
            "reopened": state.reopened + (1 if update.transition is Transition.REOPEN else 0),
        }
    )
    return Accepted(new_state, entry)


def _check(
    state: CaseState, update: StatusUpdate, known_bodies: frozenset[str] | None
) -> Refused | None:
    t = update.transition.value
    if update.case_id != state.case_id:
        return Refused(
            RefusalCode.WRONG_CASE, f"update for {update.case_id} sent to {state.case_id}"
        )
    if state.status is CaseStatus.CLOSED:
        return Refused(RefusalCode.CLOSED, "the case is closed; a new complaint opens a new case")
    if update.actor is Actor.BODY and update.body is None:
        return Refused(RefusalCode.BODY_MISSING, "a body reporting must say which body it is")
    if update.actor is not Actor.BODY and update.body is not None:
        return Refused(
            RefusalCode.BODY_NOT_EXPECTED, f"actor {update.actor.value} does not name a body"
        )
    rule = rules_for(update.transition, state.status)
    if rule is None:
        allowed = ", ".join(sorted(s.value for s in sources_of(update.transition)))
        return Refused(
            RefusalCode.NOT_ALLOWED_FROM_STATE,
            f"{t} is not allowed from {state.status.value} (only from: {allowed})",
        )
    who = _WHO_OF_ACTOR[update.actor]
    if who not in rule.who:
        return Refused(
            RefusalCode.ACTOR_NOT_ALLOWED,
            f"{update.actor.value} may not {t} a case that is {state.status.value}",
        )
    if who is Who.OWNER and update.body != state.body:
        owner = state.body or "nobody"
        return Refused(
            RefusalCode.NOT_OWNER, f"{update.body} does not own this case ({owner} does)"
        )
    return _check_fields(state, update, rule.needs, known_bodies)


def _check_fields(
    state: CaseState,
    update: StatusUpdate,
    needs: frozenset[Need],
    known_bodies: frozenset[str] | None,
) -> Refused | None:
    t = update.transition.value
    if Need.REASON in needs and update.reason is None:
        return Refused(RefusalCode.REASON_REQUIRED, f"{t} needs a reason")
    if Need.NOTE_FOR_CITIZEN in needs and update.note_for_citizen is None:
        return Refused(RefusalCode.NOTE_REQUIRED, f"{t} needs a note for the citizen")
    if Need.REASSIGN_TO not in needs:
        if update.reassign_to is not None:
            return Refused(RefusalCode.TARGET_NOT_EXPECTED, f"{t} does not take reassign_to")
        return None
    if update.reassign_to is None:
        return Refused(RefusalCode.TARGET_REQUIRED, f"{t} needs reassign_to, the body")
    if known_bodies is not None and update.reassign_to not in known_bodies:
        return Refused(RefusalCode.UNKNOWN_BODY, f"no body is called {update.reassign_to}")
    if update.reassign_to == state.body:
        return Refused(RefusalCode.SAME_BODY, f"the case is already {update.reassign_to}'s")
    return None


def snapshot_with(snapshot: CaseSnapshot, state: CaseState) -> CaseSnapshot:
    """The next snapshot of a case after an accepted transition (status, owner, time, and
    the snapshot's version one higher), for `complaints.cases`."""
    return snapshot.model_copy(
        update={
            "status": state.status,
            "body": state.body,
            "updated_at": max(snapshot.updated_at, state.updated_at),
            "version": snapshot.version + 1,
        }
    )
