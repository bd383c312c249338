"""Calendar arithmetic for SLA deadlines: Italian public holidays, a city's own, weekends.

Conventions (the ones Italian law uses to count a term, art. 2963 of the Civil Code and
art. 155 of the Code of Civil Procedure):

- Days are local days in the city's time zone (Europe/Rome), whatever the UTC date of the
  receipt: a letter received at 00:30 on 11 March is received on 11 March, though it is
  still 10 March in UTC.
- The day of receipt does not count ("dies a quo non computatur"): N days after a receipt on
  day D run out at the end of day D+N (calendar days) or of the N-th working day after D.
- A deadline is the end of its last day, expressed as the first instant of the next day,
  local midnight, returned in UTC. Something done at 23:59:59 of the last day is in time;
  at midnight it is late. So "breached" means `now >= deadline`.
- A term in calendar days whose last day is not a working day moves to the end of the next
  working day (`roll_forward`, on by default, as art. 2963 c.4 c.c. says).
- Working days are Monday to Friday that are not a national holiday or a city holiday.

National holidays (law 260/1949 and later): 1 and 6 January, Easter Monday (computed), 25
April, 1 May, 2 June, 15 August, 4 October (from 2026, law 151/2025), 1 November, 8 December,
25 and 26 December; Easter Sunday always falls on a Sunday. City holidays (the patron saint:
7 December in Milan) come from the policy file.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo


class DayKind(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


# (month, day, first year it applies)
_NATIONAL_FIXED: tuple[tuple[int, int, int], ...] = (
    (1, 1, 1949),  # Capodanno
    (1, 6, 1949),  # Epifania (suppressed 1978-1985; not modelled)
    (4, 25, 1949),  # Festa della Liberazione
    (5, 1, 1949),  # Festa del Lavoro
    (6, 2, 1949),  # Festa della Repubblica
    (8, 15, 1949),  # Ferragosto
    (10, 4, 2026),  # San Francesco d'Assisi, law 151/2025
    (11, 1, 1949),  # Ognissanti
    (12, 8, 1949),  # Immacolata Concezione
    (12, 25, 1949),  # Natale
    (12, 26, 1949),  # Santo Stefano
)


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def italian_national_holidays(year: int) -> frozenset[date]:
    """Every national public holiday of `year`, Easter Sunday and Monday included."""
    easter = easter_sunday(year)
    fixed = {date(year, m, d) for m, d, since in _NATIONAL_FIXED if year >= since}
    return frozenset(fixed | {easter, easter + timedelta(days=1)})


@cache
def _holidays(year: int, city: tuple[tuple[int, int], ...]) -> frozenset[date]:
    return italian_national_holidays(year) | {date(year, m, d) for m, d in city}


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class WorkingCalendar:
    """A city's calendar. `city_holidays` are (month, day) pairs, e.g. ((12, 7),) for Milan."""

    timezone: str = "Europe/Rome"
    city_holidays: tuple[tuple[int, int], ...] = ((12, 7),)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def holidays(self, year: int) -> frozenset[date]:
        return _holidays(year, self.city_holidays)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays(day.year)

    def local_date(self, at: datetime) -> date:
        """The city's calendar day at instant `at` (which must be timezone-aware)."""
        if at.utcoffset() is None:
            raise ValueError("times must be timezone-aware")
        return at.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        """The end of local `day`: the first instant of the next day, in UTC."""
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return midnight.astimezone(UTC)

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def last_day(
        self, start: datetime, days: int, kind: DayKind, *, roll_forward: bool = True
    ) -> date:
        """The last local day of a term of `days` days counted from the receipt `start`."""
        if days < 0:
            raise ValueError("a term has zero or more days")
        day = self.local_date(start)
        if kind is DayKind.CALENDAR:
            day += timedelta(days=days)
            return self.next_working_day(day) if roll_forward else day
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def deadline(
        self, start: datetime, days: int, kind: DayKind, *, roll_forward: bool = True
    ) -> datetime:
        """The deadline (UTC) of a term of `days` calendar or working days from `start`.

        E.g. a web complaint received Wednesday 6 December 2023 at 21:00 in Milan has 2
        working days to be acknowledged: 7 (Sant'Ambrogio) and 8 (Immacolata) December are
        holidays, 9-10 a weekend, so the term runs on 11 and 12 December and ends at
        midnight between 12 and 13 December, 2023-12-12T23:00Z.
        """
        return self.end_of_day(self.last_day(start, days, kind, roll_forward=roll_forward))


MILAN = WorkingCalendar()
"""Milan: Europe/Rome, national holidays and Sant'Ambrogio (7 December)."""
