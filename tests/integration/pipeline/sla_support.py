"""Helpers of the SLA tests: a worker clock 30,000 times faster than real time, reports
stamped with it, and the alerts a watcher saw."""

import uuid
from datetime import datetime, timedelta

from processors.sla.clock import ScaledClock
from schemas import topics
from schemas.events import CaseAssigned, CaseUpdated, SlaAlerted, StatusReported
from schemas.status import StatusUpdate, Transition
from tests.integration.pipeline.support import Watcher, WorkerProcess

RATE = 30_000
TICK_S = "0.2"
BODY = "mobilita"
ROUTED = topics.routed(BODY)
PAUSE = timedelta(days=2)
KINDS = [
    ("acknowledgement", "warning_50"),
    ("acknowledgement", "breach"),
    ("resolution", "warning_50"),
    ("resolution", "warning_80"),
    ("resolution", "breach"),
]


def real_seconds(clock_time: timedelta) -> float:
    return clock_time.total_seconds() / RATE


def clock_env(origin: datetime) -> dict[str, str]:
    return {
        "SPORTELLO_WORKER_CLOCK_RATE": str(RATE),
        "SPORTELLO_WORKER_CLOCK_ORIGIN": origin.isoformat(),
        "SPORTELLO_WORKER_TICK_S": TICK_S,
    }


def status(
    clock: ScaledClock, case_id: str, transition: Transition, **kw: object
) -> StatusReported:
    """A report stamped with the worker's clock, as a department on that clock would send."""
    at = clock.now()
    update = StatusUpdate.model_validate(
        {"case_id": case_id, "transition": transition, "reported_at": at, **kw}
    )
    return StatusReported.new(
        update, source="/tests/mobilita", subject=case_id, time=at, event_id=uuid.uuid4().hex
    )


def alerts(watcher: Watcher, topic: str, case_id: str) -> list[SlaAlerted]:
    return watcher.events(topic, subject=case_id, kind=SlaAlerted)


def breached(watcher: Watcher, case_id: str) -> bool:
    return any(
        a.data.clock == "resolution" and a.data.kind == "breach"
        for a in alerts(watcher, topics.SLA, case_id)
    )


def snapshots(watcher: Watcher, case_id: str) -> list[CaseUpdated]:
    return watcher.events(topics.CASES, subject=case_id, kind=CaseUpdated)


async def assignment(watcher: Watcher, case_id: str) -> CaseAssigned:
    [assigned] = await watcher.until(
        lambda: watcher.events(ROUTED, subject=case_id, kind=CaseAssigned), 60, "assigned"
    )
    return assigned


def log_of(worker: WorkerProcess) -> str:
    return "\nworker log:\n" + worker.text()[-3000:]
