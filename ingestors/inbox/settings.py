"""Settings every inbox watcher shares (scan folder, postal OCR folder)."""

from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from runtime.settings import CommonSettings, TimeZoneName


class InboxSettings(CommonSettings):
    inbox_stable_s: Annotated[
        float, Field(gt=0, description="a file is complete once unchanged this long")
    ] = 2.0
    inbox_rescan_s: Annotated[
        float, Field(gt=0, description="full rescan period, a safety net under file events")
    ] = 30.0
    inbox_orphan_after_s: Annotated[
        float, Field(gt=0, description="a sidecar or image no unit claims is refused after this")
    ] = 3600.0
    inbox_settle_s: Annotated[
        float, Field(ge=0, description="after a crash, wait this long before asking Kafka")
    ] = 10.0
    inbox_max_file_mb: Annotated[int, Field(ge=1)] = 200
    inbox_max_in_flight: Annotated[
        int | None, Field(ge=1, description="units read at once; default 2 x OCR workers")
    ] = None
    inbox_shutdown_grace_s: Annotated[float, Field(ge=0)] = 10.0
    timezone: Annotated[
        TimeZoneName, Field(description="the city's time zone: processed/<date>/, postmark days")
    ] = "Europe/Rome"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
