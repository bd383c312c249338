"""Faust's table recovery, applying each fetched batch of changelog records at once
(faust-streaming 0.15.3).

`build_app` gives the app a `BulkTableManager`, whose recovery is a `BulkRecovery`, and
`processors.consumer`'s `SafeConsumer`, which hands it the batches.

Why: a restarted worker spent 7-9x the time of a bare aiokafka read of the same changelogs
(`bench/bench_sla_recovery.py`), and profiling showed the time in Faust's per-record path,
not in the read: every record went through the fetcher loop's `wait_first(callback(message),
suspend_flow.wait())` (two tasks and an `asyncio.wait`, faust/transport/consumer.py lines
1170-1230), the conductor's per-record flow-control and producer checks and its async
decode (faust/transport/conductor.py lines 95-190), a queue, and `Recovery._slurp_changelogs`
(faust/tables/recovery.py lines 772-920: an `asyncio.wait_for` per record, and the remaining
offsets of every partition summed after each record), about three turns of the event loop
per record.

What `BulkRecovery.take` does instead, for the records of one changelog partition in a
fetched batch, in one synchronous step: what `_slurp_changelogs` does for each record (skip
offsets already applied, move the partition's offset, note when it last received records,
decode key and value with the table's own changelog schema, hand the events to
`table.apply_changelog_batch`), then what it does after each record, once (end the
recovery when no active partition has records left, mark the standbys ready when none has).
So a table holds after a batch exactly what it would hold after the same records one by one,
and no `await` falls between noting an offset and applying its record: a rebalance cannot
come between them.

For a table of plain JSON in Faust's memory store (ours), a record is applied as an
`Applied` tuple holding what that store reads of an event, decoded with `json.loads` as
Faust's JSON codec decodes it, rather than as a Faust message, serializer layers and an
event; a record that way cannot decide goes Faust's (`applied_json`).

What it leaves to Faust's own path (`take` answers False): a partition the recovery does not
track, and a table with an `on_changelog_event` callback (that callback is awaited per event;
ours have none). The consumer calls `take` only while the flow is active, where Faust's
conductor would deliver the records (see `SafeConsumer._wait_next_records`).

Differences from Faust's path, all on the safe side: a record whose key or value does not
decode is skipped with a warning and its offset counts as applied (Faust's path drops it
too, but never counts its offset, so a bad last record kept the recovery waiting for ever);
a standby partition's records are applied per fetched batch rather than once 1,000 have
queued (`standby_buffer_size`), so a standby copy lags less.
"""

import gc
import json
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, NamedTuple, cast

import faust
from faust.exceptions import KeyDecodeError, ValueDecodeError
from faust.stores.memory import Store as MemoryStore
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.types import TP, EventT, Message
from faust.types.tables import CollectionT
from faust.utils.tracing import finish_span

from processors.consumer import FAUST_VERSION

ToMessage = Callable[[TP, Any], Message]


def unseen(records: Sequence[Any], seen: int | None) -> Sequence[Any]:
    """The records of one partition's batch (in offset order) past the offset `seen`."""
    if seen is None or not records or records[0].offset > seen:
        return records
    return [r for r in records if r.offset > seen]


class RawMessage(NamedTuple):
    value: bytes | None
    partition: int


class Applied(NamedTuple):
    """What Faust's memory store reads of a changelog event it applies (faust/stores/memory.py,
    `_create_batch_iterator`): the decoded key and value, the raw value (None deletes the
    key) and the partition."""

    key: Any
    value: Any
    message: RawMessage


def plain_json(table: CollectionT) -> bool:
    """Whether `table` keeps plain JSON in Faust's memory store (ours do), so that its
    changelog records can be applied as `Applied` tuples: a record costs a third of a Faust
    message, its serializer layers and an event (13 µs against 9.5, with 8 µs of JSON)."""
    schema = table.changelog_topic.schema
    serializers = table.app.serializers
    return (
        type(cast(Any, table).data) is MemoryStore
        and schema.key_type in (None, str)
        and schema.value_type is None
        and (schema.key_serializer or serializers.key_serializer) == "json"
        and (schema.value_serializer or serializers.value_serializer) == "json"
    )


def applied_json(record: Any) -> Applied | None:
    """A plain-JSON changelog record as Faust's path would decode it, or None where that path
    must decide: a key or value that does not decode, a key that is not a string, a value
    that names a Faust model (`Model._maybe_reconstruct`)."""
    try:
        key = json.loads(record.key) if record.key is not None else None
        value = json.loads(record.value) if record.value is not None else None
    except ValueError:
        return None
    if key is not None and not isinstance(key, str):
        return None
    if isinstance(value, dict) and "__faust" in value:
        return None
    return Applied(key, value, RawMessage(record.value, record.partition))


class BulkRecovery(Recovery):
    """Faust's `Recovery`, with `take` for a whole batch of one changelog partition."""

    _gc_paused = False

    def _set_recovery_started(self) -> None:
        super()._set_recovery_started()
        # While the tables fill, every full collection of the cyclic GC walks everything
        # recovered so far (1.1 million tracked objects at 50,000 cases: 18 full
        # collections, 5 s, 80 objects freed). Records are freed by reference counting;
        # automatic collections resume when the recovery ends.
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def _set_recovery_ended(self) -> None:
        super()._set_recovery_ended()
        if self._gc_paused:
            self._gc_paused = False
            # What was recovered lives as long as the tables, and the first collection after
            # the pause walked all of it to free nothing (0.5 s at 50,000 cases). Frozen, no
            # collection walks it again; what the tables drop later is still freed by
            # reference counting (their JSON values make no cycles).
            gc.freeze()
            gc.enable()

    @property
    def shortlabel(self) -> str:
        # Logs as Faust's ("[^---Recovery]: Worker ready"): tests and operators read them.
        return "Recovery"

    def take(self, tp: TP, records: Sequence[Any], to_message: ToMessage) -> bool:
        """Apply `records` (aiokafka records of changelog partition `tp`, in offset order);
        False if they are left to Faust's own path."""
        table = self.tp_to_table.get(tp)
        if table is None or getattr(table, "_on_changelog_event", None):
            return False
        if tp in self.active_tps:
            offsets, received = self.active_offsets, self._active_events_received_at
        elif tp in self.standby_tps:
            offsets, received = self.standby_offsets, self._standby_events_received_at
        else:
            return False
        fresh = unseen(records, offsets.get(tp))
        if fresh:
            offsets[tp] = fresh[-1].offset
            now = monotonic()
            received[tp] = now
            buffer = self.buffers[table]
            # Events buffered by Faust's path (if any) are older: they go first.
            buffer.extend(self._events(table, tp, fresh, to_message))
            table.apply_changelog_batch(buffer)
            buffer.clear()
            self._last_flush_at = now
        self._after_batch()
        return True

    def _events(
        self, table: CollectionT, tp: TP, records: Sequence[Any], to_message: ToMessage
    ) -> list[EventT[Any]]:
        """Decoded as the conductor decodes them: the changelog topic's schema and the
        app's serializers (`Schema.loads_key`, `loads_value`), and `app.create_event`."""
        app = self.app
        schema = table.changelog_topic.schema
        loads_key, loads_value = app.serializers.loads_key, app.serializers.loads_value
        key_type, key_serializer = schema.key_type, schema.key_serializer
        value_type, value_serializer = schema.value_type, schema.value_serializer
        allow_empty = schema.allow_empty
        # What `app.create_event` makes, looked up once.
        event = cast(Callable[..., EventT[Any]], app.conf.Event)
        plain = plain_json(table)
        events: list[EventT[Any]] = []
        for record in records:
            applied = applied_json(record) if plain else None
            if applied is not None:
                events.append(cast(EventT[Any], applied))
                continue
            message = to_message(tp, record)
            try:
                key = loads_key(key_type, message.key, serializer=key_serializer)
                if message.value is None and allow_empty:
                    value = None
                else:
                    value = loads_value(value_type, message.value, serializer=value_serializer)
            except (KeyDecodeError, ValueDecodeError) as exc:
                self.log.warning("Recovery skips %r offset %r: %r", tp, record.offset, exc)
                continue
            events.append(event(app, key, value, message.headers, message))
        return events

    def _after_batch(self) -> None:
        """What `_slurp_changelogs` does after each record."""
        if self.in_recovery and not self.need_recovery():
            self.flush_buffers()
            self._set_recovery_ended()
            if self._actives_span is not None:
                self._actives_span.set_tag("Actives-Ready", True)
            self.signal_recovery_end.set()
        standby_ready = self._standbys_span is None and self.tables.standbys_ready
        if not standby_ready and not self.standby_remaining_total():
            if self._standbys_span is not None:
                finish_span(self._standbys_span)
                self._standbys_span = None
            self.tables.on_standbys_ready()


class BulkTableManager(TableManager):
    """Faust's table manager, with a `BulkRecovery` (give it to `faust.App` as its
    `TableManager` setting)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if faust.__version__ != FAUST_VERSION:
            raise RuntimeError(
                f"processors.recovery is written against faust-streaming {FAUST_VERSION} "
                f"and {faust.__version__} is installed: check that BulkRecovery.take still "
                "does what Recovery._slurp_changelogs does"
            )
        super().__init__(*args, **kwargs)

    @property
    def recovery(self) -> Recovery:
        # Faust's own, but for the class (created when the manager starts, in its loop).
        if self._recovery is None:
            self._recovery = BulkRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
