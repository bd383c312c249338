"""Sportello's public contract: the events on its topics, as strict pydantic v2 models.

Departmental developers read `schemas/json/` (exported JSON Schema) or import these models.
"""

from schemas.blob import BlobRef
from schemas.case import BodyRefusal, CaseAnswer, CaseId, CaseSnapshot, CaseStatus, case_id_for
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupRecord
from schemas.events import (
    EVENT_CLASSES,
    AnyEvent,
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    CitizenNotified,
    DeadLettered,
    Event,
    FollowUpReceived,
    MetricsReported,
    StatusReported,
    SubmissionReceived,
    decode_event,
)
from schemas.evidence import MatchEvidence, MatchSignal, MergeRecord
from schemas.followup import FollowUp
from schemas.metrics import Figures, WindowSize
from schemas.notification import CitizenNotification
from schemas.routing import Assignment, CategoryCandidate, CitizenContact, Triage
from schemas.status import Actor, BodyId, StatusUpdate, Transition
from schemas.submission import (
    Channel,
    Citizen,
    Coordinates,
    Location,
    Submission,
    TrackingId,
    tracking_id_for,
)

__all__ = [
    "EVENT_CLASSES",
    "Actor",
    "AnyEvent",
    "Assignment",
    "BlobRef",
    "BodyId",
    "BodyRefusal",
    "CaseAnswer",
    "CaseAssigned",
    "CaseDeduplicated",
    "CaseId",
    "CaseSnapshot",
    "CaseStatus",
    "CaseTriaged",
    "CaseUpdated",
    "CategoryCandidate",
    "Channel",
    "Citizen",
    "CitizenContact",
    "CitizenNotification",
    "CitizenNotified",
    "Coordinates",
    "DeadLetter",
    "DeadLettered",
    "DedupRecord",
    "Event",
    "Figures",
    "FollowUp",
    "FollowUpReceived",
    "Location",
    "MatchEvidence",
    "MatchSignal",
    "MergeRecord",
    "MetricsReported",
    "StatusReported",
    "StatusUpdate",
    "Submission",
    "SubmissionReceived",
    "TrackingId",
    "Transition",
    "Triage",
    "WindowSize",
    "case_id_for",
    "decode_event",
    "tracking_id_for",
]
