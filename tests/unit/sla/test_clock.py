"""The injected clocks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from processors.sla import Clock, ManualClock, SystemClock


def test_system_clock_is_aware() -> None:
    clock: Clock = SystemClock()
    assert clock.now().utcoffset() == timedelta(0)


def test_manual_clock_moves_only_forward_in_exact_elapsed_time() -> None:
    start = datetime(2024, 3, 30, 12, tzinfo=ZoneInfo("Europe/Rome"))  # DST begins tonight
    clock = ManualClock(start)
    assert clock.advance(timedelta(hours=24)) == datetime(2024, 3, 31, 11, tzinfo=UTC)
    assert clock.now().astimezone(ZoneInfo("Europe/Rome")).hour == 13
    clock.set(datetime(2024, 4, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2024, 3, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2024, 1, 1))
