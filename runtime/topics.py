"""Every topic Sportello uses, declared once, and their idempotent creation.

`declared_topics` is pure: it says what should exist. `ensure_topics` makes it so on a
broker, creating what is missing and checking what exists; running it twice is harmless.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from runtime.errors import BrokerUnavailable
from schemas import topics

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000

# The worker's internal topics (not a public contract). Stages that compare every
# submission with every other run on one partition; the rest scale with the partitions.
DEDUP_RESOLVE = "sportello.dedup.resolve"
DEDUP_CITIZEN = "sportello.dedup.citizen"
DEDUP_PLACE = "sportello.dedup.place"
CASE_COMMANDS = "sportello.cases.commands"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    config: dict[str, str] = field(default_factory=dict)


def declared_topics(
    body_ids: Iterable[str], *, partitions: int, replication: int
) -> tuple[TopicSpec, ...]:
    """The public topics of the design, with one `complaints.routed.<body>` per body, and the
    worker's internal topics (Faust creates its tables' changelog topics itself).

    Intake, cases and the routed topics are kept long enough to rebuild the store by replay;
    cases is compacted so it always holds the latest snapshot of every case.
    """
    min_isr = str(min(2, replication))

    def spec(name: str, **config: str) -> TopicSpec:
        return TopicSpec(name, partitions, replication, {"min.insync.replicas": min_isr, **config})

    keep_forever = {"retention.ms": "-1"}
    week = {"retention.ms": str(7 * DAY_MS)}
    return (
        spec(topics.INTAKE, **keep_forever),
        spec(topics.CASES, **{"cleanup.policy": "compact", "min.compaction.lag.ms": str(DAY_MS)}),
        *(spec(topics.routed(b), **keep_forever) for b in body_ids),
        spec(topics.STATUS, **keep_forever),
        spec(topics.NOTIFICATIONS, **keep_forever),
        spec(topics.TRIAGE, **{"retention.ms": str(365 * DAY_MS)}),
        spec(topics.SLA, **keep_forever),
        spec(topics.METRICS, **{"retention.ms": str(30 * DAY_MS)}),
        spec(topics.DEADLETTER, **{"retention.ms": str(365 * DAY_MS)}),
        TopicSpec(DEDUP_RESOLVE, 1, replication, {"min.insync.replicas": min_isr, **week}),
        spec(DEDUP_CITIZEN, **week),
        TopicSpec(DEDUP_PLACE, 1, replication, {"min.insync.replicas": min_isr, **week}),
        spec(CASE_COMMANDS, **week),
    )


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the missing topics; return a line per topic saying what was found or done."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
    except (KafkaError, OSError) as exc:
        await admin.close()
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    report: list[str] = []
    try:
        existing = set(await admin.list_topics())
        wanted = list(specs)
        missing = [s for s in wanted if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(s.name, s.partitions, s.replication, topic_configs=s.config)
                        for s in missing
                    ]
                )
            except TopicAlreadyExistsError:
                log.info("another process created some topics at the same time")
        described = await admin.describe_topics([s.name for s in wanted if s.name in existing])
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        for s in wanted:
            if s.name not in existing:
                report.append(f"created  {s.name} ({s.partitions} partitions)")
            elif partitions.get(s.name, 0) < s.partitions:
                report.append(
                    f"differs  {s.name}: {partitions.get(s.name)} partitions, "
                    f"{s.partitions} declared (add partitions with Kafka's tools if intended)"
                )
            else:
                report.append(f"exists   {s.name} ({partitions.get(s.name)} partitions)")
    finally:
        await admin.close()
    return report
