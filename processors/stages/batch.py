"""Taking events in batches, and writing tables only after a batch's outputs were acknowledged.

Every agent takes up to `max_` events at once (`batches`), computes each event's outputs in
order with the pure logic over its tables seen through `WriteBehind` (event k+1 sees what
event k changed), sends all the outputs, waits for the broker's acknowledgements once, and
only then writes the tables (`WriteBehind.flush`). `batches` acks the events of a batch when
the agent asks for the next one, and Faust commits only acked offsets after flushing the
producer (that carries the tables' changelogs), so a crash anywhere before that replays the batch:
its outputs go out again with the same event ids, and its decisions are taken again from
the tables as they were.

What goes wrong in a batch (`run_batches`):
- one event the logic cannot handle (a bug met by one input, a message on an internal
  topic that is not ours) becomes a dead letter naming where it stays, and the batch is
  decided again without it: the others go on, nothing is dropped unseen;
- anything else (a send the broker refused for good) stops the worker at once with
  `EXIT_BATCH_FAILED` and the batch unacknowledged: like a SIGKILL, which the fault suite
  proves safe, the batch is read again by whoever next owns its partitions. (Faust's own
  `Stream.take_events` acks a batch in a `finally`, so it commits one that failed.)
"""

import asyncio
import logging
import os
import traceback
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

# Faust writes a table key to the changelog partition of the event being processed, which it
# finds in this context variable. Events taken in a batch are not "being processed" in the
# agent's task (Faust sets it in the task that buffers them), so each write names its event.
from faust.streams import _current_event

from processors.reading import dead_letter_at
from processors.stages.output import Output, Outputs, event_output
from processors.stages.pace import ArrivalRate, linger
from schemas import topics

log = logging.getLogger(__name__)

BATCH_MAX = 500
"""The most events one batch takes, and the most read ahead while a batch is under way."""
BATCH_WITHIN_S = 0.02
"""How long a batch waits for company after its first event, unless it fills up, when events
come often enough for company to arrive in that time (`processors.stages.pace`): the most a
stage adds to a submission's way through the worker."""


async def batches(
    stream: Any, max_: int = BATCH_MAX, within: float = BATCH_WITHIN_S
) -> AsyncIterator[list[Any]]:
    """The stream's events, a list at a time, each acked when the agent asks for the next.

    The stream is read ahead, in a task of its own, while the agent works on a batch and
    waits for the broker: the next batch is whatever arrived meanwhile, topped up for at
    most `within` after its first event, `max_` at most. So batches grow with the load.
    The wait is skipped while events come too slowly for another to arrive within it
    (fewer than 1/`within` a second): there it only adds latency, five times over on a
    submission's way through the stages (`bench_pipeline` at 35 submissions/s: ingest to
    routed p99 47 ms without it, 188 ms with it).
    (Faust's own `take_events` stops reading while a batch is out, then waits `within` for
    the next to fill: under a backlog, batches of a few dozen events and a stage bound by
    its round trips. Taking only what has arrived, without the wait, was faster still in
    a burst but fell behind at a steady half of that rate: a send per event or two.)

    An event is acked only after the agent has finished its batch: a batch the agent
    abandons (an exception, a stop) is never acked, so it is never committed."""
    stream.enable_acks = False
    ahead: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_)
    clock = asyncio.get_running_loop().time
    arrivals = ArrivalRate()

    async def read_ahead() -> None:
        async for event in stream.events():
            arrivals.note(clock())
            await ahead.put(event)

    reader = asyncio.create_task(read_ahead(), name=f"read-ahead {stream}")
    try:
        while True:
            taking = asyncio.ensure_future(ahead.get())
            await asyncio.wait((taking, reader), return_when=asyncio.FIRST_COMPLETED)
            if not taking.done():  # the stream ended or failed
                taking.cancel()
                reader.result()
                return
            batch = [taking.result()]
            until = clock() + linger(arrivals.per_second(clock()), within)
            while len(batch) < max_:
                if not ahead.empty():
                    batch.append(ahead.get_nowait())
                    continue
                left = until - clock()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(ahead.get(), left))
                except TimeoutError:
                    break
            yield batch
            for event in batch:
                await stream.ack(event)
    finally:
        reader.cancel()


EXIT_BATCH_FAILED = 70
"""The worker's exit status when a batch could not be finished (EX_SOFTWARE)."""


class BatchWork(Protocol):
    """One batch's decisions: the outputs of each event in order, then, once the broker
    has acknowledged them all, `commit` writes the tables."""

    def outputs(self, event: Any) -> list[Output]: ...

    def commit(self) -> None: ...


class Stateless:
    """The work of a stage that keeps no table: one function from an event to its outputs."""

    def __init__(self, outputs: Callable[[Any], list[Output]]) -> None:
        self.outputs = outputs

    def commit(self) -> None:
        pass


def decide(
    batch: Sequence[Any],
    begin: Callable[[Sequence[Any]], BatchWork],
    *,
    stage: str,
    now: Callable[[], datetime],
) -> tuple[BatchWork, list[Output]]:
    """The batch's work and every output to send: the outputs of the events the logic can
    handle, in order, and a dead letter for each one it cannot. After a failure the batch
    is decided again from the start without that event, since the failure may have left
    its mark in the work's pending writes."""
    live = list(batch)
    letters: list[Output] = []
    while True:
        work = begin(live)
        sends: list[Output] = []
        for i, event in enumerate(live):
            try:
                sends += work.outputs(event)
            except Exception as exc:
                letters.append(failed(event, exc, stage=stage, now=now()))
                del live[i]
                break
        else:
            return work, letters + sends


def failed(event: Any, exc: Exception, *, stage: str, now: datetime) -> Output:
    location = location_of(event)
    log.error("dead-lettering %s: stage %s failed on it", location, stage, exc_info=exc)
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    detail = f"{type(exc).__name__}: {exc}" + "".join(
        f" (at {frame.filename}:{frame.lineno})" for frame in where
    )
    letter = dead_letter_at(
        location, stage=f"processors.{stage}", reason="processing_failed", detail=detail, now=now
    )
    return event_output(topics.DEADLETTER, letter)


async def run_batches(
    stream: Any,
    begin: Callable[[Sequence[Any]], BatchWork],
    outputs: Outputs,
    *,
    stage: str,
    now: Callable[[], datetime],
) -> None:
    """An agent's loop: decide each batch, send its outputs, wait for the broker, write the
    tables; the batch is acked when the loop asks for the next one."""
    async for batch in batches(stream):
        try:
            work, sends = decide(batch, begin, stage=stage, now=now)
            await outputs.send_all(sends)
            work.commit()
        except Exception:
            # In this process the batch would never be read again (the stream has moved
            # on), and unacked it holds back every later commit of its partitions.
            log.critical(
                "stage %s could not finish a batch of %d events; the worker stops so that "
                "they are read again",
                stage,
                len(batch),
                exc_info=True,
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(EXIT_BATCH_FAILED)


def location_of(event: Any) -> str:
    """topic/partition@offset: where an event's message stays (a dead letter names it)."""
    message = event.message
    return f"{message.topic}/{message.partition}@{message.offset}"


@contextmanager
def processing(event: Any) -> Iterator[None]:
    """Table writes in this block go to the changelog partition of `event`."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


_DELETED = object()


class WriteBehind(MutableMapping[str, Any]):
    """A table seen through the writes not yet made to it: reads see them, `flush()` makes
    them, each for the event that `for_event` named when it was made (a table key lives in
    its event's partition). Several writes to one key in a batch make one changelog record.

    Made fresh for each batch, so a batch that failed leaves nothing behind. Why the writes
    wait: stage B, recording a decision before publishing it, found on the replay after a
    crash that the submission was already known and sent it on as a redelivery of a case
    that was never opened: the submission was lost."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table
        self._pending: dict[str, tuple[Any, Any]] = {}
        self._event: Any = None

    def for_event(self, event: Any) -> None:
        """The writes that follow are made for `event` (None: for the current event)."""
        self._event = event

    def __getitem__(self, key: str) -> Any:
        pending = self._pending.get(key)
        value = self._table.get(key) if pending is None else pending[0]
        if value is None or value is _DELETED:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending[key] = (value, self._event)

    def __delitem__(self, key: str) -> None:
        self._pending[key] = (_DELETED, self._event)

    def __iter__(self) -> Iterator[str]:
        keys = dict.fromkeys([*self._table, *self._pending])
        return iter(k for k in keys if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        for key, (value, event) in self._pending.items():
            if event is None:
                self._write(key, value)
                continue
            with processing(event):
                self._write(key, value)
        self._pending.clear()

    def _write(self, key: str, value: Any) -> None:
        if value is not _DELETED:
            self._table[key] = value
        elif key in self._table:
            del self._table[key]
