"""What an agent does when its logic fails on one event of a batch: a dead letter for that
event, and the batch decided again without it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faust.types.tuples import Message

from processors.stages.batch import decide
from processors.stages.output import Output
from schemas import topics
from schemas.events import DeadLettered, decode_event

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def message(offset: int, value: bytes) -> Message:
    return Message("sportello.cases.commands", 3, offset, 0.0, 0, None, b"k", value, None)


@dataclass
class Event:
    message: Message

    @property
    def value(self) -> bytes:
        value = self.message.value
        assert value is not None
        return value


@dataclass
class Tally:
    """A stage that keeps a running count in its pending writes and fails on b"boom"."""

    pending: list[bytes] = field(default_factory=list)

    def outputs(self, event: Any) -> list[Output]:
        self.pending.append(event.value)
        if event.value == b"boom":
            raise ValueError("cannot count a boom")
        return [("out", b"k", b"%d:%s" % (len(self.pending), event.value))]

    def commit(self) -> None:
        pass


def test_an_event_the_logic_cannot_handle_becomes_a_dead_letter_and_the_rest_go_on() -> None:
    batch = [Event(message(i, v)) for i, v in enumerate([b"a", b"boom", b"b", b"boom", b"c"])]
    begun: list[list[bytes]] = []

    def begin(events: Any) -> Tally:
        begun.append([e.value for e in events])
        return Tally()

    work, sends = decide(batch, begin, stage="cases", now=lambda: NOW)

    assert [s for s in sends if s[0] == "out"] == [
        ("out", b"k", b"1:a"),
        ("out", b"k", b"2:b"),
        ("out", b"k", b"3:c"),
    ], "decided again without the failed events: no trace of them in the others' outputs"
    assert begun[-1] == [b"a", b"b", b"c"] and len(begun) == 3
    letters = [decode_event(value) for name, _key, value in sends if name == topics.DEADLETTER]
    assert [type(x) for x in letters] == [DeadLettered, DeadLettered]
    assert [x.data.source_ref for x in letters] == [
        "sportello.cases.commands/3@1",
        "sportello.cases.commands/3@3",
    ]
    first = letters[0].data
    assert (first.stage, first.reason) == ("processors.cases", "processing_failed")
    assert first.detail.startswith("ValueError: cannot count a boom (at ")
    assert first.raw_location == "kafka:sportello.cases.commands/3@1"
    assert isinstance(work, Tally) and work.pending == [b"a", b"b", b"c"]


def test_the_same_failure_read_again_is_the_same_dead_letter() -> None:
    batch = [Event(message(7, b"boom"))]
    _w, [once] = decide(batch, lambda _e: Tally(), stage="cases", now=lambda: NOW)
    _w, [again] = decide(batch, lambda _e: Tally(), stage="cases", now=lambda: NOW)
    assert decode_event(once[2]).id == decode_event(again[2]).id
