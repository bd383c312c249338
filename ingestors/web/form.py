"""The citizens' complaint form, in Italian and English: plain HTML, rendered by pure
functions (no template engine, every value escaped), that works without JavaScript.

Accessibility: every control has a `<label>`, required fields say so in words, errors are
listed in a summary at the top (focusable, linked to the fields) and tied to their fields
with `aria-describedby`; the page declares its language.
"""

from collections.abc import Mapping, Sequence
from html import escape
from typing import Literal

from processors.taxonomy import Category

Lang = Literal["it", "en"]

TEXT: dict[str, dict[str, str]] = {
    "it": {
        "title": "Invia una segnalazione al Comune",
        "intro": "Descrivi il problema: lo inoltreremo all'ufficio competente e riceverai "
        "un numero di pratica per seguirne lo stato.",
        "text": "Descrivi il problema",
        "required": "obbligatorio",
        "subject": "Oggetto",
        "category": "Categoria",
        "category_unknown": "Non so / altro",
        "where": "Dove",
        "address": "Indirizzo",
        "district": "Municipio o quartiere",
        "you": "I tuoi recapiti (facoltativi)",
        "you_hint": "Servono solo per risponderti. Non sono mostrati a nessun altro.",
        "name": "Nome e cognome",
        "email": "E-mail",
        "phone": "Telefono",
        "attachments": "Foto o documenti (facoltativi)",
        "submit": "Invia la segnalazione",
        "other_lang": "English",
        "errors_title": "La segnalazione non è stata inviata. Correggi:",
        "thanks_title": "Segnalazione ricevuta",
        "thanks": "Grazie. La tua segnalazione è stata registrata con il numero di pratica",
        "keep": "Conserva questo numero: ti serve per conoscere lo stato della pratica.",
        "status_link": "Vedi lo stato della pratica",
        "another": "Invia un'altra segnalazione",
        "error_title": "Non è stato possibile inviare la segnalazione",
        "retry": "Riprova tra qualche istante.",
        "back": "Torna al modulo",
        "status_title": "Stato della pratica",
        "status": "Stato",
        "body": "Ufficio responsabile",
        "deadline": "Risposta prevista entro",
        "history": "Storia",
        "not_found": "Nessuna pratica ha questo numero.",
        "pending": "non ancora assegnato",
    },
    "en": {
        "title": "Report a problem to the City",
        "intro": "Describe the problem: we will pass it to the office responsible and give "
        "you a tracking number to follow it.",
        "text": "Describe the problem",
        "required": "required",
        "subject": "Subject",
        "category": "Category",
        "category_unknown": "I don't know / other",
        "where": "Where",
        "address": "Address",
        "district": "District",
        "you": "Your contact details (optional)",
        "you_hint": "Only used to answer you. Never shown to anyone else.",
        "name": "Full name",
        "email": "E-mail",
        "phone": "Phone",
        "attachments": "Photos or documents (optional)",
        "submit": "Send the report",
        "other_lang": "Italiano",
        "errors_title": "Your report was not sent. Please correct:",
        "thanks_title": "Report received",
        "thanks": "Thank you. Your report has been recorded with the tracking number",
        "keep": "Keep this number: you need it to check on your report.",
        "status_link": "See the status of your report",
        "another": "Send another report",
        "error_title": "Your report could not be sent",
        "retry": "Please try again in a moment.",
        "back": "Back to the form",
        "status_title": "Status of your report",
        "status": "Status",
        "body": "Office responsible",
        "deadline": "Answer due by",
        "history": "History",
        "not_found": "No report has this tracking number.",
        "pending": "not yet assigned",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "it": {
        "received": "ricevuta",
        "assigned": "assegnata",
        "acknowledged": "presa in carico",
        "in_progress": "in lavorazione",
        "waiting_for_citizen": "in attesa di tue informazioni",
        "resolved": "risolta",
        "rejected": "respinta",
        "reassigned": "riassegnata",
        "closed": "chiusa",
    },
    "en": {
        "received": "received",
        "assigned": "assigned",
        "acknowledged": "acknowledged",
        "in_progress": "in progress",
        "waiting_for_citizen": "waiting for your reply",
        "resolved": "resolved",
        "rejected": "rejected",
        "reassigned": "reassigned",
        "closed": "closed",
    },
}

FIELDS = ("text", "subject", "category", "address", "district", "name", "email", "phone")

_STYLE = """
body{font:1.05rem/1.5 system-ui,sans-serif;max-width:42rem;margin:1rem auto;padding:0 1rem;
color:#1b1b1b;background:#fff}
label{display:block;font-weight:600;margin-top:1rem}
input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;
border:2px solid #555;border-radius:4px}
textarea{min-height:8rem}
:focus{outline:3px solid #0050b3;outline-offset:2px}
fieldset{border:1px solid #999;margin-top:1.5rem;padding:0 1rem 1rem}
legend{font-weight:700}
button{font:inherit;font-weight:700;margin-top:1.5rem;padding:.75rem 1.5rem;color:#fff;
background:#0050b3;border:0;border-radius:4px}
.hint{color:#444;font-size:.95rem;margin:.25rem 0 0}
.error{color:#a00000;font-weight:600}
.summary{border:3px solid #a00000;padding:.5rem 1rem}
.tracking{font-size:1.6rem;font-weight:700;letter-spacing:.05em}
"""


def language(query_lang: str | None, accept_language: str) -> Lang:
    """The page language: `?lang=` if given, else the browser's first preference, else it."""
    chosen = (query_lang or "").lower()
    if chosen in ("it", "en"):
        return "en" if chosen == "en" else "it"
    first = accept_language.split(",", 1)[0].strip().lower()
    return "en" if first.startswith("en") else "it"


def _page(lang: Lang, title: str, content: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} — Sportello</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{content}\n</main>\n</body>\n</html>\n"
    )


def page(lang: Lang, title: str, content: str) -> str:
    """A whole page in the form's style around `content`, HTML whose values are escaped."""
    return _page(lang, title, content)


def _input(
    name: str,
    label: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    kind: str = "text",
    required: bool = False,
    autocomplete: str = "",
    required_word: str = "",
) -> str:
    described = f' aria-describedby="{name}-error" aria-invalid="true"' if name in errors else ""
    error = (
        f'<p class="error" id="{name}-error">{escape(errors[name])}</p>' if name in errors else ""
    )
    req = f" ({escape(required_word)})" if required else ""
    attrs = (' required aria-required="true"' if required else "") + (
        f' autocomplete="{autocomplete}"' if autocomplete else ""
    )
    value = escape(values.get(name, ""))
    if kind == "textarea":
        control = f'<textarea id="{name}" name="{name}"{attrs}{described}>{value}</textarea>'
    else:
        control = (
            f'<input id="{name}" name="{name}" type="{kind}" value="{value}"{attrs}{described}>'
        )
    return f'<label for="{name}">{escape(label)}{req}</label>\n{error}{control}\n'


def form_page(
    lang: Lang,
    *,
    categories: Sequence[Category],
    form_token: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    t = TEXT[lang]
    values = values or {}
    errors = errors or {}
    other = "en" if lang == "it" else "it"
    summary = ""
    if errors:
        items = "".join(
            f'<li><a href="#{escape(f)}">{escape(msg)}</a></li>' for f, msg in errors.items()
        )
        summary = (
            f'<div class="summary" role="alert" tabindex="-1" id="errors">'
            f"<h2>{escape(t['errors_title'])}</h2><ul>{items}</ul></div>\n"
        )
    chosen = values.get("category", "")
    options = [f'<option value="">{escape(t["category_unknown"])}</option>'] + [
        f'<option value="{escape(c.code)}"{" selected" if c.code == chosen else ""}>'
        f"{escape(c.name_it if lang == 'it' else c.name_en)}</option>"
        for c in sorted(categories, key=lambda c: c.name_it if lang == "it" else c.name_en)
    ]
    req = t["required"]
    content = (
        f'<p lang="{other}"><a href="/?lang={other}">{escape(t["other_lang"])}</a></p>\n'
        f"<h1>{escape(t['title'])}</h1>\n<p>{escape(t['intro'])}</p>\n{summary}"
        '<form method="post" action="/" enctype="multipart/form-data" novalidate>\n'
        f'<input type="hidden" name="lang" value="{lang}">\n'
        f'<input type="hidden" name="form_token" value="{escape(form_token)}">\n'
        + _input(
            "text", t["text"], values, errors, kind="textarea", required=True, required_word=req
        )
        + _input("subject", t["subject"], values, errors)
        + f'<label for="category">{escape(t["category"])}</label>\n'
        f'<select id="category" name="category">{"".join(options)}</select>\n'
        f"<fieldset><legend>{escape(t['where'])}</legend>\n"
        + _input("address", t["address"], values, errors, autocomplete="street-address")
        + _input("district", t["district"], values, errors)
        + f"</fieldset>\n<fieldset><legend>{escape(t['you'])}</legend>\n"
        f'<p class="hint">{escape(t["you_hint"])}</p>\n'
        + _input("name", t["name"], values, errors, autocomplete="name")
        + _input("email", t["email"], values, errors, kind="email", autocomplete="email")
        + _input("phone", t["phone"], values, errors, kind="tel", autocomplete="tel")
        + "</fieldset>\n"
        f'<label for="attachments">{escape(t["attachments"])}</label>\n'
        '<input id="attachments" name="attachments" type="file" multiple>\n'
        f'<button type="submit">{escape(t["submit"])}</button>\n</form>'
    )
    return _page(lang, t["title"], content)


def thanks_page(lang: Lang, *, tracking_id: str, status_path: str) -> str:
    t = TEXT[lang]
    content = (
        f"<h1>{escape(t['thanks_title'])}</h1>\n"
        f'<p>{escape(t["thanks"])}:</p>\n<p class="tracking" id="tracking-id">'
        f"{escape(tracking_id)}</p>\n<p>{escape(t['keep'])}</p>\n"
        f'<p><a href="{escape(status_path)}">{escape(t["status_link"])}</a></p>\n'
        f'<p><a href="/?lang={lang}">{escape(t["another"])}</a></p>'
    )
    return _page(lang, t["thanks_title"], content)


def error_page(lang: Lang, *, detail: str) -> str:
    t = TEXT[lang]
    content = (
        f"<h1>{escape(t['error_title'])}</h1>\n<p>{escape(detail)}</p>\n"
        f'<p>{escape(t["retry"])}</p>\n<p><a href="/?lang={lang}">{escape(t["back"])}</a></p>'
    )
    return _page(lang, t["error_title"], content)


def status_page(
    lang: Lang,
    *,
    tracking_id: str,
    status: str | None,
    body: str | None,
    deadline: str | None,
    history: Sequence[tuple[str, str]],
) -> str:
    """A complaint's status for the citizen; `status` None means no such complaint."""
    t = TEXT[lang]
    names = STATUS_NAMES[lang]
    if status is None:
        content = f"<h1>{escape(t['status_title'])}</h1>\n<p>{escape(t['not_found'])}</p>"
        return _page(lang, t["status_title"], content)
    rows = "".join(
        f"<li><time>{escape(when)}</time> — {escape(names.get(what, what))}</li>"
        for when, what in history
    )
    content = (
        f"<h1>{escape(t['status_title'])}</h1>\n"
        f'<p class="tracking">{escape(tracking_id)}</p>\n<dl>'
        f"<dt>{escape(t['status'])}</dt><dd>{escape(names.get(status, status))}</dd>"
        f"<dt>{escape(t['body'])}</dt><dd>{escape(body or t['pending'])}</dd>"
        + (f"<dt>{escape(t['deadline'])}</dt><dd>{escape(deadline)}</dd>" if deadline else "")
        + f"</dl>\n<h2>{escape(t['history'])}</h2>\n<ul>{rows}</ul>"
    )
    return _page(lang, t["status_title"], content)
