"""The operations dashboard page: pure functions from an `Overview` to a whole HTML page.

`dashboard_page` writes every figure in the page (`dashboard_sections.figures_html`), so that
it is complete without JavaScript, and reloads itself now and then when scripts are off; its
script (static/dashboard.js) replaces `<main>` with each update the server sends.
"""

from html import escape
from zoneinfo import ZoneInfo

from ingestors.web.dashboard_charts import Label, label, plain
from ingestors.web.dashboard_sections import Names, figures_html
from sinks.postgres.overview import Overview

TITLE: Label = ("Sportello — cruscotto operativo", "Sportello — operations dashboard")
STATIC = "/dashboard/static"


def updated_text(ov: Overview) -> str:
    return f"{ov.at.astimezone(ZoneInfo(ov.timezone)):%d/%m/%Y %H:%M:%S}"


def _shell(main: str, *, updated: str, iso: str, timezone: str, stale: str, reload_s: int) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="it">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(plain(TITLE))}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{STATIC}/dashboard.css">\n'
        f'<script src="{STATIC}/dashboard.js" defer></script>\n'
        # Without JavaScript the page reloads itself, a little less often.
        f'<noscript><meta http-equiv="refresh" content="{reload_s}"></noscript>\n'
        "</head>\n<body>\n"
        '<a class="skip" href="#figures">'
        + label(("Vai alle cifre", "Skip to the figures"))
        + "</a>\n<header>\n<h1>"
        + label(TITLE)
        + '</h1>\n<p class="updated">'
        + label(("Aggiornato", "Updated"))
        + f': <time id="updated" datetime="{escape(iso)}">{escape(updated)}</time>'
        f" ({escape(timezone)})"
        ' <span id="live" class="live" hidden>'
        + label(("in diretta", "live"))
        + f'</span></p>\n<p id="stale" class="stale" role="status">{stale}</p>\n</header>\n'
        '<main id="figures" data-events="/dashboard/events" tabindex="-1">\n'
        f"{main}\n</main>\n<footer><p>"
        + label(
            (
                "Le cifre sono quelle pubblicate su complaints.metrics per gli stessi periodi: "
                "oggi è la giornata della città fino a ora, gli arretrati sono contati adesso. "
                "Nessun dato personale.",
                "The figures are those published on complaints.metrics for the same periods: "
                "today is the city's day so far, backlogs are counted now. No personal data.",
            )
        )
        + "</p></footer>\n</body>\n</html>\n"
    )


def dashboard_page(ov: Overview, names: Names, *, reload_s: int = 60) -> str:
    """The whole page, every figure in it."""
    return _shell(
        figures_html(ov, names),
        updated=updated_text(ov),
        iso=ov.at.isoformat(),
        timezone=ov.timezone,
        stale="",
        reload_s=reload_s,
    )


def unavailable_page(*, timezone: str, reload_s: int = 60) -> str:
    """The page while the figures cannot be read: says so, and tries again by itself."""
    message = label(
        (
            "Le cifre non sono disponibili: il database non risponde. Nuovo tentativo a breve.",
            "The figures are unavailable: the database is not answering. Trying again shortly.",
        )
    )
    return _shell("", updated="—", iso="", timezone=timezone, stale=message, reload_s=reload_s)
