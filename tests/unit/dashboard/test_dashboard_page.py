"""The dashboard page as pure HTML: every figure of the overview is on it, with its exact
value, labelled in both languages; it needs no script and no inline code; names from outside
are escaped; the live update carries the same <main> as the page."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

from ingestors.web.dashboard import _message, sse_frame
from ingestors.web.dashboard_page import dashboard_page, unavailable_page
from ingestors.web.dashboard_sections import Names, figures_html
from schemas.metrics import WindowSize
from sinks.postgres.overview import Overview, period_totals
from tests.unit.dashboard.pages import EPOCH, assert_shows, expected, figures, shown


def overview() -> Overview:
    days = [
        figures(
            EPOCH + timedelta(days=i),
            received=10 * i + 3,
            received_by_channel={"web": 10 * i, "fax": 3},
            received_by_category={"buche_stradali": 7 * i, "<b>odd</b>": 3, "unsorted": 3 * i},
            received_by_body={"strade": 7 * i, "unsorted": 3 * i + 3},
            resolved=i,
            resolved_within_deadline=i // 2,
            resolved_within_deadline_share=(i // 2) / i if i else None,
            mean_days_to_resolution=1.5 * i if i else None,
            median_days_to_resolution=1.25 * i if i else None,
            sla_warnings=i,
            sla_breaches=i % 3,
            dead_letters=i % 2,
            dead_letters_by_reason={"no_pages": i % 2} if i % 2 else {},
        )
        for i in range(7)
    ]
    at = days[-1].start + timedelta(hours=15, minutes=3, seconds=7)
    now = figures(
        at.replace(second=0),
        window=WindowSize.MINUTE,
        length=timedelta(minutes=1),
        open_backlog=41,
        open_backlog_by_age={"0-7d": 30, "7-15d": 6, "15-30d": 4, "30-60d": 1, "60d+": 0},
        triage_queue=5,
    )
    return Overview(
        at=at,
        timezone="Europe/Rome",
        now=now,
        today=days[-1],
        days=tuple(days),
        week=period_totals(days),
    )


NAMES = Names(
    categories={"buche_stradali": ("Buche stradali", "Potholes")},
    bodies={"strade": ("Strade", "Strade")},
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_the_page_shows_every_figure_with_its_exact_value() -> None:
    ov = overview()
    html = dashboard_page(ov, NAMES)
    got = assert_shows(html, expected(ov.now, ov.days))
    assert got["today.received"] == "63"
    assert got["week.received"] == str(sum(10 * i + 3 for i in range(7)))
    # The week's share is resolved within over resolved, not an average of the days' shares.
    assert float(got["week.resolved_within_deadline_share"]) == 9 / 21
    assert got["today.median_days_to_resolution"] == "7.5"
    assert "week.median_days_to_resolution" not in got


def test_figures_are_written_for_people_too() -> None:
    html = dashboard_page(overview(), NAMES)
    assert '<data value="63" data-figure="today.received">63</data>' in html
    assert (
        '<data value="0.5" data-figure="today.resolved_within_deadline_share">50,0\u00a0%' in html
    )
    assert ">9,0</data>" in html  # mean days today
    assert "Buche stradali" in html and 'lang="en">Potholes' in html
    assert "Non ancora smistate" in html and "Not yet sorted" in html


def test_the_page_is_bilingual_accessible_and_has_no_inline_code() -> None:
    html = dashboard_page(overview(), NAMES)
    found = tags(html)
    assert found[0] == ("html", {"lang": "it"})
    names = [t for t, _ in found]
    for landmark in ("header", "main", "footer", "h1", "table", "caption", "figure"):
        assert landmark in names, landmark
    assert all(a.get("src") for t, a in found if t == "script"), "no inline script"
    assert "style" not in names and not any("style" in a for _, a in found)
    assert not any(k.startswith("on") for _, a in found for k in a), "no event attributes"
    # Every section is named by its heading, every row of a breakdown by its header.
    for tag, attrs in found:
        if tag == "section":
            assert attrs["aria-labelledby"] in {a.get("id") for _, a in found}
    svgs = [a for t, a in found if t == "svg"]
    assert all(a.get("aria-hidden") == "true" or a.get("role") == "img" for a in svgs)
    assert len(re.findall(r'<span lang="it">', html)) == len(re.findall(r'lang="en"', html))


def test_names_from_outside_are_escaped() -> None:
    html = dashboard_page(overview(), NAMES)
    assert "<b>odd</b>" not in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html
    assert shown(html)["today.received_by_category.<b>odd</b>"] == "3"


def test_the_live_update_carries_the_main_of_the_page() -> None:
    ov = overview()
    frame = _message(ov, NAMES).decode()
    event, data = frame.split("\n", 1)
    assert event == "event: figures"
    assert frame.endswith("\n\n")
    payload = json.loads(data.removeprefix("data: ").rstrip("\n"))
    assert payload["updated"] == "08/03/2031 15:03:07"
    assert payload["html"] == figures_html(ov, NAMES)
    assert payload["html"] in dashboard_page(ov, NAMES)


def test_an_event_with_several_lines_keeps_them() -> None:
    assert sse_frame("x", "a\nb") == b"event: x\ndata: a\ndata: b\n\n"


def test_the_page_without_figures_says_why_and_tries_again() -> None:
    html = unavailable_page(timezone="Europe/Rome", reload_s=40)
    assert 'role="status"' in html and "database" in html
    assert '<meta http-equiv="refresh" content="40">' in html
    assert shown(html) == {}
