"""Why dedup tied a submission to a case: evidence kept in the case and in its history."""

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.submission import Channel, TrackingId


class MatchSignal(StrEnum):
    """One reason two complaints were found to be the same, or related."""

    SAME_SUBMISSION = "same_submission"
    TAX_CODE = "tax_code"
    EMAIL = "email"
    PHONE = "phone"
    LINKED_IDENTITY = "linked_identity"
    SIMILAR_TEXT = "similar_text"
    SAME_PLACE = "same_place"
    OTHER_CHANNEL = "other_channel"


class MatchEvidence(StrictModel):
    """The signals that matched, with the figures behind them, and one sentence for people."""

    signals: Annotated[tuple[MatchSignal, ...], Field(min_length=1)]
    similarity: Annotated[
        float | None, Field(ge=0, le=1, description="text similarity, 1 for the same text")
    ] = None
    shared_terms: Annotated[
        tuple[str, ...],
        Field(max_length=32, description="stems and ~concepts both texts have"),
    ] = ()
    distance_m: Annotated[float | None, Field(ge=0)] = None
    matched_submission_id: Annotated[
        TrackingId | None, Field(description="the earlier submission it was compared with")
    ] = None
    explanation: Annotated[str, Field(max_length=2000)]


class MergeRecord(StrictModel):
    """One submission merged into a case other than its own, and why; undoable."""

    submission_id: TrackingId
    channel: Channel
    merged_at: AwareDatetime
    evidence: MatchEvidence
