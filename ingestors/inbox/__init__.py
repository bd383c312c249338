"""Shared folder-watching for the paper channels: pick-up, idempotency, moves, dead letters.

A channel supplies a `Planner` (which files make one unit) and a `UnitHandler` (what a unit
is: `Accept`, `Reject` or `Wait`); `InboxWatcher` does the rest, by the same rules for
every inbox. See watcher.py for the order of steps that makes a crash harmless.
"""

from ingestors.inbox.folders import InboxBusy, InboxFolders
from ingestors.inbox.ledger import FailureReport, InflightMarker, Ledger
from ingestors.inbox.names import NameKind, check_reference, classify_name, display_name
from ingestors.inbox.published import KafkaPublishedCheck, PublishedCheck
from ingestors.inbox.settings import InboxSettings
from ingestors.inbox.stability import FileStat, StabilityTracker, settled
from ingestors.inbox.units import (
    Accept,
    Job,
    Outcome,
    Plan,
    Planner,
    Reject,
    Rejection,
    Unit,
    UnitHandler,
    Wait,
)
from ingestors.inbox.watcher import EventPublisher, InboxWatcher, WatcherConfig, WatcherStats

__all__ = [
    "Accept",
    "EventPublisher",
    "FailureReport",
    "FileStat",
    "InboxBusy",
    "InboxFolders",
    "InboxSettings",
    "InboxWatcher",
    "InflightMarker",
    "Job",
    "KafkaPublishedCheck",
    "Ledger",
    "NameKind",
    "Outcome",
    "Plan",
    "Planner",
    "PublishedCheck",
    "Reject",
    "Rejection",
    "StabilityTracker",
    "Unit",
    "UnitHandler",
    "Wait",
    "WatcherConfig",
    "WatcherStats",
    "check_reference",
    "classify_name",
    "display_name",
    "settled",
]
