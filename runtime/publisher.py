"""Publishing events to Kafka with the guarantee every channel relies on.

`Publisher.publish` returns only once the broker has acknowledged the event (acks=all,
idempotent producer), and raises `BrokerUnavailable` otherwise; a channel answers its sender
after that and never before.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from runtime.errors import BrokerUnavailable
from schemas.events import Event

log = logging.getLogger(__name__)


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
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._timeout_s = timeout_s
        self._linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect now if the broker answers; otherwise the first publish retries."""
        try:
            await self._ensure_started()
        except BrokerUnavailable as exc:
            log.warning("Kafka is not reachable yet (%s); will retry on first publish", exc)

    async def stop(self) -> None:
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                await producer.stop()

    async def publish(self, topic: str, event: Event[Any], *, key: str | None = None) -> None:
        """Publish `event` keyed by `key` (its subject by default); return once acknowledged."""
        await self.publish_raw(topic, (key or event.subject).encode(), event.to_json())

    async def publish_many(self, items: Sequence[tuple[str, Event[Any]]]) -> None:
        """Publish several events and return once all are acknowledged."""
        producer = await self._ensure_started()
        try:
            futures = [
                await producer.send(topic, event.to_json(), key=event.subject.encode())
                for topic, event in items
            ]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            await self._reset()
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc

    async def publish_raw(self, topic: str, key: bytes, value: bytes) -> None:
        producer = await self._ensure_started()
        try:
            await producer.send_and_wait(topic, value, key=key)
        except KafkaError as exc:
            await self._reset()
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc

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
                raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
            self._producer = producer
            return producer

    async def _reset(self) -> None:
        # A failed send may leave the idempotent producer's sequence numbers in doubt; a
        # fresh producer (new producer id) is the safe way back.
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except KafkaError:
                log.debug("ignoring an error while stopping a failed producer", exc_info=True)
