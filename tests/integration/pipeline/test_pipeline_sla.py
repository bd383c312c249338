"""SLA timers through the real worker, on a clock 30,000 times faster than real time
(`SPORTELLO_WORKER_CLOCK_RATE`; a day passes in under 3 s): an unanswered case gets its
warnings and then its breach, each exactly once, on complaints.sla and on its body's topic;
a case resolved in time gets none; a pause while waiting for the citizen moves the deadline
by the time paused.

The cases are about traffic lights (`semafori`: 5 calendar days to resolve, rolled past
weekends and holidays; 1 working day for mobilita to acknowledge, warned at 50%), so the
whole run takes seconds; the test computes every expected time with the worker's calendar.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from processors.sla.clock import ScaledClock
from schemas import topics
from schemas.case import CaseStatus, case_id_for
from schemas.events import CaseUpdated
from schemas.status import Actor, Transition
from tests.integration.pipeline.sla_support import (
    BODY,
    KINDS,
    PAUSE,
    RATE,
    ROUTED,
    alerts,
    assignment,
    breached,
    clock_env,
    log_of,
    real_seconds,
    snapshots,
    status,
)
from tests.integration.pipeline.support import (
    Sender,
    Watcher,
    WorkerProcess,
    prepare_app,
    start_worker,
    submission_event,
    unique_app_id,
)

pytestmark = pytest.mark.integration


@dataclass
class Run:
    """Three cases on one worker's fast clock, and what the driver did to them."""

    clock: ScaledClock
    watcher: Watcher
    worker: WorkerProcess
    unanswered: str
    resolved: str
    paused: str
    pause: list[datetime] = field(default_factory=list)  # asked, answered (clock times)
    driver: asyncio.Task[None] | None = None

    async def driven(self) -> None:
        assert self.driver is not None
        await asyncio.wait_for(asyncio.shield(self.driver), 60)


async def drive(run: Run, sender: Sender) -> None:
    """What the department and the citizen do: mobilita starts and resolves one case at
    once; starts another, asks the citizen, who answers two (clock) days later."""
    clock = run.clock
    await assignment(run.watcher, run.resolved)
    await sender.send(
        topics.STATUS,
        status(clock, run.resolved, Transition.START, body=BODY),
        status(clock, run.resolved, Transition.RESOLVE, body=BODY, note_for_citizen="Riparato"),
    )
    await assignment(run.watcher, run.paused)
    start = status(clock, run.paused, Transition.START, body=BODY)
    asked = status(
        clock, run.paused, Transition.ASK_CITIZEN, body=BODY, note_for_citizen="Quale incrocio?"
    )
    await sender.send(topics.STATUS, start, asked)
    await asyncio.sleep(real_seconds(PAUSE))
    answered = status(clock, run.paused, Transition.RESUME, actor=Actor.CITIZEN)
    await sender.send(topics.STATUS, answered)
    run.pause[:] = [asked.data.reported_at, answered.data.reported_at]


@pytest.fixture(scope="module")
async def run(
    pipeline_kafka: str, sender: Sender, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Run]:
    app_id = unique_app_id("sla")
    await prepare_app(pipeline_kafka, app_id)
    origin = datetime.now(UTC)
    clock = ScaledClock(RATE, origin)
    watcher = await Watcher(pipeline_kafka, [topics.SLA, topics.CASES, ROUTED]).start()
    worker = start_worker(
        pipeline_kafka, app_id, tmp_path_factory.mktemp("sla"), "worker", **clock_env(origin)
    )
    try:
        await worker.ready()
        tag = uuid.uuid4().hex[:10]
        subs = [
            submission_event(
                f"sla-{tag}-{name}",
                f"Il semaforo all'incrocio {name} è spento [{tag}]",
                clock.now(),
                hint="semafori",
            )
            for name in ("unanswered", "resolved", "paused")
        ]
        await sender.send(topics.INTAKE, *subs)
        a, b, c = (case_id_for(s.data.submission_id) for s in subs)
        run = Run(clock, watcher, worker, a, b, c)
        run.driver = asyncio.create_task(drive(run, sender))
        yield run
    finally:
        if run.driver is not None:
            run.driver.cancel()
        worker.stop()
        await watcher.stop()


async def test_an_unanswered_case_gets_its_warnings_then_its_breach_each_once(run: Run) -> None:
    watcher, case_id = run.watcher, run.unanswered
    assigned = await assignment(watcher, case_id)
    deadline = assigned.data.deadline_at
    assert deadline is not None
    try:
        await watcher.until(lambda: breached(watcher, case_id), 90, "the breach")
    except AssertionError:
        raise AssertionError(log_of(run.worker)) from None
    await asyncio.sleep(1.0)  # five more ticks: nothing may follow

    for topic in (topics.SLA, ROUTED):
        got = alerts(watcher, topic, case_id)
        assert sorted((a.data.clock, a.data.kind) for a in got) == sorted(KINDS), topic
        assert Counter(a.id for a in got).most_common(1)[0][1] == 1, f"a repeat on {topic}"
        assert [a.data.due_at for a in got] == sorted(a.data.due_at for a in got), "in order"
        assert {a.data.generation for a in got} == {0}
        assert all(a.data.body == BODY for a in got)
    got = alerts(watcher, topics.SLA, case_id)
    resolution = {a.data.kind: a.data for a in got if a.data.clock == "resolution"}
    opened = assigned.data.legal_receipt_at
    assert opened is not None
    assert resolution["breach"].due_at == deadline == resolution["breach"].deadline_at
    assert resolution["warning_50"].due_at == opened + (deadline - opened) / 2
    assert resolution["warning_80"].due_at == opened + (deadline - opened) * 4 / 5
    for alert in alerts(watcher, topics.SLA, case_id):
        assert alert.time >= alert.data.due_at, "never before it is due (worker's clock)"


async def test_a_case_resolved_in_time_gets_no_alert(run: Run) -> None:
    watcher, case_id = run.watcher, run.resolved
    assigned = await assignment(watcher, case_id)
    deadline = assigned.data.deadline_at
    assert deadline is not None
    await run.driven()
    # Wait on the worker's clock until a day past the deadline the case would have had.
    await asyncio.sleep(max(0.0, real_seconds(deadline + timedelta(days=1) - run.clock.now())))
    assert alerts(watcher, topics.SLA, case_id) == []
    assert alerts(watcher, ROUTED, case_id) == []
    last = max(snapshots(watcher, case_id), key=lambda e: e.data.version)
    assert last.data.status is CaseStatus.RESOLVED
    assert breached(watcher, run.unanswered), "the unanswered case, on the same clock, did"


async def test_a_pause_moves_the_deadline_by_the_time_paused(run: Run) -> None:
    watcher, case_id = run.watcher, run.paused
    assigned = await assignment(watcher, case_id)
    before = assigned.data.deadline_at
    assert before is not None
    await run.driven()
    asked, answered = run.pause
    paused = answered - asked
    assert paused >= PAUSE

    def resumed() -> CaseUpdated | None:
        return next(
            (
                s
                for s in snapshots(watcher, case_id)
                if s.data.status is CaseStatus.IN_PROGRESS and s.data.deadline_at != before
            ),
            None,
        )

    after = await watcher.until(resumed, 30, "the snapshot after the citizen's answer")
    assert after.data.deadline_at == before + paused
    waiting = [s for s in snapshots(watcher, case_id) if s.data.status.value.startswith("wait")]
    assert [s.data.deadline_at for s in waiting] == [None], "no deadline while paused"

    await watcher.until(lambda: breached(watcher, case_id), 90, "the moved breach")
    await asyncio.sleep(1.0)
    got = alerts(watcher, topics.SLA, case_id)
    assert [(a.data.clock, a.data.kind, a.data.generation) for a in got] == [
        ("resolution", "warning_50", 0),
        ("resolution", "warning_80", 0),
        ("resolution", "breach", 0),
    ], "the body started at once (no acknowledgement alert); every point moved after the pause"
    # (A pause moves alerts not yet sent; it starts no new generation: processors.sla.timers.)
    opened = assigned.data.legal_receipt_at
    assert opened is not None
    assert [a.data.due_at for a in got] == [
        opened + (before - opened) / 2 + paused,
        opened + (before - opened) * 4 / 5 + paused,
        before + paused,
    ]
