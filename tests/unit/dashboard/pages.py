"""Reading the dashboard's figures back from its HTML, and what they should be, worked out
here from `Figures` by plain sums (not by `sinks.postgres.overview.period_totals`)."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from schemas.metrics import BACKLOG_AGES, Figures, WindowSize

SCALARS = (
    "received",
    "resolved",
    "resolved_within_deadline",
    "resolved_within_deadline_share",
    "mean_days_to_resolution",
    "sla_warnings",
    "sla_breaches",
    "dead_letters",
)
BREAKDOWNS = (
    "received_by_channel",
    "received_by_body",
    "received_by_category",
    "dead_letters_by_reason",
)


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("data-figure")
        if name is None:
            return
        value = a.get("value") if tag == "data" else a.get("data-value")
        self.found.setdefault(name, []).append(value or "")


def shown(html: str) -> dict[str, str]:
    """Every figure on a page, by name; a figure shown twice must show one value."""
    parser = _Figures()
    parser.feed(html)
    out = {}
    for name, values in parser.found.items():
        assert len(set(values)) == 1, f"{name} shows {values}"
        out[name] = values[0]
    return out


def as_number(text: str) -> float | None:
    return None if text == "" else float(text)


def _add(
    into: dict[str, Any], prefix: str, f: Figures | dict[str, Any], names: Sequence[str]
) -> None:
    for n in names:
        into[f"{prefix}.{n}"] = f[n] if isinstance(f, dict) else getattr(f, n)


def expected(now: Figures, days: Sequence[Figures]) -> dict[str, Any]:
    """What the page must show, from the minute's figures and the days' (oldest first)."""
    today = days[-1]
    out: dict[str, Any] = {}
    _add(out, "today", today, (*SCALARS, "median_days_to_resolution"))
    resolved = sum(d.resolved for d in days)
    within = sum(d.resolved_within_deadline for d in days)
    weighted = sum((d.mean_days_to_resolution or 0) * d.resolved for d in days)
    week = {
        n: sum(getattr(d, n) for d in days)
        for n in SCALARS
        if n
        in (
            "received",
            "resolved",
            "resolved_within_deadline",
            "sla_warnings",
            "sla_breaches",
            "dead_letters",
        )
    }
    week["resolved_within_deadline_share"] = within / resolved if resolved else None
    week["mean_days_to_resolution"] = weighted / resolved if resolved else None
    _add(out, "week", week, SCALARS)
    for b in BREAKDOWNS:
        totals: dict[str, int] = {}
        for d in days:
            for k, v in getattr(d, b).items():
                totals[k] = totals.get(k, 0) + v
        for k in set(totals) | set(getattr(today, b)):
            out[f"today.{b}.{k}"] = getattr(today, b).get(k, 0)
            out[f"week.{b}.{k}"] = totals.get(k, 0)
    out["now.open_backlog"] = now.open_backlog
    out["now.triage_queue"] = now.triage_queue
    for age in BACKLOG_AGES:
        out[f"now.open_backlog_by_age.{age}"] = now.open_backlog_by_age[age]
    for i, d in enumerate(days):
        out[f"days.{i}.received"] = d.received
    return out


def assert_figures(got: dict[str, str], want: dict[str, Any]) -> None:
    """`got` (figures read off a page) are exactly `want`, each equal (floats to 1e-9)."""
    assert set(got) == set(want), (sorted(set(got) - set(want)), sorted(set(want) - set(got)))
    for name, value in want.items():
        number = as_number(got[name])
        if value is None:
            assert number is None, name
        else:
            assert number is not None, name
            assert abs(number - value) <= 1e-9 * max(1.0, abs(value)), (name, number, value)


def assert_shows(html: str, want: dict[str, Any]) -> dict[str, str]:
    """The page shows exactly the figures `want`."""
    got = shown(html)
    assert_figures(got, want)
    return got


def figures(
    start: datetime,
    *,
    window: WindowSize = WindowSize.DAY,
    length: timedelta = timedelta(days=1),
    **values: Any,
) -> Figures:
    """Figures of a window with the given values and zeros elsewhere (unit tests)."""
    base: dict[str, Any] = {
        "window": window,
        "start": start,
        "end": start + length,
        "timezone": "Europe/Rome",
        "received": 0,
        "received_by_channel": {},
        "received_by_category": {},
        "received_by_body": {},
        "routed": 0,
        "routed_by_body": {},
        "resolved": 0,
        "resolved_by_body": {},
        "resolved_within_deadline": 0,
        "resolved_within_deadline_share": None,
        "mean_days_to_resolution": None,
        "median_days_to_resolution": None,
        "open_backlog": 0,
        "open_backlog_by_age": {a: 0 for a in BACKLOG_AGES},
        "triage_queue": 0,
        "sla_warnings": 0,
        "sla_breaches": 0,
        "dead_letters": 0,
        "dead_letters_by_reason": {},
    }
    return Figures.model_validate(base | values)


EPOCH = datetime(2031, 3, 1, 23, 0, tzinfo=UTC)  # midnight in Rome
