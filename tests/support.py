"""Test helpers: reading topics with a plain aiokafka consumer (no group, no commits),
and waiting for a condition without fixed sleeps."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

T = TypeVar("T")


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def read_until(
    bootstrap: str,
    start: dict[TopicPartition, int],
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    timeout: float = 20.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read from `start` offsets until `done(records so far)` or `timeout` seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(records) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for rs in batch.values():
                records.extend(rs)
    finally:
        await consumer.stop()
    return records


async def read_to_end(
    bootstrap: str, start: dict[TopicPartition, int], *, timeout: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything from `start` up to the end offsets as they are now."""
    topic = next(iter(start)).topic
    end = await end_offsets(bootstrap, topic)
    want = sum(end[tp] - start.get(tp, 0) for tp in end)
    return await read_until(bootstrap, start, lambda rs: len(rs) >= want, timeout=timeout)


async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = 20.0, interval: float = 0.2
) -> T:
    """Await `probe()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def drained(bootstrap: str, group: str, topic: str, *, timeout: float = 180.0) -> None:
    """Wait until consumer `group` has committed up to the end of `topic` as it is now.

    Tests that time the pipeline on one complaint call this first, so the figure is the
    pipeline's latency and not the time it takes to work off what earlier tests sent."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    end = await end_offsets(bootstrap, topic)

    async def caught_up() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            committed = await admin.list_consumer_group_offsets(group)
        except KafkaError:
            return False
        finally:
            await admin.close()
        return all(
            tp in committed and committed[tp].offset >= offset
            for tp, offset in end.items()
            if offset > 0
        )

    await eventually(caught_up, timeout=timeout, interval=0.5)
