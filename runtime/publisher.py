"""Publishing events to Kafka with the guarantee every channel relies on.

`Publisher.publish` returns only once the broker has acknowledged the event (acks=all,
idempotent producer), and raises `BrokerUnavailable` otherwise; a channel answers its sender
after that and never before.

aiokafka's idempotent producer never gives up on a batch: with the broker down, a send would
wait for ever and be delivered whenever the broker returns, long after the sender was told
"try again later". So a publish has a deadline, and at the deadline the producer is
abandoned with every unsent batch failed (`_abandon`), so that what was refused is never
stored behind the sender's back. One case stays ambiguous, as in any distributed system: a
request the broker wrote whose answer was lost. The channel's idempotency reference covers it
(a retry gets the same tracking number, and dedup drops the copy).
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.cluster import ClusterMetadata
from aiokafka.errors import KafkaError

from runtime.errors import BrokerUnavailable
from runtime.partitioning import partition_for
from schemas.events import Event

log = logging.getLogger(__name__)


class PublishObserver(Protocol):
    """Told how each attempt went (`runtime.instruments.PublishInstruments` is one)."""

    def reached(self, ok: bool) -> None:
        """A connection to the broker was made (True) or could not be (False)."""

    def published(self, seconds: float, ok: bool) -> None:
        """A publish was acknowledged (True) or given up (False) after `seconds`."""


class Publisher:
    """One idempotent producer per process, started lazily and restarted after a failure,
    so that an ingestor comes up (and answers "try again later") while the broker is down."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        timeout_s: float = 5.0,
        linger_ms: int = 2,
        observer: PublishObserver | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._linger_ms = linger_ms
        self._observer = observer
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        # The publish deadline (see `_send_all_now`): each publishing task with its deadline,
        # oldest first, and the tasks cancelled for missing theirs.
        self._deadlines: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._watch: asyncio.TimerHandle | None = None
        self._watch_loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Connect now if the broker answers; otherwise the first publish retries."""
        try:
            await self._ensure_started()
        except BrokerUnavailable as exc:
            log.warning("Kafka is not reachable yet (%s); will retry on first publish", exc)

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                await producer.stop()

    async def publish(self, topic: str, event: Event[Any], *, key: str | None = None) -> None:
        """Publish `event` keyed by `key` (its subject by default); return once acknowledged."""
        await self.publish_raw(topic, (key or event.subject).encode(), event.to_json())

    async def publish_many(self, items: Sequence[tuple[str, Event[Any]]]) -> None:
        """Publish several events and return once all are acknowledged."""
        await self._send_all([(t, e.subject.encode(), e.to_json()) for t, e in items])

    async def publish_raw(self, topic: str, key: bytes, value: bytes) -> None:
        await self._send_all([(topic, key, value)])

    async def _send_all(self, messages: Sequence[tuple[str, bytes, bytes]]) -> None:
        started = time.monotonic()
        try:
            await self._send_all_now(messages)
        except BrokerUnavailable:
            if self._observer is not None:
                self._observer.published(time.monotonic() - started, False)
            raise
        if self._observer is not None:
            self._observer.published(time.monotonic() - started, True)

    async def _send_all_now(self, messages: Sequence[tuple[str, bytes, bytes]]) -> None:
        producer = self._producer or await self._ensure_started()
        cluster = producer.client.cluster
        task = asyncio.current_task()
        assert task is not None
        self._deadlines[task] = self._watching(task.get_loop()) + self._timeout_s
        try:
            futures = [
                await producer.send(t, v, key=k, partition=_partition(cluster, t, k))
                for t, k, v in messages
            ]
            await (futures[0] if len(futures) == 1 else asyncio.gather(*futures))
        except KafkaError as exc:
            await self._reset(producer)
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
        except asyncio.CancelledError:
            # Ours (`_expire_overdue`) and no other cancellation pending: the deadline passed.
            if task not in self._expired or task.uncancel() > 0:
                raise
            await self._reset(producer)
            raise BrokerUnavailable(f"no acknowledgement within {self._timeout_s:g} s") from None
        finally:
            self._deadlines.pop(task, None)
            self._expired.discard(task)

    def _watching(self, loop: asyncio.AbstractEventLoop) -> float:
        """Make sure `_expire_overdue` runs while publishes are pending; return the time.

        One timer for every publish in progress rather than one each (`asyncio.timeout`):
        arming and cancelling a timer per request, and the timer heap that grows with the
        cancelled ones, cost the web intake more than its own code did. A publish is
        refused between `timeout_s` and `timeout_s + _tick_s()` after it began."""
        if self._watch is None or self._watch_loop is not loop:
            self._watch = loop.call_later(self._tick_s(), self._expire_overdue)
            self._watch_loop = loop
        return loop.time()

    def _tick_s(self) -> float:
        return min(0.5, self._timeout_s / 8)

    def _expire_overdue(self) -> None:
        """Cancel the publishes past their deadline; `_send_all_now` turns that cancellation
        into `BrokerUnavailable`, as `asyncio.timeout` would (the same uncancel rules)."""
        loop = self._watch_loop
        assert loop is not None
        self._watch = None
        now = loop.time()
        overdue = []
        for task, deadline in self._deadlines.items():  # oldest first: one timeout for all
            if deadline > now:
                break
            overdue.append(task)
        for task in overdue:
            del self._deadlines[task]
            self._expired.add(task)
            task.cancel()
        if self._deadlines:
            self._watch = loop.call_later(self._tick_s(), self._expire_overdue)

    async def _ensure_started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is not None:
                return self._producer
            timeout_ms = int(self._timeout_s * 1000)
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=self._linger_ms,
                request_timeout_ms=timeout_ms,
                metadata_max_age_ms=30_000,
            )
            try:
                await asyncio.wait_for(producer.start(), self._timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                await producer.stop()
                if self._observer is not None:
                    self._observer.reached(False)
                raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
            if self._observer is not None:
                self._observer.reached(True)
            self._producer = producer
            return producer

    async def _reset(self, failed: AIOKafkaProducer) -> None:
        # A fresh producer (new producer id) is the safe way back after a failure: the old
        # one's sequence numbers are in doubt, and its unsent batches must never go out.
        # Once only: every publish waiting on the failed producer lands here at about the
        # same moment, and a second close of its sender raises CancelledError in the
        # caller, which aiohttp answers by dropping the connection instead of a 503.
        async with self._lock:
            if self._producer is not failed:
                return
            self._producer = None
        await _abandon(failed)


def _partition(cluster: ClusterMetadata, topic: str, key: bytes) -> int | None:
    """The partition aiokafka's default partitioner would choose, computed faster (see
    `runtime.partitioning`); None while the topic's metadata is unknown, and aiokafka waits
    for it and chooses."""
    partitions = cluster.partitions_for_topic(topic)
    return partition_for(key, len(partitions)) if partitions else None


async def _abandon(producer: AIOKafkaProducer) -> None:
    """Close `producer` without delivering what it still holds.

    aiokafka has no public way to drop pending batches (`stop()` flushes them, which with
    the broker down waits for ever), so this reaches into its accumulator and sender; the
    aiokafka version is pinned, and the broker-down integration test checks the behaviour.
    """
    # Stop the sender first: in-flight requests finish (or fail and are put back), then
    # every batch left is failed, so nothing of this producer is ever sent again.
    try:
        await asyncio.wait_for(producer._sender.close(), 10)
    except Exception:
        log.debug("the abandoned producer's sender ended with an error", exc_info=True)
    accumulator = producer._message_accumulator
    batches = [
        *accumulator._pending_batches,
        *(b for q in accumulator._batches.values() for b in q),
    ]
    accumulator.fail_all(BrokerUnavailable("publish abandoned"))
    # A failed batch also fails its drain waiter, which nobody awaits once the sender is
    # gone; retrieved here, or asyncio logs "Future exception was never retrieved".
    for batch in batches:
        waiter = batch._drain_waiter
        if waiter.done() and not waiter.cancelled():
            waiter.exception()
    try:
        await producer.client.close()
    except (KafkaError, OSError):
        log.debug("ignoring an error while closing an abandoned producer", exc_info=True)
    producer._closed = True
