"""The worker's internal topics and tables, in one place.

Internal topics are named `sportello.<stage>` and declared with the others by `sportello
topics` (`runtime.topics`); tables get Faust's changelog topics (`<app id>-<table>-changelog`).
"""

from dataclasses import dataclass
from typing import Any

import faust

from runtime.topics import CASE_COMMANDS as COMMANDS
from runtime.topics import DEDUP_CITIZEN as CITIZEN
from runtime.topics import DEDUP_PLACE as PLACE
from runtime.topics import DEDUP_RESOLVE as RESOLVE


def raw_topic(app: faust.App, name: str, *, partitions: int | None = None) -> Any:
    """A topic of our own JSON bytes, which Faust passes through untouched. Every topic is
    declared by `sportello topics`; Faust is not to create any of its own accord."""
    return app.topic(
        name, partitions=partitions, internal=False, key_serializer="raw", value_serializer="raw"
    )


@dataclass(frozen=True)
class Topology:
    resolve: Any
    citizen: Any
    place: Any
    commands: Any
    identities: Any
    citizens: Any
    places: Any
    cases: Any
    deadlines: Any

    @staticmethod
    def command(case_id: str, value: bytes) -> tuple[str, bytes, bytes]:
        return (COMMANDS, case_id.encode(), value)


def build_topology(app: faust.App, partitions: int) -> Topology:

    def table(name: str, n: int) -> Any:
        return app.Table(name, default=None, partitions=n, key_type=str)

    return Topology(
        resolve=raw_topic(app, RESOLVE, partitions=1),
        citizen=raw_topic(app, CITIZEN, partitions=partitions),
        place=raw_topic(app, PLACE, partitions=1),
        commands=raw_topic(app, COMMANDS, partitions=partitions),
        identities=table("dedup-identities", 1),
        citizens=table("dedup-citizens", partitions),
        places=table("dedup-places", 1),
        cases=table("cases", partitions),
        deadlines=table("sla-deadlines", partitions),
    )
