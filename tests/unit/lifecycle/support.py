"""Builders for lifecycle tests."""

from datetime import UTC, datetime, timedelta

from processors.lifecycle import CaseState
from schemas.case import CaseStatus
from schemas.status import Actor, StatusUpdate, Transition

CASE = "CASE-7K3M-9QXD-2B4F"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def state(status: CaseStatus = CaseStatus.RECEIVED, body: str | None = None) -> CaseState:
    return CaseState(case_id=CASE, status=status, body=body, updated_at=T0)


def update(
    transition: Transition,
    *,
    body: str | None = None,
    actor: Actor | None = None,
    reason: str | None = None,
    note: str | None = None,
    reassign_to: str | None = None,
    at: datetime | None = None,
    case_id: str = CASE,
) -> StatusUpdate:
    if actor is None:
        actor = Actor.BODY if body is not None else Actor.FRONT_OFFICE
    return StatusUpdate(
        case_id=case_id,
        transition=transition,
        actor=actor,
        body=body,
        reason=reason,
        note_for_citizen=note,
        reported_at=at or T0 + timedelta(hours=1),
        reassign_to=reassign_to,
    )
