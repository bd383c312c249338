"""Prometheus instruments of an inbox watcher (the scan folder, the postal OCR folder): units
by outcome and the time each took, the inbox's backlog, and publishing to Kafka.

    registry = service_registry("scans")
    inbox_metrics = InboxInstruments(registry, "scans")
    watcher = InboxWatcher(..., on_unit=inbox_metrics.unit_done)
    inbox_metrics.watch(watcher)

The backlog figures are read from the watcher at each scrape (`InboxWatcher.stats`): files
waiting in the inbox, the age of the oldest, units in flight and waiting to be retried.
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ingestors.inbox.watcher import InboxWatcher
from runtime.instruments import LATENCY_BUCKETS, PublishInstruments

_UNIT_BUCKETS = (*LATENCY_BUCKETS, 120.0, 300.0, 600.0)  # OCR of a long scan takes minutes


class _BacklogCollector(Collector):
    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self.watcher: InboxWatcher | None = None

    def collect(self) -> Iterable[Metric]:
        if self.watcher is None:
            return
        s = self.watcher.stats()
        p = self._prefix
        yield GaugeMetricFamily(
            f"{p}_backlog_files", "files in the inbox not yet processed", value=s.backlog_files
        )
        yield GaugeMetricFamily(
            f"{p}_backlog_units", "documents or letters not yet processed", value=s.backlog_units
        )
        yield GaugeMetricFamily(
            f"{p}_oldest_file_age_seconds",
            "how long the oldest file has been in the inbox",
            value=s.oldest_file_age_s,
        )
        yield GaugeMetricFamily(f"{p}_units_in_flight", "units being read", value=s.in_flight)
        yield GaugeMetricFamily(
            f"{p}_units_retrying", "units waiting to be tried again", value=s.retrying
        )
        done = CounterMetricFamily(
            f"{p}_units_finished", "units finished, by how", labels=["outcome"]
        )
        done.add_metric(["processed"], s.processed_total)
        done.add_metric(["failed"], s.failed_total)
        yield done


class InboxInstruments:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        prefix = f"sportello_{service}"
        self.publishing = PublishInstruments(registry, service)
        self.attempts = Counter(
            f"{prefix}_unit_attempts",
            "attempts at a unit, by how they ended (processed, failed, waiting, later,"
            " broker_unavailable, error)",
            ["outcome"],
            registry=registry,
        )
        self.seconds = Histogram(
            f"{prefix}_unit_seconds",
            "time of one attempt at a unit (reading, OCR, publishing, moving), by outcome",
            ["outcome"],
            buckets=_UNIT_BUCKETS,
            registry=registry,
        )
        self._backlog = _BacklogCollector(prefix)
        registry.register(self._backlog)

    def watch(self, watcher: InboxWatcher) -> None:
        self._backlog.watcher = watcher

    def unit_done(self, outcome: str, seconds: float) -> None:
        self.attempts.labels(outcome).inc()
        self.seconds.labels(outcome).observe(seconds)
