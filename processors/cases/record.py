"""What the case agent keeps per case: the snapshot and the machinery behind it."""

from processors.lifecycle.machine import CaseState
from processors.sla.timers import SlaState
from schemas._strict import StrictModel
from schemas.case import CaseSnapshot


class CaseRecord(StrictModel):
    """One case, JSON-serializable for a Faust table keyed by case id.

    `snapshot` is what `complaints.cases` shows; `lifecycle` and `sla` are the state machine's
    and the SLA clocks' own views, kept beside it so that neither is rebuilt on each event.
    `triaged` is set while the case waits for a person to sort it. `applied` holds the ids
    of the latest status reports applied, so one delivered twice is applied once.
    """

    snapshot: CaseSnapshot
    lifecycle: CaseState
    sla: SlaState | None = None
    triaged: bool = False
    applied: tuple[str, ...] = ()
