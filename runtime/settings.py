"""Settings shared by every deployable: where Kafka, PostgreSQL and Sportello's files are.

Each deployable has one settings class that extends `CommonSettings` with its own fields,
read once at start-up from `SPORTELLO_*` environment variables (keyword arguments override
them, which is how tests give their own) and passed down as plain values: no component
reads the environment itself.
"""

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, refused at start-up when the machine does not know it."""


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPORTELLO_", extra="ignore", frozen=True)

    kafka_bootstrap: Annotated[
        str, Field(description="Kafka bootstrap servers, comma-separated")
    ] = "127.0.0.1:9092"
    pg_dsn: Annotated[SecretStr, Field(description="PostgreSQL connection URL")] = SecretStr(
        "postgresql://sportello:sportello@127.0.0.1:5432/sportello"
    )
    var_dir: Annotated[Path, Field(description="blob store, inboxes and local state")] = Path("var")
    bodies_file: Annotated[
        Path | None, Field(description="the departments and companies; default: shipped list")
    ] = None
    topic_partitions: Annotated[int, Field(ge=1, description="partitions of each topic")] = 6
    topic_replication: Annotated[int, Field(ge=1, description="replication factor")] = 1
    log_level: str = "INFO"

    @property
    def blob_dir(self) -> Path:
        return self.var_dir / "blobs"
