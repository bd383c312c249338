"""The pages of a citizen's "not solved" link, in Italian and English. Pure: values in, HTML
out, every value escaped (see `form` for the style and the accessibility rules)."""

from html import escape

from ingestors.web.form import STATUS_NAMES, Lang, page

MAX_TEXT = 1500

TEXT: dict[str, dict[str, str]] = {
    "it": {
        "title": "Il problema non è risolto?",
        "answered": "Risposta dell'ufficio",
        "explain": "Se il problema non è risolto, riapriamo la pratica e l'ufficio responsabile "
        "la riprende in carico.",
        "what": "Cosa non va ancora? (facoltativo)",
        "submit": "Non è risolto: riapri la pratica",
        "done_title": "Pratica riaperta",
        "done": "La pratica è stata riaperta: l'ufficio responsabile la riprenderà in carico.",
        "status_link": "Vedi lo stato della pratica",
        "invalid_title": "Link non valido",
        "invalid": "Questo link non è valido o è scaduto. Per segnalare che il problema non è "
        "risolto, risponda al messaggio ricevuto o invii una nuova segnalazione.",
        "nothing_title": "Niente da riaprire",
        "nothing": "La pratica non può essere riaperta da questo link: ora è",
        "not_found_title": "Pratica non trovata",
        "not_found": "Nessuna pratica corrisponde a questo link.",
        "error_title": "Richiesta non registrata",
        "error": "Non è stato possibile registrare la richiesta. Riprova tra qualche istante.",
    },
    "en": {
        "title": "Is the problem not solved?",
        "answered": "The office's answer",
        "explain": "If the problem is not solved, we reopen the case and the office responsible "
        "takes it up again.",
        "what": "What is still wrong? (optional)",
        "submit": "Not solved: reopen the case",
        "done_title": "Case reopened",
        "done": "The case has been reopened: the office responsible will take it up again.",
        "status_link": "See the status of your case",
        "invalid_title": "Link not valid",
        "invalid": "This link is not valid or has expired. To say the problem is not solved, "
        "reply to the message you received or send a new report.",
        "nothing_title": "Nothing to reopen",
        "nothing": "The case cannot be reopened from this link: it is now",
        "not_found_title": "Case not found",
        "not_found": "No case matches this link.",
        "error_title": "Request not recorded",
        "error": "Your request could not be recorded. Please try again in a moment.",
    },
}


def _tracking(tracking_id: str) -> str:
    return f'<p class="tracking" id="tracking-id">{escape(tracking_id)}</p>\n'


def confirm_page(
    lang: Lang, *, action: str, token: str, tracking_id: str, answer: str, body: str | None
) -> str:
    """The question, with the answer being contested and a form that posts the reopen."""
    t = TEXT[lang]
    by = f" ({escape(body)})" if body else ""
    content = (
        f"<h1>{escape(t['title'])}</h1>\n{_tracking(tracking_id)}"
        f"<h2>{escape(t['answered'])}{by}</h2>\n<blockquote>{escape(answer)}</blockquote>\n"
        f"<p>{escape(t['explain'])}</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="token" value="{escape(token)}">\n'
        f'<input type="hidden" name="lang" value="{lang}">\n'
        f'<label for="text">{escape(t["what"])}</label>\n'
        f'<textarea id="text" name="text" maxlength="{MAX_TEXT}"></textarea>\n'
        f'<button type="submit">{escape(t["submit"])}</button>\n</form>'
    )
    return page(lang, t["title"], content)


def done_page(lang: Lang, *, tracking_id: str, status_path: str) -> str:
    t = TEXT[lang]
    content = (
        f"<h1>{escape(t['done_title'])}</h1>\n{_tracking(tracking_id)}"
        f"<p>{escape(t['done'])}</p>\n"
        f'<p><a href="{escape(status_path)}">{escape(t["status_link"])}</a></p>'
    )
    return page(lang, t["done_title"], content)


def refusal_page(lang: Lang, kind: str, *, status: str | None = None) -> str:
    """`kind`: invalid (a bad or expired link), nothing (no answer to contest now),
    not_found, or error (try again)."""
    t = TEXT[lang]
    detail = t[kind]
    if kind == "nothing" and status:
        detail = f"{detail} «{STATUS_NAMES[lang].get(status, status)}»."
    title = t[f"{kind}_title"]
    return page(lang, title, f"<h1>{escape(title)}</h1>\n<p>{escape(detail)}</p>")
