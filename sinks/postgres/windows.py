"""Windows of time for the metrics: which ones exist, and which are due. Pure.

Windows are aligned in the city's time zone, so that a day is the city's day (from local
midnight, 23 or 25 hours long when the clocks change) and an hour is a local hour. Bounds are
returned in UTC.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.metrics import WindowSize


@dataclass(frozen=True, order=True)
class Window:
    size: WindowSize
    start: datetime
    end: datetime


def window_at(size: WindowSize, at: datetime, tz: ZoneInfo) -> Window:
    """The window of `size` that holds the instant `at` (timezone-aware)."""
    local = at.astimezone(tz)
    match size:
        case WindowSize.MINUTE:
            start = at.astimezone(UTC).replace(second=0, microsecond=0)
            return Window(size, start, start + timedelta(minutes=1))
        case WindowSize.HOUR:
            # Whole-hour offsets (as every European zone has) make local hours UTC hours.
            start = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            return Window(size, start, start + timedelta(hours=1))
        case WindowSize.DAY:
            day = local.date()
            start_local = datetime(day.year, day.month, day.day, tzinfo=tz)
            following = day + timedelta(days=1)
            end_local = datetime(following.year, following.month, following.day, tzinfo=tz)
            return Window(size, start_local.astimezone(UTC), end_local.astimezone(UTC))
    raise AssertionError(size)


def previous(window: Window, tz: ZoneInfo) -> Window:
    return window_at(window.size, window.start - timedelta(microseconds=1), tz)


def closed_windows(
    size: WindowSize,
    now: datetime,
    tz: ZoneInfo,
    *,
    grace: timedelta,
    since: datetime,
    most: int,
) -> list[Window]:
    """The windows that ended by `now - grace` and end after `since`, oldest first, at most
    `most` of them (the newest). `grace` leaves time for the stream to reach the store."""
    horizon = now - grace
    current = window_at(size, horizon, tz)
    found: list[Window] = []
    window = previous(current, tz)
    while window.end > since and len(found) < most:
        found.append(window)
        window = previous(window, tz)
    return found[::-1]


LOOKBACK: dict[WindowSize, timedelta] = {
    WindowSize.MINUTE: timedelta(minutes=10),
    WindowSize.HOUR: timedelta(hours=3),
    WindowSize.DAY: timedelta(days=2),
}
"""How far back windows are recomputed on every round, to publish corrections for facts that
reached the store late; later facts still count in the longer windows and in Prometheus."""
