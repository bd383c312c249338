"""Dedup's entries in a case's history: what `sportello.case.deduplicated` carries.

One event type with four kinds, so that a consumer reads every dedup fact in one place:
a redelivery dropped, a submission merged into the case, related cases linked, a merge undone.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.case import CaseId
from schemas.evidence import MatchEvidence
from schemas.submission import Channel, TrackingId


class Redelivered(StrictModel):
    """The same submission arrived again (a webhook retry, an SMTP re-send) and was dropped."""

    kind: Literal["redelivery"] = "redelivery"
    submission_id: TrackingId
    channel: Channel
    received_at: AwareDatetime


class Merged(StrictModel):
    """The same citizen's same complaint arrived again and joined this case.

    Carries the new text: it often adds something (a reminder, a photo, an injury) that the
    body handling the case must read.
    """

    kind: Literal["merged"] = "merged"
    submission_id: TrackingId
    channel: Channel
    received_at: AwareDatetime
    evidence: MatchEvidence
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    subject: Annotated[str | None, Field(max_length=1000)] = None


class CaseLink(StrictModel):
    case_id: CaseId
    evidence: MatchEvidence


class Linked(StrictModel):
    """Other citizens reported the same problem: the cases are related, not merged."""

    kind: Literal["linked"] = "linked"
    links: Annotated[tuple[CaseLink, ...], Field(min_length=1)]


class Unmerged(StrictModel):
    """An operator undid a merge: the submission is its own case again."""

    kind: Literal["unmerged"] = "unmerged"
    submission_id: TrackingId
    restored_case_id: CaseId
    operator_id: Annotated[str, Field(min_length=1, max_length=100)]
    reason: Annotated[str, Field(max_length=2000)] = ""


DedupDecision = Annotated[Redelivered | Merged | Linked | Unmerged, Field(discriminator="kind")]


class DedupRecord(StrictModel):
    """One dedup fact about a case, keyed by that case's id."""

    case_id: CaseId
    decided_at: AwareDatetime
    decision: DedupDecision
