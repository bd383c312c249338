"""Windows tile time: minutes and hours in UTC, days from the city's midnight."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from schemas.metrics import WindowSize
from sinks.postgres.windows import closed_windows, previous, window_at

ROME = ZoneInfo("Europe/Rome")
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.sampled_from(list(WindowSize)))
def test_a_window_holds_its_instant_and_follows_the_one_before(
    at: datetime, size: WindowSize
) -> None:
    w = window_at(size, at, ROME)
    assert w.start <= at < w.end
    assert previous(w, ROME).end == w.start
    assert window_at(size, w.start, ROME) == w


def test_days_begin_at_midnight_in_rome_and_change_length_with_the_clocks() -> None:
    spring = window_at(WindowSize.DAY, datetime(2024, 3, 31, 12, tzinfo=UTC), ROME)
    autumn = window_at(WindowSize.DAY, datetime(2024, 10, 27, 12, tzinfo=UTC), ROME)
    assert spring.start == datetime(2024, 3, 30, 23, tzinfo=UTC)
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)
    late = window_at(WindowSize.DAY, datetime(2024, 7, 1, 22, 30, tzinfo=UTC), ROME)
    assert late.start == datetime(2024, 7, 1, 22, tzinfo=UTC)  # already 2 July in Rome


@given(
    instants,
    st.sampled_from(list(WindowSize)),
    st.integers(0, 3600),
    st.integers(1, 40),
    st.integers(0, 3 * 86_400),
)
def test_closed_windows_are_the_latest_that_ended_in_time(
    now: datetime, size: WindowSize, grace_s: int, most: int, back_s: int
) -> None:
    grace = timedelta(seconds=grace_s)
    since = now - timedelta(seconds=back_s)
    found = closed_windows(size, now, ROME, grace=grace, since=since, most=most)
    assert len(found) <= most
    for earlier, later in itertools.pairwise(found):
        assert earlier.end == later.start
    for w in found:
        assert since < w.end <= now - grace
    if found:
        following = window_at(size, found[-1].end, ROME)
        assert following.end > now - grace, "the newest closed window is included"
