"""Settings of the stream-processing worker (`python -m processors`)."""

from pathlib import Path
from typing import Annotated

from pydantic import AwareDatetime, Field

from runtime.settings import CommonSettings


class WorkerSettings(CommonSettings):
    worker_app_id: Annotated[
        str, Field(description="Faust app id: the consumer group and table-topic prefix")
    ] = "sportello"
    worker_web_port: Annotated[
        int | None, Field(description="Faust's own web server (tables, health); off when unset")
    ] = None
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Annotated[
        int | None, Field(ge=0, description="Prometheus /metrics; off when unset")
    ] = 9465
    worker_data_dir: Annotated[str, Field(description="Faust's local state")] = "var/worker"
    rules_file: Annotated[Path | None, Field(description="routing rules; default: shipped")] = None
    taxonomy_file: Annotated[Path | None, Field(description="categories; default: shipped")] = None
    sla_policies_file: Annotated[
        Path | None, Field(description="SLA policies; default: shipped")
    ] = None
    classifier_dir: Annotated[
        Path | None, Field(description="the classifier model; default: shipped")
    ] = None
    triage_below: Annotated[
        float, Field(ge=0, le=1, description="cases classified less surely go to triage")
    ] = 0.45
    worker_tick_s: Annotated[float, Field(gt=0, description="how often SLA timers look")] = 5.0
    worker_clock_rate: Annotated[
        float, Field(gt=0, description="1 in production; tests run SLA time faster")
    ] = 1.0
    worker_clock_origin: Annotated[
        AwareDatetime | None, Field(description="where a faster clock starts from")
    ] = None
