"""The publish deadline of `runtime.publisher.Publisher`, kept by one shared timer: a publish
the broker never acknowledges is refused with `BrokerUnavailable`, any other cancellation
stays a cancellation, and an acknowledged publish leaves nothing behind. A stand-in
producer holds the sends; the real broker's silence is tested in
tests/integration/web/test_silent_broker.py."""

import asyncio
from typing import Any

import pytest

from runtime.errors import BrokerUnavailable
from runtime.publisher import Publisher


class _Cluster:
    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return None


class _Client:
    cluster = _Cluster()


class _HeldProducer:
    """Answers each send with a future that the test settles, or nobody does."""

    client = _Client()

    def __init__(self) -> None:
        self.sent: list[asyncio.Future[None]] = []
        self.sending = asyncio.Event()

    async def send(self, topic: str, value: bytes, *, key: bytes, partition: Any) -> Any:
        self.sent.append(asyncio.get_running_loop().create_future())
        self.sending.set()
        return self.sent[-1]

    async def stop(self) -> None:
        pass


def _publisher(producer: _HeldProducer, timeout_s: float) -> tuple[Publisher, list[object]]:
    publisher = Publisher("unused:9092", client_id="test", timeout_s=timeout_s)
    publisher._producer = producer
    reset: list[object] = []

    async def note_reset(failed: object) -> None:
        reset.append(failed)

    publisher._reset = note_reset  # type: ignore[method-assign]
    return publisher, reset


async def test_an_unacknowledged_publish_is_refused_and_the_producer_reset() -> None:
    producer = _HeldProducer()
    publisher, reset = _publisher(producer, timeout_s=0.05)
    with pytest.raises(BrokerUnavailable, match="no acknowledgement"):
        await publisher.publish_raw("t", b"k", b"v")
    assert reset == [producer]
    assert not publisher._deadlines and not publisher._expired


async def test_every_pending_publish_is_refused_and_a_later_one_still_watched() -> None:
    producer = _HeldProducer()
    publisher, _ = _publisher(producer, timeout_s=0.05)
    outcomes = await asyncio.gather(
        *(publisher.publish_raw("t", b"k", b"v") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, BrokerUnavailable) for o in outcomes), outcomes
    with pytest.raises(BrokerUnavailable):
        await publisher.publish_raw("t", b"k", b"v")


async def test_another_cancellation_stays_a_cancellation() -> None:
    producer = _HeldProducer()
    publisher, reset = _publisher(producer, timeout_s=60)
    task = asyncio.create_task(publisher.publish_raw("t", b"k", b"v"))
    await producer.sending.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reset == []
    assert not publisher._deadlines
    await publisher.stop()


async def test_an_acknowledged_publish_returns_and_leaves_no_deadline() -> None:
    producer = _HeldProducer()
    publisher, reset = _publisher(producer, timeout_s=60)
    task = asyncio.create_task(publisher.publish_raw("t", b"k", b"v"))
    await producer.sending.wait()
    producer.sent[0].set_result(None)
    await task
    assert reset == [] and not publisher._deadlines and not publisher._expired
    await publisher.stop()
