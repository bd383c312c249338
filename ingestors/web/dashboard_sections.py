"""The dashboard's figures as HTML sections: `figures_html(overview, names)`, a pure function.

It is the page's `<main>` both when the page is loaded (`dashboard_page`) and when the server
sends an update over Server-Sent Events, so the live page and the loaded page cannot differ.

Each figure is named in `data-figure` as `<period>.<figure>[.<key>]`: `today` (the city's
day so far), `week` (the last seven days, today included), `now` (the stocks at this minute)
and `days.<i>` (one of the seven days, oldest first). Labels are Italian and English.
Accessibility: landmarks and headings, tables with captions and row headers for every
breakdown, charts hidden from assistive technology where a table says the same, and the
column chart as an image with a text alternative.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from zoneinfo import ZoneInfo

from ingestors.web.dashboard_charts import Column, Label, bar, column_chart, figure, label, plain
from schemas.metrics import BACKLOG_AGES
from sinks.postgres.overview import Overview

CHANNELS: dict[str, Label] = {
    "web": ("Web", "Web"),
    "app": ("App", "App"),
    "contact_centre": ("Contact center", "Contact centre"),
    "email": ("E-mail", "Email"),
    "fax": ("Fax", "Fax"),
    "scan": ("Sportello (moduli scansionati)", "Front desk (scanned forms)"),
    "postal": ("Posta", "Post"),
}
UNSORTED: Label = ("Non ancora smistate", "Not yet sorted")
AGES: dict[str, Label] = {
    "0-7d": ("meno di 7 giorni", "under 7 days"),
    "7-15d": ("da 7 a 15 giorni", "7 to 15 days"),
    "15-30d": ("da 15 a 30 giorni", "15 to 30 days"),
    "30-60d": ("da 30 a 60 giorni", "30 to 60 days"),
    "60d+": ("oltre 60 giorni", "over 60 days"),
}
WEEKDAYS = (
    ("lun", "Mon"),
    ("mar", "Tue"),
    ("mer", "Wed"),
    ("gio", "Thu"),
    ("ven", "Fri"),
    ("sab", "Sat"),
    ("dom", "Sun"),
)
NameFn = Callable[[str], Label]
_LONG = 12
"""Rows a breakdown shows before it scrolls."""
TODAY: Label = ("Oggi", "Today")
WEEK: Label = ("Ultimi 7 giorni", "Last 7 days")


def _readable(code: str) -> Label:
    text = code.replace("_", " ")
    return text, text


@dataclass(frozen=True)
class Names:
    """How categories and bodies are called; unknown keys are shown as they are."""

    categories: Mapping[str, Label] = field(default_factory=dict)
    bodies: Mapping[str, Label] = field(default_factory=dict)

    def channel(self, key: str) -> Label:
        return CHANNELS.get(key, (key, key))

    def category(self, key: str) -> Label:
        return UNSORTED if key == "unsorted" else self.categories.get(key, _readable(key))

    def body(self, key: str) -> Label:
        return UNSORTED if key == "unsorted" else self.bodies.get(key, _readable(key))


def _card(name: str, text: Label, value: int | float | None, kind: str = "count") -> str:
    shown = figure(name, value, kind=kind)
    return f'<div class="card"><dt>{label(text)}</dt><dd>{shown}</dd></div>'


def _section(ident: str, title: Label, body: str, note: Label | None = None) -> str:
    extra = f'<p class="note">{label(note)}</p>' if note else ""
    return (
        f'<section aria-labelledby="{ident}"><h2 id="{ident}">{label(title)}</h2>'
        f"{body}{extra}</section>"
    )


@dataclass(frozen=True)
class _Period:
    prefix: str
    """e.g. `today.received_by_channel`"""
    title: Label
    counts: Mapping[str, int]
    total: str
    """e.g. `today.received`"""
    total_value: int


def _breakdown(ident: str, caption: Label, periods: list[_Period], name_of: NameFn) -> str:
    """A table of counts by key, one column per period, each with its bar, and the totals."""
    keys = sorted(
        {k for p in periods for k in p.counts},
        key=lambda k: (-max(p.counts.get(k, 0) for p in periods), k),
    )
    heads = "".join(f'<th scope="col">{label(p.title)}</th>' for p in periods)
    most = [max(p.counts.values(), default=0) for p in periods]
    rows = []
    for k in keys:
        cells = "".join(
            f"<td>{figure(f'{p.prefix}.{k}', p.counts.get(k, 0))}{bar(p.counts.get(k, 0), m)}</td>"
            for p, m in zip(periods, most, strict=True)
        )
        rows.append(f'<tr><th scope="row">{label(name_of(k))}</th>{cells}</tr>')
    totals = "".join(f"<td>{figure(p.total, p.total_value)}</td>" for p in periods)
    table = (
        f'<table id="{ident}"><caption id="{ident}-caption">{label(caption)}</caption>'
        f'<thead><tr><th scope="col"><span class="visually-hidden">{escape(plain(caption))}'
        f"</span></th>{heads}</tr></thead><tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><th scope="row">{label(("Totale", "Total"))}</th>{totals}</tr></tfoot>'
        "</table>"
    )
    if len(rows) <= _LONG:
        return table
    # A long list scrolls inside its panel; the keyboard reaches it too.
    return (
        f'<div class="scroll" role="region" tabindex="0" aria-labelledby="{ident}-caption">'
        f"{table}</div>"
    )


def _two(metric: str, total: str, ov: Overview) -> list[_Period]:
    return [
        _Period(f"{name}.{metric}", title, getattr(f, metric), f"{name}.{total}", getattr(f, total))
        for name, title, f in (("today", TODAY, ov.today), ("week", WEEK, ov.week))
    ]


def _resolution(ov: Overview) -> str:
    rows: list[tuple[str, Label, str]] = [
        ("resolved", ("Risolte", "Resolved"), "count"),
        (
            "resolved_within_deadline",
            ("Risolte entro la scadenza", "Resolved within the deadline"),
            "count",
        ),
        (
            "resolved_within_deadline_share",
            ("Quota entro la scadenza", "Share within the deadline"),
            "share",
        ),
        (
            "mean_days_to_resolution",
            ("Giorni medi per risolvere", "Mean days to resolution"),
            "days",
        ),
        (
            "median_days_to_resolution",
            ("Giorni mediani per risolvere", "Median days to resolution"),
            "days",
        ),
    ]
    body = []
    for name, text, kind in rows:
        week = (
            figure(f"week.{name}", getattr(ov.week, name), kind=kind)
            if name in type(ov.week).model_fields
            else '<span class="na">n/d<span class="visually-hidden"> (non ricavabile dai giorni'
            " / not derivable from the days)</span></span>"
        )
        body.append(
            f'<tr><th scope="row">{label(text)}</th>'
            f"<td>{figure(f'today.{name}', getattr(ov.today, name), kind=kind)}</td>"
            f"<td>{week}</td></tr>"
        )
    return (
        '<table id="resolution"><caption>'
        + label(("Casi risolti, dalla ricezione legale", "Cases resolved, from legal receipt"))
        + "</caption><thead><tr><td></td>"
        + f'<th scope="col">{label(TODAY)}</th><th scope="col">{label(WEEK)}</th></tr></thead>'
        + f"<tbody>{''.join(body)}</tbody></table>"
    )


def _backlog(ov: Overview) -> str:
    counts = ov.now.open_backlog_by_age
    most = max(counts.values(), default=0)
    rows = "".join(
        f'<tr><th scope="row">{label(AGES.get(age, (age, age)))}</th>'
        f"<td>{figure(f'now.open_backlog_by_age.{age}', counts.get(age, 0))}"
        f"{bar(counts.get(age, 0), most)}</td></tr>"
        for age in BACKLOG_AGES
    )
    return (
        '<table id="backlog"><caption>'
        + label(("Casi aperti per età, adesso", "Open cases by age, now"))
        + '</caption><thead><tr><th scope="col">'
        + label(("Dalla ricezione legale", "Since legal receipt"))
        + '</th><th scope="col">'
        + label(("Casi", "Cases"))
        + f"</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _per_day(ov: Overview) -> str:
    tz = ZoneInfo(ov.timezone)
    columns = []
    for i, f in enumerate(ov.days):
        day = f.start.astimezone(tz)
        it, en = WEEKDAYS[day.weekday()]
        columns.append(
            Column(
                name=f"days.{i}.received",
                label=f"{it} {day:%d/%m}",
                long_label=f"{it} / {en} {day:%d/%m/%Y}",
                value=f.received,
            )
        )
    return (
        '<figure><figcaption id="per-day-title">'
        + label(("Segnalazioni ricevute per giorno", "Complaints received per day"))
        + "</figcaption>"
        + column_chart("per-day-title", columns, ("Ricevute per giorno", "Received per day"))
        + "</figure>"
    )


def figures_html(ov: Overview, names: Names) -> str:
    """Every figure of the overview, in sections: the page's `<main>`."""
    t, w, n = ov.today, ov.week, ov.now
    cards = "".join(
        [
            _card("today.received", ("Ricevute oggi", "Received today"), t.received),
            _card("week.received", ("Ricevute in 7 giorni", "Received in 7 days"), w.received),
            _card("now.open_backlog", ("Casi aperti", "Open cases"), n.open_backlog),
            _card("now.triage_queue", ("Da smistare a mano", "Triage queue"), n.triage_queue),
            _card(
                "today.resolved_within_deadline_share",
                ("Risolte entro la scadenza, oggi", "Resolved within deadline, today"),
                t.resolved_within_deadline_share,
                "share",
            ),
            _card(
                "today.mean_days_to_resolution",
                ("Giorni medi per risolvere, oggi", "Mean days to resolve, today"),
                t.mean_days_to_resolution,
                "days",
            ),
            _card(
                "today.sla_warnings",
                ("Avvisi di scadenza oggi", "SLA warnings today"),
                t.sla_warnings,
            ),
            _card(
                "today.sla_breaches",
                ("Scadenze superate oggi", "SLA breaches today"),
                t.sla_breaches,
            ),
            _card(
                "today.dead_letters", ("Non leggibili oggi", "Dead letters today"), t.dead_letters
            ),
        ]
    )
    sla = (
        '<table id="sla"><caption>'
        + label(("Avvisi e scadenze superate", "Warnings and breaches"))
        + "</caption><thead><tr><td></td>"
        + f'<th scope="col">{label(TODAY)}</th><th scope="col">{label(WEEK)}</th></tr></thead>'
        + "<tbody>"
        + "".join(
            f'<tr><th scope="row">{label(text)}</th><td>{figure(f"today.{k}", getattr(t, k))}'
            f"</td><td>{figure(f'week.{k}', getattr(w, k))}</td></tr>"
            for k, text in (
                (
                    "sla_warnings",
                    (
                        "Avvisi (al 50% e all'80% del tempo)",
                        "Warnings (at 50% and 80% of the time)",
                    ),
                ),
                ("sla_breaches", ("Scadenze superate", "Deadlines missed")),
            )
        )
        + "</tbody></table>"
    )
    sections = [
        _section("key", ("In sintesi", "At a glance"), f'<dl class="cards">{cards}</dl>'),
        _section("days", ("Volumi", "Volumes"), _per_day(ov)),
        _section(
            "channel",
            ("Per canale", "By channel"),
            _breakdown(
                "by-channel",
                ("Ricevute per canale", "Received by channel"),
                _two("received_by_channel", "received", ov),
                names.channel,
            ),
        ),
        _section(
            "body",
            ("Per ufficio responsabile", "By responsible body"),
            _breakdown(
                "by-body",
                ("Ricevute per ufficio", "Received by body"),
                _two("received_by_body", "received", ov),
                names.body,
            ),
        ),
        _section(
            "category",
            ("Per categoria", "By category"),
            _breakdown(
                "by-category",
                ("Ricevute per categoria", "Received by category"),
                _two("received_by_category", "received", ov),
                names.category,
            ),
        ),
        _section("backlog", ("Arretrato", "Backlog"), _backlog(ov)),
        _section(
            "resolution",
            ("Tempi di risposta", "Time to answer"),
            _resolution(ov),
            (
                "La mediana di più giorni non si ricava dalle mediane giornaliere.",
                "A median over several days cannot be derived from the daily medians.",
            ),
        ),
        _section(
            "deadlines",
            ("Scadenze (30 giorni o secondo la categoria)", "Deadlines (30 days or per category)"),
            sla,
        ),
        _section(
            "dead",
            ("Non leggibili (lettere morte)", "Unreadable input (dead letters)"),
            _breakdown(
                "by-reason",
                ("Per motivo", "By reason"),
                _two("dead_letters_by_reason", "dead_letters", ov),
                lambda k: (k, k),
            ),
        ),
    ]
    return "".join(sections)
