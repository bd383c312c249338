"""The case agent, the status forwarder and the SLA timer.

The case agent is the only writer of a case: every command about a case arrives on the
case's partition of `sportello.cases.commands`, in order. It publishes a step's events and
waits for the broker before it writes the table, so a crash can repeat events (with their
ids) but never lose one; the SLA timer only reads the deadline index and asks the agent.
"""

import logging
from typing import Any

import faust
from pydantic import ValidationError

from processors.cases import CaseBook, CaseRecord, Command, Report, Step, Tick, decode_command
from processors.cases.commands import AddFollowUp, JoinCase, LinkCase, OpenCase, encode_command
from processors.reading import Unreadable, read_status
from processors.sla.clock import Clock
from processors.sla.index import DeadlineIndex
from processors.stages.output import Outputs
from processors.stages.topology import Topology, raw_topic
from schemas import topics

log = logging.getLogger(__name__)


def dispatch(book: CaseBook, record: CaseRecord | None, cmd: Command, now: Any) -> Step:
    """What `cmd` does to the case; a command for a case that does not exist (yet) is
    logged and dropped, except the one that opens it."""
    if isinstance(cmd, OpenCase):
        # Opened already: this is a reprocessing after a crash, and its events went out.
        return Step(record) if record is not None else book.open(cmd, now)
    if record is None:
        log.warning("%s for unknown case %s; ignored", cmd.kind, cmd.case_id)
        return Step(None)
    match cmd:
        case JoinCase():
            return book.join(record, cmd, now)
        case LinkCase():
            return book.link(record, cmd, now)
        case AddFollowUp():
            return book.follow_up(record, cmd, now)
        case Report():
            return book.report(record, cmd.report, now)
        case Tick():
            return book.tick(record, cmd, now)
    raise AssertionError(cmd)


def register(
    app: faust.App,
    topology: Topology,
    book: CaseBook,
    outputs: Outputs,
    clock: Clock,
    *,
    tick_s: float,
) -> None:
    status_in = raw_topic(app, topics.STATUS)

    @app.agent(status_in, name="status-in")
    async def forward_status(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            location = f"{message.topic}/{message.partition}@{message.offset}"
            read = read_status(event.value, location=location, now=clock.now())
            if isinstance(read, Unreadable):
                await outputs.send_events([(topics.DEADLETTER, read.dead_letter)])
                continue
            command = Report(case_id=read.data.case_id, report=read)
            await outputs.send_all([topology.command(command.case_id, encode_command(command))])

    @app.agent(topology.commands, name="cases")
    async def cases(stream: Any) -> None:
        async for event in stream.events():
            try:
                cmd = decode_command(event.value)
            except ValidationError:
                log.exception("unreadable command at offset %d; skipped", event.message.offset)
                continue
            state = topology.cases.get(cmd.case_id)
            record = CaseRecord.model_validate(state) if state is not None else None
            step = dispatch(book, record, cmd, clock.now())
            await outputs.send_events(step.out)
            if step.record is not None and step.record != record:
                topology.cases[cmd.case_id] = step.record.model_dump(mode="json")
            index = DeadlineIndex(topology.deadlines, shard=str(event.message.partition))
            if step.record is not None and index.when(cmd.case_id) != step.next_alert_at:
                index.set(cmd.case_id, step.next_alert_at)

    commands_name = topology.commands.get_topic_name()

    @app.timer(interval=tick_s, name="sla-timer")  # type: ignore[untyped-decorator]
    async def tick() -> None:
        now = clock.now()
        for tp in app.assignor.assigned_actives():
            if tp.topic != commands_name:
                continue
            due = DeadlineIndex(topology.deadlines, shard=str(tp.partition)).due(now)
            ticks = [Tick(case_id=case_id, at=now) for case_id in due]
            await outputs.send_all(topology.command(t.case_id, encode_command(t)) for t in ticks)
