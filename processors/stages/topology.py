"""The worker's internal topics and tables, in one place.

Internal topics are named `<app id>.<stage>`: `sportello.<stage>` for the default app id,
declared with the others by `sportello topics` (`runtime.topics`). Tables get Faust's
changelog topics (`<app id>-<table>-changelog`). So an app with another id (a staging
worker, a test's) has its own internal topics as it has its own tables and consumer group,
and never reads another app's commands: a tick sent by a worker whose clock runs faster
would otherwise make every other app emit its alerts early.
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

    def command(self, case_id: str, value: bytes) -> tuple[str, bytes, bytes]:
        return (self.commands.get_topic_name(), case_id.encode(), value)


def internal_topic_name(app_id: str, declared: str) -> str:
    """The app's own copy of an internal topic declared as `sportello.<stage>`."""
    return app_id + declared.removeprefix("sportello")


def build_topology(app: faust.App, partitions: int) -> Topology:

    def table(name: str, n: int) -> Any:
        return app.Table(name, default=None, partitions=n, key_type=str)

    def own(declared: str, n: int) -> Any:
        return raw_topic(app, internal_topic_name(app.conf.id, declared), partitions=n)

    return Topology(
        resolve=own(RESOLVE, 1),
        citizen=own(CITIZEN, partitions),
        place=own(PLACE, 1),
        commands=own(COMMANDS, partitions),
        identities=table("dedup-identities", 1),
        citizens=table("dedup-citizens", partitions),
        places=table("dedup-places", 1),
        cases=table("cases", partitions),
        deadlines=table("sla-deadlines", partitions),
    )
