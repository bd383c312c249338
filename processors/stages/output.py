"""Sending from inside an agent: all of a batch's outputs, then wait for the broker.

Offsets are committed only after the agent returns to the stream for its next batch, so
waiting here means a crash never skips an output: the batch is processed again and its
outputs, with the same event ids, are sent again. Tables are written after this returns
(see `processors.stages.batch`).
"""

import asyncio
from collections.abc import Iterable
from typing import Any

import faust

from processors.stages.topology import raw_topic
from schemas.events import Event

Output = tuple[str, bytes, bytes]
"""(topic, key, value)"""


def event_output(topic: str, event: Event[Any]) -> Output:
    """An event as it is published: keyed by its subject."""
    return (topic, event.subject.encode(), event.to_json())


class Outputs:
    """Topic name → Faust topic, created once, with raw keys and values."""

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self._topics: dict[str, Any] = {}

    def _topic(self, name: str) -> Any:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = raw_topic(self._app, name)
        return topic

    async def send_all(self, items: Iterable[Output]) -> None:
        """Send every (topic, key, value), in order, and return once the broker acknowledged
        them all."""
        pending = [await self._topic(name).send(key=key, value=value) for name, key, value in items]
        if pending:
            await asyncio.gather(*pending)
