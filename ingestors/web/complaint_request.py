"""What a caller posts to `POST /v1/complaints`, what it gets back, and how a request
becomes a `Submission`. These models are the validation and the OpenAPI description both."""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationInfo, model_validator

from ingestors.web.patterns import nul_in
from schemas._strict import StrictModel
from schemas.blob import BlobRef
from schemas.events import SubmissionReceived
from schemas.submission import Channel, Citizen, Location, Submission, TrackingId, tracking_id_for

ChannelDetails = Mapping[str, str | int | float | bool]


NUL_FREE = object()
"""Validation context for input known to hold no NUL, so that `_no_nul` need not walk it:
JSON can only carry one as the escape \u0000 (`parse_complaint` looks for it)."""


class ComplaintRequest(StrictModel):
    """A complaint from the city's website, an app or a contact-centre operator.

    Sent as `application/json`, or as the part named `complaint` of a `multipart/form-data`
    body whose parts named `attachments` are files."""

    text: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000),
        Field(description="the complaint, in the citizen's words", pattern=r"\S"),
    ]
    channel: Annotated[
        Literal["web", "app", "contact_centre"], Field(description="who hands it over")
    ] = "web"
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: Annotated[
        str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", examples=["it", "en"])
    ] = None
    citizen: Annotated[Citizen | None, Field(description="how to reach the citizen; optional")] = (
        None
    )
    location: Location | None = None
    category_hint: Annotated[
        str | None, Field(max_length=200, description="a category code the caller suggests")
    ] = None
    operator_id: Annotated[
        str | None, Field(max_length=100, description="the contact-centre operator")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any, info: ValidationInfo) -> Any:
        if info.context is not NUL_FREE and nul_in(data):
            raise ValueError("text must not contain NUL characters")
        return data


class ComplaintAccepted(StrictModel):
    """The answer to an accepted complaint: Kafka has acknowledged it."""

    tracking_id: TrackingId
    status_url: Annotated[str, Field(description="where the complaint's status can be read")]


def fingerprint(endpoint: str, canonical: bytes, attachments: Sequence[BlobRef] = ()) -> str:
    """What an idempotency key is bound to: the endpoint, the validated request in its
    canonical form (so key order and spacing do not matter) and the attachments' hashes."""
    h = hashlib.sha256(endpoint.encode() + b"\x00" + canonical)
    for blob in attachments:
        h.update(b"\x00" + blob.sha256.encode())
    return h.hexdigest()


def idempotency_ref(client_id: str, key: str | None, random_hex: str) -> str:
    """The Submission's idempotency reference: the caller's key in its client's namespace,
    or a random one when the caller gave no key."""
    return f"key:{client_id}:{key}" if key is not None else f"req:{random_hex}"


def _submission_fields(
    request: ComplaintRequest,
    *,
    idempotency_ref: str,
    tracking_id: str,
    received_at: datetime,
    attachments: Sequence[BlobRef],
    channel_details: ChannelDetails | None,
) -> dict[str, Any]:
    # A web complaint is legally received when it reaches the city, so both times are equal.
    return {
        "submission_id": tracking_id,
        "channel": request.channel,
        "idempotency_ref": idempotency_ref,
        "received_at": received_at,
        "legal_receipt_at": received_at,
        "text": request.text,
        "subject": request.subject,
        "language": request.language,
        "citizen": request.citizen,
        "location": request.location,
        "category_hint": request.category_hint,
        "operator_id": request.operator_id,
        "attachments": tuple(attachments),
        "channel_details": dict(channel_details or {}),
    }


def to_submission(
    request: ComplaintRequest,
    *,
    idempotency_ref: str,
    received_at: datetime,
    attachments: Sequence[BlobRef] = (),
    channel_details: ChannelDetails | None = None,
) -> Submission:
    """The normalized submission for a validated request."""
    return Submission.model_validate(
        _submission_fields(
            request,
            idempotency_ref=idempotency_ref,
            tracking_id=tracking_id_for(Channel(request.channel), idempotency_ref),
            received_at=received_at,
            attachments=attachments,
            channel_details=channel_details,
        )
    )


def submission_event(
    request: ComplaintRequest,
    *,
    idempotency_ref: str,
    tracking_id: str,
    received_at: datetime,
    event_id: str,
    source: str,
    attachments: Sequence[BlobRef] = (),
    channel_details: ChannelDetails | None = None,
) -> SubmissionReceived:
    """The `SubmissionReceived` event of `to_submission`'s submission, given its tracking id
    (`tracking_id_for(channel, idempotency_ref)`, which the caller has already computed) as
    submission id and subject.

    Envelope and submission are validated in one pass from one dict: building the two
    models one after the other cost twice as much, on every complaint."""
    data = _submission_fields(
        request,
        idempotency_ref=idempotency_ref,
        tracking_id=tracking_id,
        received_at=received_at,
        attachments=attachments,
        channel_details=channel_details,
    )
    return SubmissionReceived.model_validate(
        {
            "id": event_id,
            "type": SubmissionReceived.TYPE,
            "schemaversion": SubmissionReceived.VERSION,
            "source": source,
            "subject": tracking_id,
            "time": received_at,
            "data": data,
        }
    )
