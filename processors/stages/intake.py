"""The entry agent: every `complaints.intake` message into dedup, or to the dead letters."""

import logging
from typing import Any

import faust

from processors.reading import Unreadable, read_intake
from processors.sla.clock import Clock
from processors.stages.batch import Stateless, location_of, run_batches
from processors.stages.dedup import ForCitizen
from processors.stages.output import Output, Outputs, event_output
from processors.stages.topology import Topology, raw_topic
from schemas import topics
from schemas.events import SubmissionReceived

log = logging.getLogger(__name__)


def register(app: faust.App, topology: Topology, outputs: Outputs, clock: Clock) -> None:
    intake = raw_topic(app, topics.INTAKE)
    resolve = topology.resolve.get_topic_name()

    def onward(event: Any) -> list[Output]:
        location = location_of(event)
        got = read_intake(event.value, location=location, now=clock.now())
        if isinstance(got, Unreadable):
            log.warning("dead-lettering %s: %s", location, got.dead_letter.data.reason)
            return [event_output(topics.DEADLETTER, got.dead_letter)]
        if isinstance(got, SubmissionReceived):
            msg = ForCitizen(citizen_key="", submission=got)
        else:
            msg = ForCitizen(citizen_key="", followup=got)
        # Stage A compares every submission with every other: one partition, one key.
        return [(resolve, b"all", msg.model_dump_json().encode())]

    @app.agent(intake, name="intake")
    async def read(stream: Any) -> None:
        await run_batches(
            stream, lambda _batch: Stateless(onward), outputs, stage="intake", now=clock.now
        )
