"""Units of work in an inbox, and the outcome a channel's handler gives each one.

A *unit* is what becomes one submission: a main file (whose SHA-256 is the submission's
idempotency reference) and the companion files that travel with it (a sidecar, a
manifest, other OCR outputs of the same letter). A channel's `Planner` groups the files it
sees into units, with no I/O; its `UnitHandler` reads one unit and says what it is:
`Accept` (a submission), `Reject` (a dead letter, with a stable reason) or `Wait` (a
companion is still missing). The watcher acts on that outcome and on nothing else.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from schemas.blob import BlobRef
from schemas.submission import Submission


@dataclass(frozen=True)
class Rejection:
    reason: str
    """A stable code, e.g. `unsafe_name`, `invalid_sidecar`, `no_text`."""
    detail: str


@dataclass(frozen=True)
class Unit:
    key: str
    """Unique among the units of one inbox; the main file's name by default."""
    main: str
    companions: tuple[str, ...] = ()
    rejection: Rejection | None = None
    """Set when the planner already knows, by name, that the unit must be refused."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.main, *self.companions)


@dataclass(frozen=True)
class Plan:
    units: tuple[Unit, ...]
    unclaimed: tuple[str, ...] = ()
    """Files no unit claims yet (a sidecar before its scan): refused if it stays so."""


class Planner(Protocol):
    def plan(self, names: Collection[str]) -> Plan:
        """Group safe, visible file names into units. Pure: no file is opened."""
        ...


@dataclass(frozen=True)
class Job:
    """One unit, ready to be read."""

    unit: Unit
    inbox: Path
    content: bytes
    """The main file's bytes."""
    sha256: str
    received_at: datetime
    """When the file was complete in the inbox (its mtime), so a re-read gives the same."""
    waited_s: float = 0.0
    """How long this unit has been waiting for a companion, 0 the first time."""

    def path(self, name: str) -> Path:
        return self.inbox / name


@dataclass(frozen=True)
class Accept:
    submission: Submission
    members: tuple[str, ...]
    """Every file to move to processed/ with it (the main file first)."""


@dataclass(frozen=True)
class Reject:
    reason: str
    detail: str
    members: tuple[str, ...]
    raw: BlobRef | None = None
    """The main file in the blob store, if the handler already stored it."""


@dataclass(frozen=True)
class Wait:
    reason: str
    retry_in_s: float


Outcome = Accept | Reject | Wait


class UnitHandler(Protocol):
    async def handle(self, job: Job) -> Outcome:
        """Read the unit. Bad input is a `Reject`, never an exception; an exception means
        "try again later" (the watcher gives up after a few attempts)."""
        ...


@dataclass
class Backoff:
    """Exponential back-off per unit, for retriable failures (broker down, OCR broken)."""

    initial_s: float = 2.0
    maximum_s: float = 120.0
    _attempts: dict[str, int] = field(default_factory=dict)

    def next_delay(self, key: str) -> float:
        attempts = self._attempts.get(key, 0)
        self._attempts[key] = attempts + 1
        return min(self.maximum_s, self.initial_s * 2.0**attempts)

    def attempts(self, key: str) -> int:
        return self._attempts.get(key, 0)

    def reset(self, key: str) -> None:
        self._attempts.pop(key, None)

    def keep_only(self, keys: set[str]) -> None:
        for key in [k for k in self._attempts if k not in keys]:
            del self._attempts[key]
