"""Fixtures of the paper-intake integration tests: real Kafka, real Tesseract, real files.

Kafka is shared with other tests running at the same time: every test reads a topic from
its end offsets taken before it acts, and keeps only the records of its own files
(tracking ids computed from the files' SHA-256).
"""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from ingestors.inbox.published import topic_partitions
from schemas.events import decode_event

REPO = Path(__file__).resolve().parents[3]


def _shared_data() -> Path:
    """`<repo>/../shared/data` as in CI; a git worktree sits one level deeper, so the
    nearest `shared/data` above the repository is taken."""
    for parent in REPO.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return REPO / ".." / "shared" / "data"


SHARED_DATA = _shared_data()
KAFKA = os.environ.get("SPORTELLO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return KAFKA


@pytest.fixture
def run_id() -> str:
    """A token that makes this test's files, hence their hashes, unique."""
    return uuid.uuid4().hex[:12]


@dataclass
class Record:
    key: bytes | None
    event: Any


class TopicTail:
    """Records appended to a topic after `start()`, as decoded events."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.records: list[Record] = []
        self.undecodable = 0

    async def start(self) -> None:
        partitions = await topic_partitions(self._bootstrap, self.topic)
        await self._consumer.start()
        tps = [TopicPartition(self.topic, p) for p in partitions]
        self._consumer.assign(tps)
        ends = await self._consumer.end_offsets(tps)
        for tp in tps:
            self._consumer.seek(tp, ends[tp])

    async def stop(self) -> None:
        await self._consumer.stop()

    async def _poll(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=200)
        for records in batch.values():
            for record in records:
                try:
                    event = decode_event(record.value)
                except ValidationError:
                    # Other writers share the topic, some with event types this branch
                    # does not know yet; this test's own events always decode.
                    self.undecodable += 1
                    continue
                self.records.append(Record(record.key, event))

    async def wait_for(
        self, match: Callable[[Any], bool], count: int, *, within: float, linger: float = 1.0
    ) -> list[Any]:
        """Events matching `match`, once at least `count` arrived (then `linger` seconds
        more, to catch any duplicate); fails after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.matching(match)) < count:
            assert loop.time() < deadline, (
                f"{len(self.matching(match))} of {count} events on {self.topic}"
            )
            await self._poll()
        linger_until = loop.time() + linger
        while loop.time() < linger_until:
            await self._poll()
        return self.matching(match)

    def matching(self, match: Callable[[Any], bool]) -> list[Any]:
        return [r.event for r in self.records if match(r.event)]


@pytest.fixture
async def tail_factory(kafka_bootstrap: str) -> AsyncIterator[Callable[[str], Any]]:
    tails: list[TopicTail] = []

    async def make(topic: str) -> TopicTail:
        tail = TopicTail(kafka_bootstrap, topic)
        tails.append(tail)
        await tail.start()
        return tail

    yield make
    for tail in tails:
        with contextlib.suppress(Exception):
            await tail.stop()
