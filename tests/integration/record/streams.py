"""Topics of a test's own (`<prefix>complaints.…`), so that a test or a benchmark can read
its topics from the beginning, replay them and compare whole tables, without anyone else's
messages and without leaving messages in anyone else's way. Deleted at the end."""

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from processors.bodies import load_bodies
from runtime.topics import TopicSpec, ensure_topics
from schemas.events import Event
from sinks.postgres.records import history_pattern

NAMES = (
    "complaints.intake",
    "complaints.cases",
    "complaints.triage",
    "complaints.sla",
    "complaints.status",
    "complaints.deadletter",
    "complaints.metrics",
)


@dataclass(frozen=True)
class PrivateTopics:
    bootstrap: str
    prefix: str
    partitions: int = 3

    @staticmethod
    def fresh(bootstrap: str, partitions: int = 3) -> "PrivateTopics":
        return PrivateTopics(bootstrap, f"t{uuid.uuid4().hex[:10]}.", partitions)

    @property
    def pattern(self) -> str:
        return history_pattern(self.prefix)

    def names(self) -> list[str]:
        routed = [f"complaints.routed.{b.id}" for b in load_bodies()]
        return [self.prefix + n for n in (*NAMES, *routed)]

    def name(self, topic: str) -> str:
        return self.prefix + topic

    async def create(self) -> None:
        await ensure_topics(
            self.bootstrap, [TopicSpec(n, self.partitions, 1) for n in self.names()]
        )

    async def delete(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(self.names())
        finally:
            await admin.close()

    async def publish(self, items: Iterable[tuple[str, Event[Any]]]) -> int:
        """Publish (topic without prefix, event) keyed by the event's subject, in order;
        return once all are acknowledged."""
        return await publish_raw(
            self.bootstrap,
            [(self.prefix + t, e.subject.encode(), e.to_json()) for t, e in items],
        )


async def publish_raw(bootstrap: str, messages: Sequence[tuple[str, bytes, bytes | None]]) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
        max_batch_size=1 << 20,
    )
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k) for t, k, v in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(messages)
