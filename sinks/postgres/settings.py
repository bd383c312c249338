"""Settings of the PostgreSQL sink (`python -m sinks.postgres`), its metrics and retention."""

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from runtime.settings import CommonSettings, TimeZoneName


class SinkSettings(CommonSettings):
    sink_group_id: Annotated[str, Field(description="Kafka consumer group")] = (
        "sportello-sink-postgres"
    )
    sink_batch_size: Annotated[int, Field(ge=1)] = 1000
    sink_poll_ms: Annotated[int, Field(ge=1)] = 200
    sink_decode_processes: Annotated[
        int,
        Field(
            ge=0,
            description="processes that decode batches beside the one that writes them"
            " (0: a thread); each uses a core while PostgreSQL and the writer use others",
        ),
    ] = 1
    sink_topic_prefix: Annotated[
        str,
        Field(description="read `<prefix>complaints.…` instead: a copy of the topics (tests)"),
    ] = ""
    sink_metrics_host: str = "127.0.0.1"
    sink_metrics_port: Annotated[
        int | None, Field(ge=0, description="Prometheus /metrics; off when unset")
    ] = 9464
    metrics_timezone: Annotated[
        TimeZoneName, Field(description="the city's time zone, where days begin for the metrics")
    ] = "Europe/Rome"
    metrics_interval_s: Annotated[
        float, Field(gt=0, description="how often the figures are computed and published")
    ] = 15.0
    metrics_grace_s: Annotated[
        float, Field(ge=0, description="how long after a window ends it is first published")
    ] = 30.0
    metrics_backfill_hours: Annotated[
        float, Field(gt=0, description="how far back missing windows are published at start")
    ] = 24.0
    personal_data_retention_days: Annotated[
        int | None,
        Field(
            ge=1,
            description="personal data of cases closed or rejected longer ago is erased;"
            " kept for ever when unset",
        ),
    ] = 1826
    retention_interval_s: Annotated[
        float, Field(gt=0, description="how often the sink applies the retention policy")
    ] = 86_400.0

    @property
    def retention(self) -> timedelta | None:
        days = self.personal_data_retention_days
        return timedelta(days=days) if days is not None else None
