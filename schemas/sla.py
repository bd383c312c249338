"""SLA alerts: what `complaints.sla` (and the owning body's routed topic) carries."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas._strict import StrictModel
from schemas.case import CaseId


class SlaAlert(StrictModel):
    """A warning (a share of the allowed time has passed) or a breach (all of it has).

    `alert_id` is `case_id/clock/kind/g<generation>` and is also the event id: each alert is
    one fact, whichever worker emits it and however often a replay repeats it. A deadline
    moved by a pause or a new owner starts a new generation, with alerts of its own.
    """

    alert_id: Annotated[str, Field(max_length=300)]
    case_id: CaseId
    body: Annotated[str | None, Field(max_length=100)] = None
    clock: Literal["resolution", "acknowledgement"]
    kind: Annotated[str, Field(max_length=40, examples=["warning_50", "warning_80", "breach"])]
    percent: Annotated[int, Field(ge=1, le=100)]
    generation: Annotated[int, Field(ge=0)]
    due_at: AwareDatetime
    deadline_at: AwareDatetime | None = None
