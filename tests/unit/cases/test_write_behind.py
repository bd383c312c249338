"""The agents' tables seen through a batch's writes: read back at once, written only at
`flush`, each under the event it was made for (whose partition Faust writes the key to)."""

from collections import UserDict
from typing import Any

from faust.streams import current_event

from processors.stages.batch import WriteBehind


class Table(UserDict[str, Any]):
    """A dict that notes which event was current at each write, as a Faust table reads it."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data.update(data)
        self.writes: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append((key, current_event()))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes.append((key, current_event()))
        super().__delitem__(key)


def test_writes_are_read_back_at_once_and_made_only_at_flush() -> None:
    table = Table({"kept": 1, "gone": 2})
    view = WriteBehind(table)

    view["new"] = 3
    view["kept"] = 10
    del view["gone"]

    assert (view["new"], view["kept"], "gone" in view) == (3, 10, False)
    assert sorted(view) == ["kept", "new"] and len(view) == 2
    assert table == {"kept": 1, "gone": 2} and table.writes == [], "nothing written yet"
    view.flush()
    assert table == {"kept": 10, "new": 3}
    view.flush()
    assert len(table.writes) == 3, "a flush writes each pending key once, then nothing"


class Event:
    """Stands for a Faust event: all the table asks of it here is to be current."""


def test_each_key_is_written_once_under_the_event_that_last_wrote_it() -> None:
    first, second = Event(), Event()
    table = Table({"old": 0})
    view = WriteBehind(table)

    view.for_event(first)
    view["a"] = 1
    view["b"] = 1
    view.for_event(second)
    view["b"] = 2
    del view["old"]

    view.flush()
    assert table == {"a": 1, "b": 2}
    assert dict(table.writes) == {"a": first, "b": second, "old": second}
    assert len(table.writes) == 3, "two writes of one key in a batch: one record"
    assert current_event() is None, "the current event is restored after each write"
