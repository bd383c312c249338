"""Sportello's public contract: the events on its topics, as strict pydantic v2 models.

Departmental developers read `schemas/json/` (exported JSON Schema) or import these models.
"""

from schemas.blob import BlobRef
from schemas.case import CaseId, CaseSnapshot, CaseStatus, case_id_for
from schemas.deadletter import DeadLetter
from schemas.events import (
    EVENT_CLASSES,
    AnyEvent,
    CaseUpdated,
    DeadLettered,
    Event,
    FollowUpReceived,
    SubmissionReceived,
    decode_event,
)
from schemas.followup import FollowUp
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
    "AnyEvent",
    "BlobRef",
    "CaseId",
    "CaseSnapshot",
    "CaseStatus",
    "CaseUpdated",
    "Channel",
    "Citizen",
    "Coordinates",
    "DeadLetter",
    "DeadLettered",
    "Event",
    "FollowUp",
    "FollowUpReceived",
    "Location",
    "Submission",
    "SubmissionReceived",
    "TrackingId",
    "case_id_for",
    "decode_event",
    "tracking_id_for",
]
