"""Taking events in batches, and writing tables only after a batch's outputs were acknowledged.

Every agent takes up to `max_` events at once (`batches`), computes each event's outputs in
order with the pure logic over its tables seen through `WriteBehind` (event k+1 sees what
event k changed), sends all the outputs, waits for the broker's acknowledgements once, and
only then writes the tables (`WriteBehind.flush`). Faust acks the events of a batch when the
agent asks for the next one, and commits only acked offsets after flushing the producer
(that carries the tables' changelogs), so a crash anywhere before that replays the batch:
its outputs go out again with the same event ids, and its decisions are taken again from
the tables as they were.
"""

import weakref
from collections.abc import AsyncIterator, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

# Faust writes a table key to the changelog partition of the event being processed, which it
# finds in this context variable. Events taken in a batch are not "being processed" in the
# agent's task (Faust sets it in the task that buffers them), so each write names its event.
from faust.streams import _current_event

BATCH_MAX = 500
BATCH_WITHIN_S = 0.02
"""A batch goes when it is full or this long after the agent asked for it: the most a quiet
stage adds to a submission's way through the worker."""


def batches(
    stream: Any, max_: int = BATCH_MAX, within: float = BATCH_WITHIN_S
) -> AsyncIterator[Sequence[Any]]:
    """The stream's events, a list at a time, each acked when the agent asks for the next."""
    batched: AsyncIterator[Sequence[Any]] = stream.take_events(max_, within=within)
    return batched


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
