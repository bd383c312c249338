"""What the inbox watcher is configured with and talks to."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from schemas.events import Event
from schemas.submission import Channel


class EventPublisher(Protocol):
    """`runtime.publisher.Publisher` has this shape: return only once acknowledged."""

    async def publish(self, topic: str, event: Event[Any], *, key: str | None = None) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WatcherConfig:
    channel: Channel
    stage: str
    """Who gives up on refused files, in dead letters: e.g. `ingestors.scans`."""
    source: str
    """The events' source: e.g. `/ingestors/scans`."""
    stable_s: float = 2.0
    rescan_s: float = 30.0
    orphan_after_s: float = 3600.0
    max_in_flight: int = 4
    settle_s: float = 10.0
    max_attempts: int = 3
    """Failures of a unit (not of the broker) before it is refused as `internal_error`."""
    retry_initial_s: float = 2.0
    retry_max_s: float = 120.0
    max_file_bytes: int = 200 * 1024 * 1024
    shutdown_grace_s: float = 10.0
    watch_events: bool = True
