"""Calendar arithmetic: holidays, Easter Monday, Sant'Ambrogio, weekends, DST, late receipts."""

import csv
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.sla import MILAN, DayKind, WorkingCalendar, easter_sunday
from processors.sla.calendar import italian_national_holidays

ROME = ZoneInfo("Europe/Rome")
WORKING, CALENDAR = DayKind.WORKING, DayKind.CALENDAR


def rome(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ROME)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1961, date(1961, 4, 2)),
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2011, date(2011, 4, 24)),
        (2019, date(2019, 4, 21)),
        (2023, date(2023, 4, 9)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_and_easter_monday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter
    monday = easter + timedelta(days=1)
    assert monday.weekday() == 0
    assert monday in italian_national_holidays(year)
    assert not MILAN.is_working_day(monday)


def test_the_national_list() -> None:
    fixed = {(d.month, d.day) for d in italian_national_holidays(2025)} - {(4, 20), (4, 21)}
    assert fixed == {
        (1, 1),
        (1, 6),
        (4, 25),
        (5, 1),
        (6, 2),
        (8, 15),
        (11, 1),
        (12, 8),
        (12, 25),
        (12, 26),
    }
    assert date(2026, 10, 4) in italian_national_holidays(2026)  # law 151/2025
    assert date(2025, 10, 4) not in italian_national_holidays(2025)


def test_easter_monday_stops_a_working_day_term() -> None:
    # Thursday 17 April 2025: Friday counts, Easter weekend and Easter Monday do not.
    assert MILAN.deadline(rome(2025, 4, 17, 10), 2, WORKING) == utc(2025, 4, 22, 22)
    # 2024: Easter Monday on 1 April.
    assert MILAN.deadline(rome(2024, 3, 28, 10), 2, WORKING) == utc(2024, 4, 2, 22)


def test_sant_ambrogio_is_a_holiday_in_milan_only() -> None:
    received = rome(2023, 12, 6, 21)  # Wednesday; 7 Thu (Sant'Ambrogio), 8 Fri (Immacolata)
    assert MILAN.deadline(received, 2, WORKING) == utc(2023, 12, 12, 23)
    elsewhere = WorkingCalendar(city_holidays=())
    assert elsewhere.deadline(received, 2, WORKING) == utc(2023, 12, 11, 23)


def test_weekends_do_not_count() -> None:
    friday = rome(2024, 3, 8, 10)
    assert MILAN.deadline(friday, 1, WORKING) == utc(2024, 3, 11, 23)  # end of Monday
    assert MILAN.deadline(friday, 5, WORKING) == utc(2024, 3, 15, 23)  # end of next Friday


def test_receipt_day_does_not_count_and_late_evening_is_the_local_day() -> None:
    late = rome(2024, 3, 10, 23, 30)  # 22:30Z, Sunday 10 March
    after_midnight = rome(2024, 3, 11, 0, 30)  # 23:30Z on 10 March, but Monday 11 in Milan
    assert after_midnight.astimezone(UTC).date() == date(2024, 3, 10)
    assert MILAN.deadline(late, 30, CALENDAR) == utc(2024, 4, 9, 22)  # end of 9 April
    assert MILAN.deadline(after_midnight, 30, CALENDAR) == utc(2024, 4, 10, 22)
    summer = utc(2024, 7, 31, 22, 30)  # 00:30 on 1 August in Milan
    assert MILAN.local_date(summer) == date(2024, 8, 1)
    assert MILAN.deadline(summer, 1, WORKING) == utc(2024, 8, 2, 22)


def test_deadlines_are_local_midnight_across_dst_changes() -> None:
    # Received in winter time, due in summer time (DST began 31 March 2024).
    deadline = MILAN.deadline(rome(2024, 3, 10, 12), 30, CALENDAR)
    assert deadline == utc(2024, 4, 9, 22)
    assert deadline.astimezone(ROME).time() == time(0)
    # Received in summer time, due in winter time (DST ended 27 October 2024).
    deadline = MILAN.deadline(rome(2024, 10, 20, 12), 30, CALENDAR)
    assert deadline == utc(2024, 11, 19, 23)
    assert deadline.astimezone(ROME).time() == time(0)
    # The day DST begins is 23 hours long; the deadline still ends at midnight.
    # (31 March 2024 is also Easter Sunday, so a rolled term runs to Tuesday 2 April.)
    assert MILAN.deadline(rome(2024, 3, 30, 12), 1, CALENDAR, roll_forward=False) == utc(
        2024, 3, 31, 22
    )


def test_a_calendar_term_ending_on_a_holiday_runs_to_the_next_working_day() -> None:
    received = rome(2024, 11, 25, 9)  # +30 days = Wednesday 25 December
    assert MILAN.deadline(received, 30, CALENDAR) == utc(2024, 12, 27, 23)
    assert MILAN.deadline(received, 30, CALENDAR, roll_forward=False) == utc(2024, 12, 25, 23)
    sunday = rome(2024, 3, 1, 9)  # +30 days = Sunday 31 March (Easter), then Easter Monday
    assert MILAN.deadline(sunday, 30, CALENDAR) == utc(2024, 4, 2, 22)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MILAN.deadline(datetime(2024, 1, 1), 1, WORKING)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
    st.integers(0, 60),
    st.sampled_from(DayKind),
)
def test_deadlines_agree_with_counting_day_by_day(
    start: datetime, days: int, kind: DayKind
) -> None:
    deadline = MILAN.deadline(start, days, kind)
    local = deadline.astimezone(ROME)
    assert local.time() == time(0)
    last = local.date() - timedelta(days=1)
    first = start.astimezone(ROME).date()
    between = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    if kind is WORKING:
        assert sum(MILAN.is_working_day(d) for d in between) == days
        assert days == 0 or MILAN.is_working_day(last)
    else:
        assert last >= first + timedelta(days=days)
        assert MILAN.is_working_day(last)
        assert not any(
            MILAN.is_working_day(d)
            for d in between
            if d >= first + timedelta(days=days) and d != last
        )


def test_a_real_city_office_never_closed_a_case_on_a_day_we_call_a_holiday(
    shared_data: Path,
) -> None:
    """Alessandria's 4,651 reports (2023-2026): the office closed cases on working days only.
    Our calendar (its patron, San Baudolino, is 10 November) must agree."""
    path = shared_data / "labeled" / "alessandria" / "segnalazioni-municipium.csv"
    with path.open(encoding="utf-8") as f:
        closed = [
            date.fromisoformat(r["Chiusa"]) for r in csv.DictReader(f, delimiter=";") if r["Chiusa"]
        ]
    alessandria = WorkingCalendar(city_holidays=((11, 10),))
    span = range((max(closed) - min(closed)).days + 1)
    holidays_in_span = [
        d
        for d in (min(closed) + timedelta(days=i) for i in span)
        if d.weekday() < 5 and d in alessandria.holidays(d.year)
    ]
    kinds = Counter(
        "holiday"
        if d in alessandria.holidays(d.year)
        else "working"
        if alessandria.is_working_day(d)
        else "weekend"
        for d in closed
    )
    assert len(closed) > 2500
    assert len(holidays_in_span) >= 20  # Easter Mondays, 25 April, 2 June ... on weekdays
    assert kinds["holiday"] == 0
    assert kinds["working"] / len(closed) > 0.99
