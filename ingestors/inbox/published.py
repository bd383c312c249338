"""Asking the broker whether an event is already on a topic (after a crash, see ledger.py).

The marker says when the event was about to be sent; the producer stamps a record with its
own clock when it sends it. So only records stamped from shortly before the marker to a
little after it need reading: `offsets_for_times` finds where that window starts in each
partition, however long ago the crash was.
"""

import json
import logging
from datetime import datetime, timedelta
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from runtime.errors import BrokerUnavailable

log = logging.getLogger(__name__)


class PublishedCheck(Protocol):
    async def was_published(self, topic: str, key: str, event_id: str, since: datetime) -> bool: ...


class KafkaPublishedCheck:
    """Reads the topic's records stamped in [since - lead, since + window] for the event.

    `window_s` must cover the publisher's timeout plus clock differences between
    producers; the read stops at the current end of each partition anyway.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        window_s: float = 120.0,
        lead_s: float = 5.0,
        timeout_s: float = 10.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._window = timedelta(seconds=window_s)
        self._lead = timedelta(seconds=lead_s)
        self._timeout_ms = int(timeout_s * 1000)

    async def was_published(self, topic: str, key: str, event_id: str, since: datetime) -> bool:
        """True if a record with this key and event id is on `topic`; raises
        `BrokerUnavailable` when the broker cannot tell."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_auto_commit=False,
            request_timeout_ms=max(self._timeout_ms, 5000) + 1000,
        )
        try:
            partitions = await topic_partitions(self._bootstrap, topic)
            await consumer.start()
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            start_ms = int((since - self._lead).timestamp() * 1000)
            stop_ms = int((since + self._window).timestamp() * 1000)
            starts = await consumer.offsets_for_times(dict.fromkeys(tps, start_ms))
            ends = await consumer.end_offsets(tps)
            wanted = key.encode()
            for tp in tps:
                found = starts.get(tp)
                if found is None or found.offset >= ends[tp]:
                    continue
                if await self._scan(
                    consumer, tp, found.offset, ends[tp], stop_ms, wanted, event_id
                ):
                    return True
            return False
        except KafkaError as exc:
            raise BrokerUnavailable(f"cannot read {topic}: {exc}") from exc
        finally:
            await consumer.stop()

    async def _scan(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        start: int,
        end: int,
        stop_ms: int,
        key: bytes,
        event_id: str,
    ) -> bool:
        consumer.seek(tp, start)
        position = start
        while position < end:
            batch = await consumer.getmany(tp, timeout_ms=self._timeout_ms)
            records = batch.get(tp, [])
            if not records:
                raise BrokerUnavailable(f"no records from {tp} before offset {end}")
            for record in records:
                position = record.offset + 1
                if record.key == key and _event_id(record.value) == event_id:
                    return True
                if record.timestamp > stop_ms or position >= end:
                    return False
        return False


async def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of `topic`; raises `BrokerUnavailable` if none can be had."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
        described = await admin.describe_topics([topic])
    except (KafkaError, OSError) as exc:
        raise BrokerUnavailable(f"cannot describe {topic}: {exc}") from exc
    finally:
        await admin.close()
    partitions = sorted(
        p["partition"] for d in described if d.get("topic") == topic for p in d["partitions"]
    )
    if not partitions:
        raise BrokerUnavailable(f"topic {topic} has no partitions (does it exist?)")
    return partitions


def _event_id(value: bytes | None) -> str | None:
    if not value:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded.get("id") if isinstance(decoded, dict) else None
