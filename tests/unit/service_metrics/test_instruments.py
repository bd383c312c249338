"""The ingestors' instruments without a broker: publish outcomes, SMTP outcomes, inbox
attempts, and the web middleware's labels (route patterns, never paths)."""

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from ingestors.inbox.metrics import InboxInstruments
from ingestors.smtp.handler import Outcome
from ingestors.smtp.intake import Fate
from ingestors.smtp.metrics import SmtpInstruments, outcome_of
from ingestors.web.metrics import WebInstruments
from runtime.errors import BrokerUnavailable
from runtime.instruments import PublishInstruments, service_registry
from runtime.publisher import Publisher
from schemas.deadletter import DeadLetter
from schemas.events import DeadLettered


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_a_publish_tells_its_outcome_and_the_brokers_health() -> None:
    registry = CollectorRegistry()
    p = PublishInstruments(registry, "web", clock=lambda: 1234.0)
    p.published(0.02, True)
    assert sample(registry, "sportello_web_broker_available") == 1
    assert sample(registry, "sportello_web_last_publish_timestamp_seconds") == 1234.0
    p.published(5.0, False)
    assert sample(registry, "sportello_web_broker_available") == 0
    assert sample(registry, "sportello_web_publish_failures_total") == 1
    assert sample(registry, "sportello_web_publish_seconds_count", outcome="acknowledged") == 1
    assert sample(registry, "sportello_web_publish_seconds_count", outcome="failed") == 1
    assert sample(registry, "sportello_web_publish_seconds_bucket", outcome="failed", le="5.0") == 1


async def test_the_publisher_tells_its_observer_when_kafka_is_not_there() -> None:
    at = datetime(2031, 1, 1, tzinfo=UTC)
    letter = DeadLetter(
        stage="tests", source_ref="ref", reason="r", detail="d", received_at=at, raw_location="x"
    )
    event = DeadLettered.new(letter, source="/tests", subject="ref", time=at)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    registry = service_registry("test")
    observer = PublishInstruments(registry, "test")
    publisher = Publisher(f"127.0.0.1:{closed}", client_id="t", timeout_s=0.5, observer=observer)
    await publisher.start()
    assert sample(registry, "sportello_test_broker_available") == 0
    with pytest.raises(BrokerUnavailable):
        await publisher.publish("complaints.deadletter", event)
    await publisher.stop()
    assert sample(registry, "sportello_test_publish_failures_total") == 1
    assert sample(registry, "sportello_test_up") == 1


def test_smtp_outcomes_are_the_fate_or_why_the_sender_must_retry() -> None:
    def outcome(fate: Fate | None, reply: str) -> Outcome:
        return Outcome(fate, "ref", "", None, reply, 0.5)

    assert outcome_of(outcome(Fate.COMPLAINT, "250 2.0.0 OK: SP-1")) == "complaint"
    assert outcome_of(outcome(Fate.DEAD_LETTER, "250 2.0.0 OK")) == "dead_letter"
    assert outcome_of(outcome(Fate.COMPLAINT, "451 4.3.0 Broker")) == "broker_unavailable"
    assert outcome_of(outcome(None, "451 4.3.0 Temporary")) == "temporary_failure"
    registry = CollectorRegistry()
    smtp = SmtpInstruments(registry)
    smtp.observe(outcome(Fate.COMPLAINT, "250 2.0.0 OK: SP-1"))
    assert sample(registry, "sportello_smtp_messages_total", outcome="complaint", reply="250") == 1
    assert sample(registry, "sportello_smtp_message_seconds_sum", outcome="complaint") == 0.5


def test_inbox_attempts_are_counted_by_outcome() -> None:
    registry = CollectorRegistry()
    inbox = InboxInstruments(registry, "postal")
    inbox.unit_done("processed", 1.5)
    inbox.unit_done("broker_unavailable", 5.0)
    assert sample(registry, "sportello_postal_unit_attempts_total", outcome="processed") == 1
    assert sample(registry, "sportello_postal_unit_seconds_sum", outcome="broker_unavailable") == 5
    # No watcher yet: no backlog figures rather than made-up zeros.
    assert registry.get_sample_value("sportello_postal_backlog_files") is None


@pytest.fixture
async def measured() -> AsyncIterator[tuple[str, CollectorRegistry]]:
    registry = CollectorRegistry()
    instruments = WebInstruments(registry)
    app = web.Application()

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["tracking_id"]})

    async def broken(request: web.Request) -> web.Response:
        raise web.HTTPServiceUnavailable()

    app.router.add_get("/v1/complaints/{tracking_id}", status)
    app.router.add_get("/broken", broken)
    instruments.install(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", registry
    await runner.cleanup()


async def test_requests_are_labelled_by_route_pattern_and_status(
    measured: tuple[str, CollectorRegistry],
) -> None:
    url, registry = measured
    async with aiohttp.ClientSession() as http:
        for tracking in ("SP-AAAA-BBBB-CCCC", "SP-DDDD-EEEE-FFFF"):
            async with http.get(f"{url}/v1/complaints/{tracking}") as r:
                assert r.status == 200
        async with http.get(url + "/wp-admin/setup.php") as r:
            assert r.status == 404
        async with http.get(url + "/broken") as r:
            assert r.status == 503
    req = "sportello_web_requests_total"
    route = "/v1/complaints/{tracking_id}"
    assert sample(registry, req, method="GET", route=route, status="200") == 2
    assert sample(registry, req, method="GET", route="unmatched", status="404") == 1
    assert sample(registry, req, method="GET", route="/broken", status="503") == 1
    assert sample(registry, "sportello_web_request_seconds_count", route=route) == 2
    assert sample(registry, "sportello_web_requests_in_flight") == 0
