"""The worker's Prometheus endpoint: its own health, read from Faust's monitor at each scrape.

What it shows: consumer lag by topic and partition (end offset minus committed offset, as
Faust's consumer last saw them), messages read and sent by topic, dead letters sent, events
processed, messages in flight (read, not yet acked), send errors and rebalances. The business
figures are computed from the store by the sinks (`sinks.postgres.publisher`), which serve
them on their own endpoint.
"""

from collections.abc import Iterable
from typing import Any

import faust
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from runtime.instruments import service_registry
from runtime.metrics_http import MetricsServer
from schemas import topics


class WorkerCollector(Collector):
    def __init__(self, app: faust.App) -> None:
        self._app = app

    def collect(self) -> Iterable[Metric]:
        monitor: Any = self._app.monitor
        lag = GaugeMetricFamily(
            "sportello_worker_consumer_lag",
            "messages not yet committed, by topic and partition",
            labels=["topic", "partition"],
        )
        committed = dict(monitor.tp_committed_offsets)
        for tp, end in sorted(dict(monitor.tp_end_offsets).items()):
            done = committed.get(tp)
            if done is not None:
                lag.add_metric([tp.topic, str(tp.partition)], max(0, end - done))
        yield lag
        received = CounterMetricFamily(
            "sportello_worker_messages_received", "messages read, by topic", labels=["topic"]
        )
        for topic, n in sorted(monitor.messages_received_by_topic.items()):
            received.add_metric([topic], n)
        yield received
        sent = CounterMetricFamily(
            "sportello_worker_messages_sent", "messages sent, by topic", labels=["topic"]
        )
        for topic, n in sorted(monitor.messages_sent_by_topic.items()):
            sent.add_metric([str(topic)], n)
        yield sent
        yield CounterMetricFamily(
            "sportello_worker_dead_letters",
            "messages sent to complaints.deadletter",
            value=monitor.messages_sent_by_topic.get(topics.DEADLETTER, 0),
        )
        yield CounterMetricFamily(
            "sportello_worker_events", "events processed by agents", value=monitor.events_total
        )
        # Not the monitor's `events_active`: Faust counts an event out only when the stream
        # acks it itself, never for the batches the agents take, so that one only grows.
        yield GaugeMetricFamily(
            "sportello_worker_events_active",
            "messages read and not yet done with (processed, acknowledged)",
            value=monitor.messages_active,
        )
        yield CounterMetricFamily(
            "sportello_worker_send_errors", "sends that failed", value=monitor.send_errors
        )
        yield CounterMetricFamily(
            "sportello_worker_rebalances", "consumer group rebalances", value=monitor.rebalances
        )


def register(app: faust.App, *, host: str, port: int | None) -> None:
    """Serve the worker's metrics on `host:port` once it runs (nothing when `port` is None)."""
    if port is None:
        return
    registry = service_registry("worker")
    registry.register(WorkerCollector(app))
    server = MetricsServer(registry, host=host, port=port)

    @app.task  # type: ignore[untyped-decorator]
    async def serve_metrics() -> None:
        await server.start()

    async def stop_metrics(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await server.stop()

    app.on_before_shutdown.connect(stop_metrics)
