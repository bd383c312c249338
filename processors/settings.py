"""Settings of the stream-processing worker (`python -m processors`)."""

from typing import Annotated

from pydantic import Field

from runtime.settings import CommonSettings


class WorkerSettings(CommonSettings):
    worker_app_id: Annotated[
        str, Field(description="Faust app id: the consumer group and table-topic prefix")
    ] = "sportello"
    worker_web_port: Annotated[
        int | None, Field(description="Faust's own web server (tables, health); off when unset")
    ] = None
    worker_data_dir: Annotated[str, Field(description="Faust's local state")] = "var/worker"
