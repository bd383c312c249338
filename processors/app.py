"""The Faust application: stateful stream processors between the intake and the sinks.

`build_app` creates the app and its agents; nothing happens at import time. Agents are
thin loops over the pure functions of the stage modules.
"""

import logging
from datetime import UTC, datetime
from typing import Any

import faust

from processors.open_case import Unreadable, open_case, read_intake
from processors.settings import WorkerSettings
from schemas import topics
from schemas.events import Event

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def build_app(settings: WorkerSettings) -> faust.App:
    app = faust.App(
        settings.worker_app_id,
        broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(",")],
        store="memory://",
        datadir=settings.worker_data_dir,
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=settings.worker_web_port is not None,
        web_port=settings.worker_web_port or 6066,
        web_host="127.0.0.1",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_interval=1.0,
    )
    # Our topics are declared by `sportello topics`; Faust must not create them its own way.
    intake = app.topic(topics.INTAKE, internal=False)
    cases = app.topic(topics.CASES, internal=False)
    deadletter = app.topic(topics.DEADLETTER, internal=False)

    @app.agent(intake, name="open_case")
    async def open_cases(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            location = f"{message.topic}/{message.partition}@{message.offset}"
            read = read_intake(event.value, location=location, now=_now())
            out: Event[Any]
            if isinstance(read, Unreadable):
                log.warning("dead-lettering %s: %s", location, read.dead_letter.data.reason)
                out_topic, out = deadletter, read.dead_letter
            else:
                out_topic, out = cases, open_case(read, now=_now())
            # Wait for the broker's acknowledgement before the offset may be committed:
            # a failed send must not be skipped over.
            fut = await out_topic.send(key=out.subject.encode(), value=out.to_json())
            await fut

    return app
