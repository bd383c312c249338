"""Time, injected: the `Clock` port, the real clock and a clock tests move by hand.

Logic takes `now` as an argument; only adapters (a Faust timer, an HTTP handler) hold a
`Clock` and ask it once per message or tick, so a test can drive hours of SLA time in
microseconds and get the same answer every run.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator, AwareDatetime


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move; for tests and replays.

    Time never goes backwards: `advance` takes a non-negative step, `set` a time no earlier
    than the current one, so code under test may rely on monotonic time as it does in
    production.
    """

    def __init__(self, start: datetime) -> None:
        _require_aware(start)
        # Kept in UTC: adding a timedelta to a zone-aware time is wall-clock arithmetic and
        # would be an hour off across a change of daylight saving time.
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, step: timedelta) -> datetime:
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._now += step
        return self._now

    def set(self, when: datetime) -> datetime:
        _require_aware(when)
        if when < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = when.astimezone(UTC)
        return self._now


def _require_aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("times must be timezone-aware")


def as_utc(when: datetime) -> datetime:
    """`when` in UTC; raises on a naive time. Arithmetic on SLA times is done in UTC only."""
    _require_aware(when)
    return when.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(as_utc)]
"""A timezone-aware datetime that a model stores in UTC, so adding durations to it is exact
across daylight-saving changes (Python adds to zone-aware times in wall-clock time)."""


class ScaledClock:
    """Real time, run `rate` times faster from `origin` on: the worker's clock in tests that
    watch a 30-day SLA play out in seconds (`SPORTELLO_WORKER_CLOCK_RATE`). At rate 1 it is
    the system clock."""

    def __init__(self, rate: float, origin: datetime) -> None:
        _require_aware(origin)
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self._rate = rate
        self._origin = origin.astimezone(UTC)

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return self._origin + (real - self._origin) * self._rate
