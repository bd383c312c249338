"""The deadline index: which cases have an alert due, without looking at every open case.

    index = DeadlineIndex(store, shard="3")        # store: a dict, or a Faust table
    index.set(case_id, next_alert_at(sla_state))   # after every change of the case's SLA
    for case_id in index.due(now): ...             # each tick: only the cases whose time came

How it stays cheap with a million open cases. Cases are kept in minute buckets keyed by the
minute their next alert falls due. A tick reads only the buckets from the earliest non-empty
one (the cursor) up to the current minute. In steady state the cursor is the current minute,
so a tick costs a handful of key lookups plus the cases actually due (and the few others due
later in the same minute): O(due), whatever the number of open cases. A million cases whose
30-day terms are spread over a month put a few dozen alerts in a minute; the exception is
local midnight, where the terms of a whole day's complaints (about 33,000) end together, and
that tick costs what those cases cost, with or without an index (the index's bookkeeping,
about ten microseconds a case in CPython, then makes it dearer than one scan). Only `set`
and `remove` write, one case at a time. `bench/bench_sla_tick.py` measures it against a full scan.

Storage layout, all keys strings and all values JSON (so the store can be a Faust table,
whose changelog topic then makes the index survive restarts and move with its partition):

- `b/<shard>/<minute>/<slot>` → {case_id: due time in epoch microseconds}; `<minute>` is
  `YYYY-MM-DDTHH:MMZ` (UTC) and `<slot>` a stable hash of the case id modulo `slots`.
  Slots split the crowded buckets (every 30-day deadline of one day ends at the same local
  midnight), because a Faust table writes a whole value to its changelog on every change.
- `n/<shard>/<minute>`, `h/<shard>/<YYYY-MM-DDTHHZ>`, `d/<shard>/<YYYY-MM-DD>` → how many
  cases that minute, hour and day hold, so that the cursor and a tick skip an empty day or
  hour in one lookup: reaching the next non-empty minute costs at most one lookup per day
  plus 24 plus 60, however far it is.
- `c/<shard>/<case_id>` → the case's due time, for `remove` and for moving it.
- `m/<shard>` → {"cursor": earliest non-empty minute, "count": cases in the shard, "last":
  the latest minute ever used, a bound for the cursor's walk}.

With Faust, use one shard per partition of the case topic (the shard is the partition
number) and write only while processing an event of that case: Faust writes a table key to
the changelog partition of the event being processed, so each worker owns its shards' keys
outright. `due` only reads, so a timer may call it; the timer then sends each due case id to
the agent of its partition, which computes `due_alerts`, publishes, and calls `set` with the
next time. Until then the case stays due and a later tick names it again; that is harmless,
because alerts are deduplicated by the clock's `fired` set and by alert id.
"""

import zlib
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from processors.sla.clock import as_utc

_MINUTE_US = 60_000_000


def _micros(when: datetime) -> int:
    delta = as_utc(when) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_LEVELS = {"n": (1, "%Y-%m-%dT%H:%MZ"), "h": (60, "%Y-%m-%dT%HZ"), "d": (1440, "%Y-%m-%d")}
"""Counter levels: the minute, hour and day a counter counts, in minutes, and its key's format."""


def _stamp(minute: int, fmt: str) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime(fmt)


class DeadlineIndex:
    """Case ids bucketed by the minute their next alert is due, over a key-value store.

    `store` is any `MutableMapping[str, Any]`: a dict in tests and benchmarks, a Faust table
    in production; several indexes (shards) may share one store. `slots` must be the same
    every time a store is opened.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any] | None = None,
        *,
        shard: str = "0",
        slots: int = 16,
    ) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._store: MutableMapping[str, Any] = {} if store is None else store
        self._shard = shard
        self._slots = slots
        self._labels: dict[tuple[str, int], str] = {}

    # keys

    def _label(self, level: str, minute: int) -> str:
        """The minute, hour or day of `minute` as text; cached, as formatting a date costs
        more than the lookup it names."""
        label = self._labels.get((level, minute))
        if label is None:
            if len(self._labels) > 200_000:
                self._labels.clear()
            size, fmt = _LEVELS[level]
            label = self._labels[(level, minute)] = _stamp(minute - minute % size, fmt)
        return label

    def _counter(self, level: str, minute: int) -> str:
        """The key of the counter of the minute (`n`), hour (`h`) or day (`d`) of `minute`."""
        return f"{level}/{self._shard}/{self._label(level, minute)}"

    def _bucket_key(self, minute: int, slot: int) -> str:
        return f"b/{self._shard}/{self._label('n', minute)}/{slot}"

    def _case_key(self, case_id: str) -> str:
        return f"c/{self._shard}/{case_id}"

    def _slot(self, case_id: str) -> int:
        return zlib.crc32(case_id.encode()) % self._slots

    def _meta(self) -> dict[str, int]:
        meta: dict[str, int] | None = self._store.get(f"m/{self._shard}")
        return meta if meta is not None else {"cursor": 0, "count": 0, "last": 0}

    # reading

    def __len__(self) -> int:
        return self._meta()["count"]

    def __contains__(self, case_id: object) -> bool:
        return isinstance(case_id, str) and self._case_key(case_id) in self._store

    def when(self, case_id: str) -> datetime | None:
        """The time the case is indexed at, or None."""
        micros: int | None = self._store.get(self._case_key(case_id))
        if micros is None:
            return None
        return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
            microsecond=micros % 1_000_000
        )

    def due(self, now: datetime) -> list[str]:
        """The case ids whose time is at or before `now`, earliest first. Reads only.

        Cost: one lookup per minute from the earliest non-empty minute to `now` (plus
        `slots` lookups per non-empty minute) and the cases in those minutes.
        """
        meta = self._meta()
        if meta["count"] == 0:
            return []
        now_us = _micros(now)
        last = now_us // _MINUTE_US
        found: list[tuple[int, str]] = []
        minute = self._next_nonempty(meta["cursor"], last)
        while minute is not None:
            for slot in range(self._slots):
                bucket: dict[str, int] | None = self._store.get(self._bucket_key(minute, slot))
                if bucket:
                    found.extend((t, case_id) for case_id, t in bucket.items() if t <= now_us)
            minute = self._next_nonempty(minute + 1, last)
        found.sort()
        return [case_id for _, case_id in found]

    def _next_nonempty(self, minute: int, last: int) -> int | None:
        """The first minute from `minute` to `last` holding a case, skipping empty days and
        hours whole; None if there is none."""
        get = self._store.get
        while minute <= last:
            if get(self._counter("n", minute)):
                return minute
            if not get(self._counter("d", minute)):
                minute += 1440 - minute % 1440
            elif not get(self._counter("h", minute)):
                minute += 60 - minute % 60
            else:
                minute += 1
        return None

    # writing

    def set(self, case_id: str, when: datetime | None) -> None:
        """Index `case_id` at `when` (moving it if it was elsewhere); None removes it."""
        if when is None:
            self.remove(case_id)
            return
        micros = _micros(when)
        old: int | None = self._store.get(self._case_key(case_id))
        if old == micros:
            return
        meta = self._meta()
        if old is not None:
            self._take(case_id, old // _MINUTE_US, meta)
        minute = micros // _MINUTE_US
        key = self._bucket_key(minute, self._slot(case_id))
        bucket: dict[str, int] = self._store.get(key) or {}
        bucket[case_id] = micros
        self._store[key] = bucket  # assigned again: a Faust table logs only assignments
        self._count(minute, +1)
        self._store[self._case_key(case_id)] = micros
        meta["count"] += 1
        if meta["count"] == 1 or minute < meta["cursor"]:
            meta["cursor"] = minute
        meta["last"] = max(meta.get("last", minute), minute)
        self._advance(meta)

    def remove(self, case_id: str) -> None:
        """Forget `case_id` (no alert can fall due for it). No-op if it is not indexed."""
        old: int | None = self._store.get(self._case_key(case_id))
        if old is None:
            return
        meta = self._meta()
        self._take(case_id, old // _MINUTE_US, meta)
        del self._store[self._case_key(case_id)]
        self._advance(meta)

    def _take(self, case_id: str, minute: int, meta: dict[str, int]) -> None:
        key = self._bucket_key(minute, self._slot(case_id))
        bucket: dict[str, int] = self._store.get(key) or {}
        bucket.pop(case_id, None)
        if bucket:
            self._store[key] = bucket
        elif key in self._store:
            del self._store[key]
        self._count(minute, -1)
        meta["count"] -= 1

    def _count(self, minute: int, delta: int) -> None:
        for level in _LEVELS:
            key = self._counter(level, minute)
            left: int = self._store.get(key, 0) + delta
            if left > 0:
                self._store[key] = left
            else:
                self._store.pop(key, None)

    def _advance(self, meta: dict[str, int]) -> None:
        """Move the cursor to the earliest non-empty minute and store the metadata."""
        if meta["count"] > 0:
            cursor = self._next_nonempty(meta["cursor"], meta["last"])
            if cursor is None:
                raise AssertionError("the index lost its cases")  # an invariant broke
            meta["cursor"] = cursor
        self._store[f"m/{self._shard}"] = meta
