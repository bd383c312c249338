"""The deadline index: due(now) returns exactly what a full scan would, in JSON-only storage."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.sla import DeadlineIndex

T0 = datetime(2024, 12, 6, 22, 58, tzinfo=UTC)
SEC = timedelta(seconds=1)


def ids(n: int) -> list[str]:
    return [f"CASE-0000-0000-{i:04d}" for i in range(n)]


def test_add_move_remove_due() -> None:
    index = DeadlineIndex()
    a, b, c = ids(3)
    index.set(a, T0 + 90 * SEC)
    index.set(b, T0 + 30 * SEC)
    index.set(c, T0 + 3600 * SEC)
    assert index.due(T0) == []
    assert index.due(T0 + 30 * SEC) == [b]
    assert index.due(T0 + 2 * 3600 * SEC) == [b, a, c]
    index.set(b, T0 + 7200 * SEC)  # moved later
    assert index.due(T0 + 3600 * SEC) == [a, c]
    index.remove(a)
    index.set(c, None)
    assert index.due(T0 + 3600 * SEC) == []
    assert len(index) == 1
    assert b in index
    assert index.when(b) == T0 + 7200 * SEC
    index.remove(b)
    assert len(index) == 0
    assert index.due(T0 + 10**6 * SEC) == []


def test_a_past_time_added_late_is_still_found() -> None:
    index = DeadlineIndex()
    a, b = ids(2)
    index.set(a, T0 + 3600 * SEC)
    index.set(b, T0 - 86_400 * SEC)  # behind the cursor
    assert index.due(T0) == [b]


def test_shards_share_a_store_without_seeing_each_other() -> None:
    store: dict[str, Any] = {}
    one, two = DeadlineIndex(store, shard="0"), DeadlineIndex(store, shard="1")
    a, b = ids(2)
    one.set(a, T0)
    two.set(b, T0)
    assert one.due(T0) == [a]
    assert two.due(T0) == [b]


class JsonTable(dict[str, Any]):
    """Stores what a Faust table would: string keys, values that survive JSON."""

    def __setitem__(self, key: str, value: Any) -> None:
        assert isinstance(key, str)
        super().__setitem__(key, json.loads(json.dumps(value)))


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["set", "set", "set", "remove", "due", "process"]),
        st.integers(0, 29),  # case
        st.integers(-3 * 3600, 6 * 3600),  # seconds from T0 (crossing a UTC midnight)
        st.integers(0, 999_999),  # microseconds
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(ACTIONS, st.sampled_from([1, 3, 16]))
def test_due_is_exactly_the_brute_force_scan(
    actions: list[tuple[str, int, int, int]], slots: int
) -> None:
    store = JsonTable()
    index = DeadlineIndex(store, shard="7", slots=slots)
    truth: dict[str, datetime] = {}
    names = ids(30)
    for action, case, seconds, micros in actions:
        when = T0 + timedelta(seconds=seconds, microseconds=micros)
        name = names[case]
        if action == "set":
            index.set(name, when)
            truth[name] = when
        elif action == "remove":
            index.remove(name)
            truth.pop(name, None)
        else:
            expected = sorted((t, n) for n, t in truth.items() if t <= when)
            assert index.due(when) == [n for _, n in expected]
            if action == "process":  # the adapter moves every due case on, or drops it
                for _, n in expected:
                    if case % 2:
                        index.set(n, when + timedelta(seconds=seconds % 5000 + 1))
                        truth[n] = when + timedelta(seconds=seconds % 5000 + 1)
                    else:
                        index.remove(n)
                        del truth[n]
        assert len(index) == len(truth)
        assert all(index.when(n) == t for n, t in truth.items())
    # Reopened over the same table (a restart), it answers the same.
    again = DeadlineIndex(store, shard="7", slots=slots)
    horizon = T0 + timedelta(days=1)
    assert again.due(horizon) == [n for _, n in sorted((t, n) for n, t in truth.items())]
    for name in list(truth):
        again.remove(name)
    assert len(again) == 0
    assert set(store) <= {"m/7"}  # nothing left behind but the shard's counters
