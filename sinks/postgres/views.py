"""What the read side returns: plain frozen models, and one line of history per event. Pure.

Two audiences. An operator (`CaseView`, `CaseHistory`) sees everything the record holds,
personal data included: they answer the citizen. A citizen, or anyone holding a tracking
number (`PublicStatus`), sees no personal data: no text, no name or contact, no place; only
where the complaint is, who has it, by when, and what the city said to the citizen.
"""

from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.case import CaseId, CaseSnapshot, CaseStatus
from schemas.dedup import Linked, Merged, Redelivered, Unmerged
from schemas.events import (
    AnyEvent,
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    CitizenNotified,
    Event,
    FollowUpReceived,
    SlaAlerted,
    StatusReported,
    SubmissionReceived,
)
from schemas.evidence import MergeRecord
from schemas.submission import Channel, TrackingId
from sinks.postgres.privacy import ERASED


class CaseView(StrictModel):
    """A case as it is now, for an operator: the latest snapshot and its tracking numbers."""

    case_id: CaseId
    tracking_ids: tuple[TrackingId, ...]
    snapshot: CaseSnapshot
    erased: Annotated[bool, Field(description="the citizen's personal data was erased")] = False


class HistoryItem(StrictModel):
    event_id: str
    type: str
    time: AwareDatetime
    topics: Annotated[tuple[str, ...], Field(description="where the event was seen")]
    summary: Annotated[str, Field(description="one line for people")]
    event: AnyEvent


class CaseHistory(StrictModel):
    """Everything that happened to a case, oldest first, with the evidence of its merges and
    the rule that routed it."""

    case_id: CaseId
    status: CaseStatus
    merges: tuple[MergeRecord, ...]
    related_case_ids: tuple[CaseId, ...]
    routing_rule_id: str | None
    routing_explanation: str | None
    items: tuple[HistoryItem, ...]


class PublicStep(StrictModel):
    """One change the citizen may see: the status from then on, and what they were told."""

    at: AwareDatetime
    status: CaseStatus
    body: str | None = None
    note_for_citizen: str | None = None


class PublicStatus(StrictModel):
    """Where a complaint is, without personal data. Before the worker has opened its case,
    `case_id` is None and the status is `received`."""

    tracking_id: TrackingId
    case_id: CaseId | None = None
    merged_into: Annotated[
        CaseId | None,
        Field(description="the case this complaint was joined to, if not its own"),
    ] = None
    channel: Channel | None = None
    status: CaseStatus
    body: str | None = None
    category: str | None = None
    received_at: AwareDatetime
    updated_at: AwareDatetime
    deadline_at: AwareDatetime | None = None
    steps: tuple[PublicStep, ...] = ()


def _who(body: str | None) -> str:
    return body or "nobody yet"


def summarize(event: Event[Any]) -> str:
    """One line saying what the event did to the case, for the operator's history."""
    d = event.data
    match event:
        case SubmissionReceived():
            return f"Received {d.submission_id} by {d.channel.value}"
        case FollowUpReceived():
            return f"The citizen wrote again about {d.tracking_id} by {d.channel.value}"
        case CaseUpdated():
            return f"Version {d.version}: {d.status.value}, owned by {_who(d.body)}"
        case CaseAssigned():
            return f"Assigned to {d.body} by rule {d.rule_id}: {d.explanation}"
        case CaseTriaged():
            return f"Sent to triage ({d.reason}): {d.explanation}"
        case StatusReported():
            by = d.body or d.actor.value
            to = f" to {d.reassign_to}" if d.reassign_to else ""
            return f"{by} reported {d.transition.value}{to}" + (
                f": {d.reason}" if d.reason and d.reason != ERASED else ""
            )
        case SlaAlerted():
            return f"SLA {d.kind} on the {d.clock} clock (due {d.due_at:%Y-%m-%d %H:%M} UTC)"
        case CaseDeduplicated():
            return _dedup_line(event)
        case CitizenNotified():
            if d.delivered:
                return f"The citizen was told by {d.channel} that the case is {d.outcome.value}"
            return f"The citizen could not be told by {d.channel}: {d.detail or 'refused'}"
    return event.type


def _dedup_line(event: CaseDeduplicated) -> str:
    decision = event.data.decision
    match decision:
        case Redelivered():
            return f"{decision.submission_id} arrived again by {decision.channel.value}; dropped"
        case Merged():
            signals = ", ".join(s.value for s in decision.evidence.signals)
            return (
                f"Merged {decision.submission_id} ({decision.channel.value}) into this case:"
                f" {signals}; {decision.evidence.explanation}"
            )
        case Linked():
            others = ", ".join(link.case_id for link in decision.links)
            return f"Related to {others} (other citizens, same problem)"
        case Unmerged():
            return (
                f"{decision.operator_id} undid the merge of {decision.submission_id}"
                f" (now {decision.restored_case_id})"
            )
    raise AssertionError(decision)
