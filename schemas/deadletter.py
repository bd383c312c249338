"""What `complaints.deadletter` carries: an input that could not be read, and why."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.blob import BlobRef


class DeadLetter(StrictModel):
    """An input Sportello could not turn into what it should have become.

    Nothing is dropped: `raw` (or `raw_location`) says where the input is kept, so an operator
    can fix and resubmit it.
    """

    stage: Annotated[
        str, Field(max_length=100, description="who gave up on it", examples=["processors.intake"])
    ]
    source_ref: Annotated[
        str,
        Field(
            max_length=1000,
            description="the input's own reference: topic/partition/offset, Message-ID, file",
        ),
    ]
    reason: Annotated[
        str, Field(max_length=100, description="a stable code", examples=["invalid_event"])
    ]
    detail: Annotated[str, Field(max_length=10_000, description="for the operator")]
    received_at: AwareDatetime
    raw: BlobRef | None = None
    raw_location: Annotated[str | None, Field(max_length=1000)] = None
