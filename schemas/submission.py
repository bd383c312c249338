"""The normalized `Submission`: what every ingestor publishes on `complaints.intake`."""

import hashlib
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.blob import BlobRef

TrackingId = Annotated[
    str,
    Field(
        pattern=r"^SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$",
        description="the tracking number the citizen is given, e.g. SP-7K3M-9QXD-2B4F",
        examples=["SP-7K3M-9QXD-2B4F"],
    ),
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)


def tracking_id_for(channel: "Channel", idempotency_ref: str) -> str:
    """The tracking number of a submission, derived from its channel's own reference.

    Deterministic so that a redelivery (a webhook retry, an SMTP re-send, a rescanned file)
    gets the same number without any lookup, and different references practically never
    collide (60 bits).
    """
    digest = hashlib.sha256(f"{channel.value}\x00{idempotency_ref}".encode()).digest()
    # The first 60 bits in 5-bit groups, most significant first, in Crockford's alphabet,
    # two groups per table look-up (the web intake does this on every request).
    n = int.from_bytes(digest[:8], "big") >> 4
    p = _CROCKFORD_PAIRS
    a, b, c = p[n >> 50], p[(n >> 40) & 1023], p[(n >> 30) & 1023]
    d, e, f = p[(n >> 20) & 1023], p[(n >> 10) & 1023], p[n & 1023]
    return f"SP-{a}{b}-{c}{d}-{e}{f}"


class Channel(StrEnum):
    """How the complaint reached the city."""

    WEB = "web"
    APP = "app"
    CONTACT_CENTRE = "contact_centre"
    EMAIL = "email"
    FAX = "fax"
    SCAN = "scan"
    POSTAL = "postal"


class Citizen(StrictModel):
    """Who complained, as far as the channel tells. Every field is personal data."""

    name: Annotated[str | None, Field(max_length=200)] = None
    email: Annotated[str | None, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    phone: Annotated[str | None, Field(max_length=40)] = None
    tax_code: Annotated[
        str | None,
        Field(max_length=16, description="Italian codice fiscale, or another national id"),
    ] = None


class Coordinates(StrictModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class Location(StrictModel):
    """Where the problem is, as precisely as the citizen said."""

    address: Annotated[str | None, Field(max_length=500)] = None
    district: Annotated[str | None, Field(max_length=100)] = None
    coordinates: Coordinates | None = None


class Submission(StrictModel):
    """One complaint as one channel received it, before any sorting.

    `idempotency_ref` is the channel's own identity for the input (an `Idempotency-Key`, a
    Message-ID, a file's content hash); the same input delivered twice has the same reference
    and so the same `submission_id`.
    """

    submission_id: TrackingId
    channel: Channel
    idempotency_ref: Annotated[str, Field(min_length=1, max_length=1000)]
    received_at: AwareDatetime
    legal_receipt_at: Annotated[
        AwareDatetime,
        Field(description="when the complaint legally reached the city: postmark, fax time"),
    ]
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None
    language: Annotated[
        str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", examples=["it", "en"])
    ] = None
    citizen: Citizen | None = None
    location: Location | None = None
    category_hint: Annotated[str | None, Field(max_length=200)] = None
    operator_id: Annotated[
        str | None, Field(max_length=100, description="the contact-centre or desk operator")
    ] = None
    attachments: tuple[BlobRef, ...] = ()
    raw: Annotated[
        BlobRef | None, Field(description="the input exactly as received, when it is kept")
    ] = None
    channel_details: Annotated[
        dict[str, str | int | float | bool],
        Field(description="facts only this channel has, e.g. fax_number, pages, ocr_confidence"),
    ] = Field(default_factory=dict)
