"""The instruments every ingestor shares: its registry, and how its publishing to Kafka went.

    registry = service_registry("web")               # process figures and `…_up` included
    publishing = PublishInstruments(registry, "web")
    publisher = Publisher(bootstrap, client_id="sportello-web", observer=publishing)
    await MetricsServer(registry, host=…, port=…).start()

Names are `sportello_<service>_…`, so that one Prometheus can scrape every service on one
machine without relabelling. Health is told by `sportello_<service>_broker_available` (1 when
the last attempt to reach Kafka succeeded), the publish failures and latencies, and each
service's own backlog.
"""

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def service_registry(service: str) -> CollectorRegistry:
    """A registry of the service's own, with the process's CPU, memory and open files."""
    registry = CollectorRegistry()
    ProcessCollector(namespace=f"sportello_{service}", registry=registry)
    Gauge(f"sportello_{service}_up", "1 while the service runs", registry=registry).set(1)
    return registry


class PublishInstruments:
    """A `runtime.publisher.PublishObserver`: what publishing to Kafka cost and how it ended."""

    def __init__(
        self,
        registry: CollectorRegistry,
        service: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        prefix = f"sportello_{service}"
        self._clock = clock
        self.seconds = Histogram(
            f"{prefix}_publish_seconds",
            "from handing events to Kafka to its acknowledgement or the give-up, by outcome",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.failures = Counter(
            f"{prefix}_publish_failures",
            "publishes Kafka did not acknowledge in time (the sender was told to retry)",
            registry=registry,
        )
        self.available = Gauge(
            f"{prefix}_broker_available",
            "1 if the last attempt to reach Kafka succeeded, 0 if it failed",
            registry=registry,
        )
        self.last_success = Gauge(
            f"{prefix}_last_publish_timestamp_seconds",
            "when Kafka last acknowledged a publish",
            registry=registry,
        )

    def reached(self, ok: bool) -> None:
        self.available.set(1 if ok else 0)

    def published(self, seconds: float, ok: bool) -> None:
        self.seconds.labels("acknowledged" if ok else "failed").observe(seconds)
        self.reached(ok)
        if ok:
            self.last_success.set(self._clock())
        else:
            self.failures.inc()
