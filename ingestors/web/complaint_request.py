"""What a caller posts to `POST /v1/complaints`, and how it becomes a `Submission`."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas._strict import StrictModel
from schemas.submission import Channel, Citizen, Location, Submission, tracking_id_for


class ComplaintRequest(StrictModel):
    """A complaint from the city's website, an app or a contact-centre operator."""

    text: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000),
        Field(description="the complaint, in the citizen's words"),
    ]
    channel: Literal["web", "app", "contact_centre"] = "web"
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None
    citizen: Citizen | None = None
    location: Location | None = None
    category_hint: Annotated[str | None, Field(max_length=200)] = None
    operator_id: Annotated[str | None, Field(max_length=100)] = None


def to_submission(
    request: ComplaintRequest, *, idempotency_ref: str, received_at: datetime
) -> Submission:
    """The normalized submission for a validated request.

    A web complaint is legally received when it reaches the city, so both times are equal.
    """
    channel = Channel(request.channel)
    return Submission(
        submission_id=tracking_id_for(channel, idempotency_ref),
        channel=channel,
        idempotency_ref=idempotency_ref,
        received_at=received_at,
        legal_receipt_at=received_at,
        text=request.text,
        subject=request.subject,
        language=request.language,
        citizen=request.citizen,
        location=request.location,
        category_hint=request.category_hint,
        operator_id=request.operator_id,
    )
