"""Follow-ups: a citizen's further message about a case they already opened."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.blob import BlobRef
from schemas.submission import Channel, Citizen, TrackingId


class FollowUp(StrictModel):
    """A message that refers to an existing submission (a reply to Sportello's
    acknowledgement, or a mail quoting its tracking number), to be added to that case
    rather than opened as a new complaint.

    `idempotency_ref` is the channel's identity for the message (a Message-ID, or a digest
    of the raw mail), so a redelivery is recognised and dropped downstream.
    """

    tracking_id: Annotated[TrackingId, Field(description="the submission this refers to")]
    channel: Channel
    received_at: AwareDatetime
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    attachments: tuple[BlobRef, ...] = ()
    raw: Annotated[
        BlobRef | None, Field(description="the input exactly as received, when it is kept")
    ] = None
    idempotency_ref: Annotated[str, Field(min_length=1, max_length=1000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None
    citizen: Citizen | None = None
