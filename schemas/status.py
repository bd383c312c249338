"""Status updates: what departments (and the front office, and citizens) report about a case.

They arrive on `complaints.status` as `StatusReported` events keyed by case id, or through the
HTTP status endpoint, which publishes the same event. The schema checks only the shape; whether
an update is allowed (from this state, by this reporter, with the fields it needs) is decided
by `processors.lifecycle.apply`, which refuses with a stable code and changes nothing.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.case import CaseId

BodyId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,48}$", examples=["strade"])]


class Actor(StrEnum):
    """Who is reporting.

    `body`: a department or company, named in `StatusUpdate.body`; only the body that owns the
    case may act on it. `front_office`: the city's Customer Care operators and the router
    (assign, reassign, reject what is not a complaint, close). `citizen`: the person who
    complained, usually through the front office (says "not solved", confirms, replies).
    """

    BODY = "body"
    FRONT_OFFICE = "front_office"
    CITIZEN = "citizen"


class Transition(StrEnum):
    """The verbs of the lifecycle. The table of which verb is allowed from which state, by
    whom, and to which state lives in `processors.lifecycle.table`."""

    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    ASK_CITIZEN = "ask_citizen"
    RESUME = "resume"
    RESOLVE = "resolve"
    REJECT = "reject"
    REASSIGN = "reassign"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    CLOSE = "close"


class StatusUpdate(StrictModel):
    """One reported change of a case's status.

    `reported_at` is when the reporter says it happened; the lifecycle uses it, clamped between
    the case's last change and the time of processing, so a late report keeps its real time
    but no report can rewrite history or come from the future.
    """

    case_id: CaseId
    transition: Transition
    actor: Actor = Actor.BODY
    body: Annotated[
        BodyId | None, Field(description="the reporting body; required when actor is `body`")
    ] = None
    reason: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=2000,
            description="why: required to reject, reassign and reopen",
        ),
    ] = None
    note_for_citizen: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=5000,
            description="what the citizen is told: required to resolve and to ask the citizen",
        ),
    ] = None
    reported_at: AwareDatetime
    reassign_to: Annotated[
        BodyId | None,
        Field(description="the body that gets the case: required to assign and reassign"),
    ] = None
