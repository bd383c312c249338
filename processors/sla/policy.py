"""SLA policies from configuration: a default, and overrides per body and per category.

    policies = load_policies()                      # the file shipped beside this module
    policy = policies.for_case(category="semafori", body="mobilita")
    policy.resolution.days, policy.resolution.days_kind   # 5, DayKind.CALENDAR

Overrides are merged field by field, category over body over default: an override that
says only `days = 10` keeps the default's kind of days and warnings. The file is parsed with
strict models (unknown keys are errors), and `load_policies(..., body_ids=, category_codes=)`
also checks that every override names a real body or category.
"""

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from processors.sla.calendar import DayKind, WorkingCalendar
from schemas._strict import StrictModel

DEFAULT_POLICIES_FILE = Path(__file__).with_name("policies.toml")

Percent = Annotated[int, Field(ge=1, le=99)]


class DeadlineRule(StrictModel):
    """One deadline: `days` calendar or working days after the clock starts."""

    days: Annotated[int, Field(ge=1, le=3650)]
    days_kind: DayKind = DayKind.CALENDAR
    warn_at_percent: tuple[Percent, ...] = ()
    roll_forward: bool = True

    @field_validator("warn_at_percent")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("warn_at_percent must be strictly increasing")
        return value


class Policy(StrictModel):
    """The SLA of one case, after merging the overrides that apply to it."""

    resolution: DeadlineRule
    acknowledgement: DeadlineRule | None = None
    solved_after_days: Annotated[int, Field(ge=0, le=365)] = 15

    @property
    def contest_period(self) -> timedelta:
        """For `processors.lifecycle.counts_as_solved`."""
        return timedelta(days=self.solved_after_days)


class DeadlineOverride(StrictModel):
    """The fields of a `DeadlineRule` an override changes; the others are inherited."""

    days: Annotated[int, Field(ge=1, le=3650)] | None = None
    days_kind: DayKind | None = None
    warn_at_percent: tuple[Percent, ...] | None = None
    roll_forward: bool | None = None


class PolicyOverride(StrictModel):
    """A `[body.<id>]` or `[category.<code>]` table."""

    resolution: DeadlineOverride | None = None
    acknowledgement: DeadlineOverride | None = None
    solved_after_days: Annotated[int, Field(ge=0, le=365)] | None = None


class CalendarSettings(StrictModel):
    timezone: str = "Europe/Rome"
    city_holidays: tuple[Annotated[str, Field(pattern=r"^\d\d-\d\d$")], ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("city_holidays")
    @classmethod
    def _real_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for month_day in value:
            date(2000, int(month_day[:2]), int(month_day[3:]))  # ValueError if no such day
        return value

    def build(self) -> WorkingCalendar:
        pairs = tuple((int(md[:2]), int(md[3:])) for md in self.city_holidays)
        return WorkingCalendar(timezone=self.timezone, city_holidays=pairs)


class _PolicyFile(StrictModel):
    calendar: CalendarSettings = CalendarSettings()
    default: Policy
    body: dict[str, PolicyOverride] = Field(default_factory=dict)
    category: dict[str, PolicyOverride] = Field(default_factory=dict)


class Policies:
    """The parsed file: `for_case(category, body)` gives the merged `Policy`."""

    def __init__(
        self,
        default: Policy,
        by_body: dict[str, PolicyOverride],
        by_category: dict[str, PolicyOverride],
        calendar: WorkingCalendar,
    ) -> None:
        self.default = default
        self.calendar = calendar
        self._by_body = by_body
        self._by_category = by_category
        self._cache: dict[tuple[str | None, str | None], Policy] = {}
        for layer in (*by_body.values(), *by_category.values()):
            _merge(default, layer)  # every override must make a valid policy on its own

    @property
    def bodies(self) -> frozenset[str]:
        return frozenset(self._by_body)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self._by_category)

    def for_case(self, category: str | None, body: str | None) -> Policy:
        key = (category, body)
        if key not in self._cache:
            policy = self.default
            for layer in (self._by_body.get(body or ""), self._by_category.get(category or "")):
                if layer is not None:
                    policy = _merge(policy, layer)
            self._cache[key] = policy
        return self._cache[key]


def _merge(base: Policy, layer: PolicyOverride) -> Policy:
    """`base` with the fields `layer` sets; a deadline the base lacks must be whole."""
    merged: dict[str, Any] = base.model_dump()
    for key, value in layer.model_dump(exclude_none=True).items():
        if isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    return Policy.model_validate(merged)


def parse_policies(
    text: str,
    *,
    body_ids: frozenset[str] | None = None,
    category_codes: frozenset[str] | None = None,
) -> Policies:
    """Parse a policy file; raises `ValueError` (pydantic's included) on anything wrong."""
    raw = _PolicyFile.model_validate(tomllib.loads(text))
    for name, known, given in (
        ("bodies", body_ids, raw.body),
        ("categories", category_codes, raw.category),
    ):
        unknown = sorted(set(given) - known) if known is not None else []
        if unknown:
            raise ValueError(f"SLA policies name unknown {name}: {', '.join(unknown)}")
    return Policies(raw.default, raw.body, raw.category, raw.calendar.build())


def load_policies(
    path: Path | None = None,
    *,
    body_ids: frozenset[str] | None = None,
    category_codes: frozenset[str] | None = None,
) -> Policies:
    text = (path or DEFAULT_POLICIES_FILE).read_text(encoding="utf-8")
    return parse_policies(text, body_ids=body_ids, category_codes=category_codes)
