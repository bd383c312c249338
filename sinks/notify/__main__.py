"""`python -m sinks.notify`: the citizen notifier. Several may run in one group."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry, Gauge

from ingestors.smtp.ack import RelayConfig, send_via_relay
from processors.bodies import load_bodies
from runtime.instruments import service_registry
from runtime.logs import configure_logging
from runtime.metrics_http import MetricsServer
from runtime.publisher import Publisher
from runtime.shutdown import wait_for_shutdown
from schemas import topics
from sinks.notify.ledger import Ledger
from sinks.notify.notifier import Composer, Notifier
from sinks.notify.settings import NotifierSettings
from sinks.postgres.__main__ import connect_pool

log = logging.getLogger("sinks.notify")


def now() -> datetime:
    return datetime.now(UTC)


def relay_sender(relay: RelayConfig) -> Callable[[EmailMessage], Awaitable[None]]:
    """`ingestors.smtp.ack.send_via_relay` in a thread: the one way Sportello sends mail."""

    async def send(message: EmailMessage) -> None:
        await asyncio.to_thread(send_via_relay, relay, message)

    return send


async def serve(settings: NotifierSettings) -> None:
    stop = asyncio.Event()
    waiter = asyncio.create_task(wait_for_shutdown())
    waiter.add_done_callback(lambda _: stop.set())
    relay = settings.relay_config()
    if relay is None:
        log.warning(
            "no outgoing relay (SPORTELLO_SMTP_RELAY_HOST): citizens are not notified;"
            " the notifier waits, its offsets untouched, until it is configured"
        )
        await stop.wait()
        return
    key = settings.reopen_link_key()
    if key is None:
        log.warning("no SPORTELLO_REOPEN_SECRET in production: notices offer no link")
    elif settings.reopen_secret is None:
        log.warning("'not solved' links signed with the development secret")
    prefix = settings.notify_topic_prefix
    pool = await connect_pool(settings.pg_dsn.get_secret_value())
    consumer = cases_consumer(
        settings.kafka_bootstrap, settings.notify_group_id, prefix + topics.CASES
    )
    publisher = Publisher(settings.kafka_bootstrap, client_id="sportello-notifier")
    notifier = Notifier(
        consumer,
        Ledger(pool, lease=timedelta(seconds=settings.notify_claim_lease_s)),
        publisher,
        relay_sender(relay),
        Composer(
            sender=relay.sender,
            domain=relay.domain,
            public_url=settings.public_url,
            link_key=key,
            link_validity=timedelta(days=settings.reopen_link_days),
            body_names={b.id: b.name for b in load_bodies(settings.bodies_file)},
        ),
        clock=now,
        max_age=settings.max_age,
        output_topic=prefix + topics.NOTIFICATIONS,
        retry_max_s=settings.notify_retry_max_s,
    )
    metrics = await serve_metrics(notifier, settings)
    try:
        await consumer.start()
        await publisher.start()
        log.info(
            "citizen notifier reading %s%s, sending through %s:%d",
            prefix,
            topics.CASES,
            relay.host,
            relay.port,
        )
        await notifier.run(stop)
    finally:
        await consumer.stop()
        await publisher.stop()
        await pool.close()
        if metrics is not None:
            await metrics.stop()
        log.info("citizen notifier stopped (%d sent, %d refused)", notifier.sent, notifier.refused)


async def serve_metrics(notifier: Notifier, settings: NotifierSettings) -> MetricsServer | None:
    """The notifier's Prometheus endpoint: what it sent, refused and retried so far."""
    if settings.notify_metrics_port is None:
        return None
    registry: CollectorRegistry = service_registry("notifier")

    def reading(name: str) -> Callable[[], float]:
        return lambda: float(getattr(notifier, name))

    for name, what in (
        ("sent", "notices sent to citizens"),
        ("refused", "notices the relay refused for good"),
        ("retries", "tries that failed and were repeated"),
    ):
        gauge = Gauge(f"sportello_notifier_{name}", what, registry=registry)
        gauge.set_function(reading(name))
    server = MetricsServer(
        registry, host=settings.notify_metrics_host, port=settings.notify_metrics_port
    )
    await server.start()
    return server


def cases_consumer(bootstrap: str, group_id: str, topic: str) -> AIOKafkaConsumer:
    """The notifier's consumer: its own group, commits only after the notices are settled,
    from the beginning for a new group (old answers are skipped by age, not by offset). A
    topic that does not exist yet is waited for rather than an error."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=30_000,
    )
    # By pattern: a subscription by name makes `start` fail on a topic not created yet.
    consumer.subscribe(pattern=f"^{re.escape(topic)}$")
    return consumer


def main() -> None:
    settings = NotifierSettings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
