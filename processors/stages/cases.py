"""The case agent, the status forwarder and the SLA timer.

The case agent is the only writer of a case: every command about a case arrives on the
case's partition of `sportello.cases.commands`, in order. It takes the commands a batch at a
time, applies each in order to the cases as the earlier ones left them, publishes the
batch's events and waits for the broker before it writes the tables, so a crash can repeat
events (with their ids) but never lose one; the SLA timer only reads the deadline index and
asks the agent.
"""

import logging
from collections.abc import Sequence
from typing import Any

import faust
from pydantic import ValidationError

from processors.cases import CaseBook, CaseRecord, Command, Report, Step, Tick, decode_command
from processors.cases.commands import AddFollowUp, JoinCase, LinkCase, OpenCase, encode_command
from processors.reading import Unreadable, read_status
from processors.sla.clock import Clock
from processors.sla.index import DeadlineIndex
from processors.stages.batch import Stateless, WriteBehind, location_of, run_batches
from processors.stages.output import Output, Outputs, event_output
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


class CaseTables:
    """The cases and the deadline index as a batch of commands leaves them: read from the
    tables, changed in memory, written by `flush` once the batch's events were published."""

    def __init__(self, cases: Any, deadlines: Any) -> None:
        self._cases = WriteBehind(cases)
        self._deadlines = WriteBehind(deadlines)
        self._records: dict[str, CaseRecord | None] = {}
        self._indexes: dict[int, DeadlineIndex] = {}

    def record(self, case_id: str) -> CaseRecord | None:
        if case_id not in self._records:
            state = self._cases.get(case_id)
            self._records[case_id] = CaseRecord.model_validate(state) if state is not None else None
        return self._records[case_id]

    def apply(self, event: Any, case_id: str, step: Step) -> None:
        """Keep what `step` did to the case that `event` (a command) is about."""
        if step.record is None:
            return
        self._cases.for_event(event)
        self._deadlines.for_event(event)
        if step.record != self.record(case_id):
            self._records[case_id] = step.record
            self._cases[case_id] = step.record.model_dump(mode="json")
        partition = event.message.partition
        index = self._indexes.get(partition)
        if index is None:
            index = self._indexes[partition] = DeadlineIndex(self._deadlines, shard=str(partition))
        if index.when(case_id) != step.next_alert_at:
            index.set(case_id, step.next_alert_at)

    def flush(self) -> None:
        self._cases.flush()
        self._deadlines.flush()


class CommandBatch:
    """A batch of commands, each applied to its case as the batch's earlier commands left
    it. The batch's new complaints are classified together (`CaseBook.with_guesses`)."""

    def __init__(
        self, batch: Sequence[Any], book: CaseBook, tables: CaseTables, clock: Clock
    ) -> None:
        self._commands: dict[int, Command | ValidationError] = {}
        for event in batch:
            try:
                self._commands[id(event)] = decode_command(event.value)
            except ValidationError as exc:  # not ours: a dead letter when its turn comes
                self._commands[id(event)] = exc
        readable = (c for c in self._commands.values() if not isinstance(c, ValidationError))
        self._book = book.with_guesses(readable)
        self._tables = tables
        self._clock = clock

    def outputs(self, event: Any) -> list[Output]:
        cmd = self._commands[id(event)]
        if isinstance(cmd, ValidationError):
            raise cmd
        step = dispatch(self._book, self._tables.record(cmd.case_id), cmd, self._clock.now())
        self._tables.apply(event, cmd.case_id, step)
        return [event_output(name, e) for name, e in step.out]

    def commit(self) -> None:
        self._tables.flush()


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
    commands_name = topology.commands.get_topic_name()

    def forward(event: Any) -> list[Output]:
        read = read_status(event.value, location=location_of(event), now=clock.now())
        if isinstance(read, Unreadable):
            return [event_output(topics.DEADLETTER, read.dead_letter)]
        command = Report(case_id=read.data.case_id, report=read)
        return [topology.command(command.case_id, encode_command(command))]

    @app.agent(status_in, name="status-in")
    async def forward_status(stream: Any) -> None:
        await run_batches(
            stream, lambda _batch: Stateless(forward), outputs, stage="status-in", now=clock.now
        )

    def begin(batch: Sequence[Any]) -> CommandBatch:
        return CommandBatch(batch, book, CaseTables(topology.cases, topology.deadlines), clock)

    @app.agent(topology.commands, name="cases")
    async def cases(stream: Any) -> None:
        await run_batches(stream, begin, outputs, stage="cases", now=clock.now)

    @app.timer(interval=tick_s, name="sla-timer")  # type: ignore[untyped-decorator]
    async def tick() -> None:
        now = clock.now()
        for tp in app.assignor.assigned_actives():
            if tp.topic != commands_name:
                continue
            due = DeadlineIndex(topology.deadlines, shard=str(tp.partition)).due(now)
            ticks = [Tick(case_id=case_id, at=now) for case_id in due]
            await outputs.send_all(topology.command(t.case_id, encode_command(t)) for t in ticks)
