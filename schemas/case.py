"""Case snapshots: what `complaints.cases` carries after every change to a case."""

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.evidence import MergeRecord
from schemas.submission import Channel, Citizen, Location, TrackingId

CaseId = Annotated[
    str,
    Field(pattern=r"^CASE-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", examples=["CASE-7K3M-9QXD-2B4F"]),
]


def case_id_for(first_submission_id: str) -> str:
    """A case is named after the submission that opened it, so a replay names it the same."""
    return "CASE-" + first_submission_id.removeprefix("SP-")


class CaseStatus(StrEnum):
    """Where a case is in its life; the transitions allowed between them live in processors."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    REASSIGNED = "reassigned"
    CLOSED = "closed"


class BodyRefusal(StrictModel):
    """A body said a case assigned to it is not theirs; routing then skips that body."""

    body: Annotated[str, Field(max_length=100)]
    reason: Annotated[str, Field(max_length=2000)]
    refused_at: AwareDatetime


class CaseAnswer(StrictModel):
    """What the city last answered the citizen: the note of a resolution, or of a rejection
    (its reason when the body wrote no note). Cleared when the case is reopened.

    `seq` is the lifecycle step that gave the answer (one per accepted transition), so each
    answer is one fact: the citizen is told of it once, and a "not solved" link names it.
    """

    seq: Annotated[int, Field(ge=1)]
    outcome: Annotated[CaseStatus, Field(description="resolved or rejected")]
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    body: Annotated[str | None, Field(max_length=100, description="the body that answered")] = (
        None
    )
    answered_at: AwareDatetime


class CaseSnapshot(StrictModel):
    """The whole current state of one case. The topic is compacted: the last snapshot wins.

    `version` grows by one with every change, so a reader can ignore a stale snapshot.
    """

    case_id: CaseId
    version: Annotated[int, Field(ge=1)]
    status: CaseStatus
    tracking_ids: Annotated[
        tuple[TrackingId, ...],
        Field(min_length=1, description="every submission merged into this case, first first"),
    ]
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)]
    opened_at: AwareDatetime
    legal_receipt_at: AwareDatetime
    updated_at: AwareDatetime
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: str | None = None
    citizen: Citizen | None = None
    location: Location | None = None
    category: Annotated[str | None, Field(max_length=200)] = None
    body: Annotated[
        str | None, Field(max_length=100, description="the department or company that owns it")
    ] = None
    deadline_at: AwareDatetime | None = None
    merges: Annotated[
        tuple[MergeRecord, ...],
        Field(description="submissions merged into this case after the first, with evidence"),
    ] = ()
    related_case_ids: Annotated[
        tuple[CaseId, ...], Field(description="other citizens' cases about the same problem")
    ] = ()
    routing_rule_id: Annotated[
        str | None, Field(max_length=200, description="the routing rule that chose `body`")
    ] = None
    routing_explanation: Annotated[str | None, Field(max_length=4000)] = None
    refusals: Annotated[
        tuple[BodyRefusal, ...], Field(description="bodies that refused the case, in order")
    ] = ()
    answer: Annotated[
        CaseAnswer | None,
        Field(
            description="the answer that stands: given by a resolution or a rejection, kept"
            " when the case is closed, gone when it is reopened"
        ),
    ] = None
