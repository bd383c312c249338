"""Metrics events are named by their figures; Prometheus gets the same figures; the HTTP
endpoint serves any registry and steps aside when its port is taken."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import faust
import pytest
from faust.types import TP
from prometheus_client import CollectorRegistry, Counter, generate_latest

from processors.stages.metrics import WorkerCollector
from runtime.metrics_http import MetricsServer
from schemas.metrics import BACKLOG_AGES, Figures, WindowSize
from sinks.postgres.publisher import FiguresCollector, metrics_event

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def figures(**changes: Any) -> Figures:
    base: dict[str, Any] = dict(
        window=WindowSize.HOUR, start=START, end=START + timedelta(hours=1),
        timezone="Europe/Rome", received=3, received_by_channel={"email": 1, "web": 2},
        received_by_category={"buche_stradali": 3}, received_by_body={"strade": 3}, routed=2,
        routed_by_body={"strade": 2}, resolved=1, resolved_by_body={"strade": 1},
        resolved_within_deadline=1, resolved_within_deadline_share=1.0,
        mean_days_to_resolution=2.5, median_days_to_resolution=2.5, open_backlog=4,
        open_backlog_by_age=dict.fromkeys(BACKLOG_AGES, 0) | {"0-7d": 4}, triage_queue=1,
        sla_warnings=0, sla_breaches=1, dead_letters=1, dead_letters_by_reason={"no_text": 1},
    )
    return Figures(**(base | changes))


def test_the_same_figures_are_one_event_and_different_figures_another() -> None:
    a = metrics_event(figures(), START + timedelta(hours=2))
    b = metrics_event(figures(), START + timedelta(hours=3))
    c = metrics_event(figures(received=4), START + timedelta(hours=3))
    assert a.id == b.id != c.id
    assert a.subject == "figures.hour" and a.id.startswith("metrics:hour:2026-12-03T09:00Z:")


def test_prometheus_shows_every_figure_by_window() -> None:
    collector = FiguresCollector()
    collector.update(figures())
    collector.update(figures(window=WindowSize.DAY, received=30))
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    assert 'sportello_received{window="hour"} 3.0' in text
    assert 'sportello_received{window="day"} 30.0' in text
    assert 'sportello_received_by_channel{channel="web",window="hour"} 2.0' in text
    assert 'sportello_open_backlog_by_age{age="0-7d",window="hour"} 4.0' in text
    assert 'sportello_resolved_within_deadline_share{window="hour"} 1.0' in text
    for name in Figures.model_fields:
        if name not in ("window", "start", "end", "timezone"):
            assert f"sportello_{name}" in text, name


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


async def test_the_endpoint_serves_its_registry_and_steps_aside_when_the_port_is_taken(
    taken_port: int,
) -> None:
    registry = CollectorRegistry()
    Counter("sportello_test_things", "things", registry=registry).inc(3)
    server = MetricsServer(registry, host="127.0.0.1", port=0)
    assert await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{server.port}"
            async with http.get(base + "/metrics") as r:
                assert r.status == 200 and r.content_type == "text/plain"
                assert "sportello_test_things_total 3.0" in await r.text()
            async with http.get(base + "/healthz") as r:
                assert r.status == 200
    finally:
        await server.stop()
    assert not await MetricsServer(registry, host="127.0.0.1", port=taken_port).start()


def test_the_worker_shows_its_lag_and_dead_letters_from_faust_s_monitor() -> None:
    monitor = faust.Monitor()
    tp = TP("sportello.cases.commands", 2)
    monitor.track_tp_end_offset(tp, 120)
    monitor.on_tp_commit({tp: 100})
    monitor.messages_sent_by_topic["complaints.deadletter"] += 2
    monitor.events_total = 7
    registry = CollectorRegistry()
    registry.register(WorkerCollector(SimpleNamespace(monitor=monitor)))  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    assert (
        'sportello_worker_consumer_lag{partition="2",topic="sportello.cases.commands"} 20.0'
        in text
    )
    assert "sportello_worker_dead_letters_total 2.0" in text
    assert "sportello_worker_events_total 7.0" in text
