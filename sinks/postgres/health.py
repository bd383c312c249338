"""The sink's own health, for Prometheus: what it read, wrote, refused and how far behind it is.

Instruments are registered in the registry given (one per process, served by
`runtime.metrics_http`), so tests build their own and never share global state.
"""

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class SinkInstruments:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "sportello_sink_messages",
            "Kafka messages stored (as events or dead letters), by topic",
            ["topic"],
            registry=registry,
        )
        self.rows = Counter(
            "sportello_sink_rows", "rows staged into PostgreSQL", registry=registry
        )
        self.batches = Counter(
            "sportello_sink_batches", "batches committed to PostgreSQL", registry=registry
        )
        self.dead_letters = Counter(
            "sportello_sink_dead_letters",
            "messages the sink itself could not read or store, by reason",
            ["reason"],
            registry=registry,
        )
        self.database_errors = Counter(
            "sportello_sink_database_errors",
            "failed batch writes (retried), by error",
            ["error"],
            registry=registry,
        )
        self.commit_failures = Counter(
            "sportello_sink_commit_failures",
            "Kafka offset commits that failed after the data was stored (the batch is redelivered)",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "sportello_sink_batch_seconds",
            "time to store one batch, retries included",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.ingest_to_db_seconds = Histogram(
            "sportello_sink_ingest_to_db_seconds",
            "from a message's Kafka timestamp to the commit of its row",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            "sportello_sink_consumer_lag",
            "messages not yet stored, by topic and partition",
            ["topic", "partition"],
            registry=registry,
        )
        self.last_commit = Gauge(
            "sportello_sink_last_commit_timestamp_seconds",
            "when a batch was last stored and committed",
            registry=registry,
        )

    def set_lag(self, lag: Mapping[tuple[str, int], int]) -> None:
        for (topic, partition), value in lag.items():
            self.lag.labels(topic, str(partition)).set(value)
