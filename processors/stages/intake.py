"""The entry agent: every `complaints.intake` message into dedup, or to the dead letters."""

import logging
from typing import Any

import faust

from processors.reading import Unreadable, read_intake
from processors.sla.clock import Clock
from processors.stages.dedup import ForCitizen
from processors.stages.output import Outputs
from processors.stages.topology import Topology, raw_topic
from schemas import topics
from schemas.events import SubmissionReceived

log = logging.getLogger(__name__)


def register(app: faust.App, topology: Topology, outputs: Outputs, clock: Clock) -> None:
    intake = raw_topic(app, topics.INTAKE)

    @app.agent(intake, name="intake")
    async def read(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            location = f"{message.topic}/{message.partition}@{message.offset}"
            got = read_intake(event.value, location=location, now=clock.now())
            if isinstance(got, Unreadable):
                log.warning("dead-lettering %s: %s", location, got.dead_letter.data.reason)
                await outputs.send_events([(topics.DEADLETTER, got.dead_letter)])
                continue
            if isinstance(got, SubmissionReceived):
                msg = ForCitizen(citizen_key="", submission=got)
            else:
                msg = ForCitizen(citizen_key="", followup=got)
            # Stage A compares every submission with every other: one partition, one key.
            await outputs.send_all(
                [(topology.resolve.get_topic_name(), b"all", msg.model_dump_json().encode())]
            )
