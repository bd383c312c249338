"""What a body receives: assignments on `complaints.routed.<body>`, and cases for triage.

Personal data goes only where it is needed: an assignment carries the contact a body needs to
answer the citizen (name, email, phone) and not the tax code or the channel's raw input.
"""

from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.blob import BlobRef
from schemas.case import CaseId
from schemas.submission import Channel, Location, TrackingId


class CitizenContact(StrictModel):
    """How to answer the citizen, and nothing else about them."""

    name: Annotated[str | None, Field(max_length=200)] = None
    email: Annotated[str | None, Field(max_length=320)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None


class Assignment(StrictModel):
    """A case given to the body that owns it, with why it was chosen."""

    case_id: CaseId
    tracking_id: Annotated[TrackingId, Field(description="the number the citizen was given")]
    body: Annotated[str, Field(max_length=100)]
    category: Annotated[str | None, Field(max_length=200)] = None
    rule_id: Annotated[str, Field(max_length=200, description="the routing rule that fired")]
    explanation: Annotated[str, Field(max_length=4000)]
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: str | None = None
    channel: Channel | None = None
    location: Location | None = None
    contact: CitizenContact | None = None
    attachments: tuple[BlobRef, ...] = ()
    legal_receipt_at: AwareDatetime | None = None
    deadline_at: AwareDatetime | None = None
    related_case_ids: tuple[CaseId, ...] = ()


class CategoryCandidate(StrictModel):
    category: Annotated[str, Field(max_length=200)]
    confidence: Annotated[float, Field(ge=0, le=1)]


class Triage(StrictModel):
    """A case no rule could place, for a Customer Care operator to sort by hand."""

    case_id: CaseId
    tracking_id: TrackingId
    reason: Annotated[
        str,
        Field(
            max_length=100,
            description="a stable code: no_category, unknown_category, all_refused, low_confidence",
        ),
    ]
    explanation: Annotated[str, Field(max_length=4000)]
    candidates: Annotated[
        tuple[CategoryCandidate, ...], Field(description="the classifier's best guesses")
    ] = ()
    refused_by: tuple[str, ...] = ()
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: str | None = None
    channel: Channel | None = None
    location: Location | None = None
    contact: CitizenContact | None = None
    legal_receipt_at: AwareDatetime | None = None
    deadline_at: AwareDatetime | None = None
    related_case_ids: tuple[CaseId, ...] = ()
