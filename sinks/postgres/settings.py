"""Settings of the PostgreSQL sink (`python -m sinks.postgres`)."""

from typing import Annotated

from pydantic import Field

from runtime.settings import CommonSettings


class SinkSettings(CommonSettings):
    sink_group_id: Annotated[str, Field(description="Kafka consumer group")] = (
        "sportello-sink-postgres"
    )
    sink_batch_size: Annotated[int, Field(ge=1)] = 500
    sink_poll_ms: Annotated[int, Field(ge=1)] = 200
