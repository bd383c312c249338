"""The web intake's settings for the people who run it: the dashboard and the metrics endpoint.

Kept apart from `settings.WebSettings` (which extends this class) so that the intake's own
settings and these can change without touching each other.
"""

from typing import Annotated

from pydantic import Field

from runtime.metrics_http import DEFAULT_PORTS
from runtime.settings import CommonSettings


class OperationsSettings(CommonSettings):
    metrics_timezone: Annotated[
        str,
        Field(description="the city's time zone, where days begin; the sink's setting too"),
    ] = "Europe/Rome"
    dashboard_refresh_s: Annotated[
        float, Field(gt=0, description="how often the dashboard's figures are read again")
    ] = 15.0
    web_metrics_host: str = "127.0.0.1"
    web_metrics_port: Annotated[
        int | None, Field(ge=0, le=65535, description="Prometheus /metrics; off when unset")
    ] = DEFAULT_PORTS["web"]
