"""The citizens' form: labelled, bilingual, escaped."""

import re
from html.parser import HTMLParser

from ingestors.web.form import error_page, form_page, language, status_page, thanks_page
from processors.taxonomy import load_taxonomy

CATEGORIES = load_taxonomy()


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")


def test_every_control_has_a_label_and_the_page_its_language() -> None:
    for lang in ("it", "en"):
        parser = Controls()
        parser.feed(form_page(lang, categories=CATEGORIES, form_token="t0ken"))
        assert parser.html_lang == lang
        assert parser.controls
        assert all(c.get("id") in parser.labels for c in parser.controls)


def test_values_are_escaped_and_errors_are_linked_to_their_fields() -> None:
    page = form_page(
        "it",
        categories=CATEGORIES,
        form_token="t",
        values={"text": "</textarea><script>alert(1)</script>", "email": '"><b>x'},
        errors={"email": "Scrivi un indirizzo e-mail valido"},
    )
    assert "<script>" not in page and "<b>x" not in page
    assert 'href="#email"' in page
    assert re.search(r'id="email"[^>]*aria-describedby="email-error"', page)
    assert 'role="alert"' in page


def test_language_from_the_query_then_the_browser() -> None:
    assert language("en", "it-IT") == "en"
    assert language(None, "en-GB,en;q=0.9") == "en"
    assert language("fr", "de-DE") == "it"
    assert language(None, "") == "it"


def test_the_other_pages_show_what_they_must() -> None:
    assert "SP-ABCD-EFGH-JKMN" in thanks_page(
        "en", tracking_id="SP-ABCD-EFGH-JKMN", status_path="/complaints/SP-ABCD-EFGH-JKMN"
    )
    assert "<x>" not in error_page("it", detail="<x>")
    page = status_page(
        "it",
        tracking_id="SP-1",
        status="in_progress",
        body="Verde",
        deadline="2026-05-01",
        history=[("2026-04-01 08:00", "received")],
    )
    assert "in lavorazione" in page and "ricevuta" in page and "2026-05-01" in page
    assert "Nessuna pratica" in status_page(
        "it", tracking_id="x", status=None, body=None, deadline=None, history=()
    )
