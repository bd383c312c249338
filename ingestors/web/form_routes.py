"""The citizens' form at `/` and their status page at `/complaints/{tracking_id}`.

No API key: citizens are rate-limited per address instead. Each rendered form carries a
random token used as its idempotency key, so posting the same form twice (a double click,
a reload) records one complaint and shows the same tracking number.
"""

import logging
import uuid

from aiohttp import web
from pydantic import ValidationError

from ingestors.web.api import TRACKING_ID, lookup_status, store_attachments, submit
from ingestors.web.auth import Caller
from ingestors.web.complaint_request import ComplaintRequest, fingerprint
from ingestors.web.context import client_address, context, limit_rate, read_body
from ingestors.web.form import (
    FIELDS,
    Lang,
    error_page,
    form_page,
    language,
    status_page,
    thanks_page,
)
from ingestors.web.intake import Incoming
from ingestors.web.multipart import (
    BodyError,
    Part,
    decode_text,
    media_type,
    parse_form,
    parse_multipart,
)
from ingestors.web.patterns import nul_in, strip
from ingestors.web.problems import Problem
from runtime.errors import StoreUnavailable

log = logging.getLogger(__name__)

CITIZEN_FORM = Caller("citizen-form")
KNOWN_FIELDS = frozenset({*FIELDS, "lang", "form_token"})

FIELD_ERRORS: dict[str, dict[str, str]] = {
    "it": {
        "text": "Scrivi la descrizione del problema (al massimo 100.000 caratteri).",
        "email": "Scrivi un indirizzo e-mail valido, ad esempio nome@esempio.it.",
        "category": "Scegli una categoria dall'elenco.",
        "attachments": "Gli allegati sono troppi o troppo grandi.",
        "other": "Controlla questo campo: è troppo lungo o non valido.",
    },
    "en": {
        "text": "Write a description of the problem (at most 100,000 characters).",
        "email": "Enter a valid e-mail address, like name@example.com.",
        "category": "Choose a category from the list.",
        "attachments": "There are too many attachments, or they are too large.",
        "other": "Check this field: it is too long or not valid.",
    },
}

_LOC_TO_FIELD = {
    ("text",): "text",
    ("subject",): "subject",
    ("category_hint",): "category",
    ("citizen", "name"): "name",
    ("citizen", "email"): "email",
    ("citizen", "phone"): "phone",
    ("location", "address"): "address",
    ("location", "district"): "district",
}


def _html(text: str, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, text=text, content_type="text/html", charset="utf-8", headers=headers
    )


def _lang(request: web.Request, fields: dict[str, str] | None = None) -> Lang:
    chosen = (fields or {}).get("lang") or request.query.get("lang")
    return language(chosen, request.headers.get("Accept-Language", ""))


async def get_form(request: web.Request) -> web.Response:
    ctx = context(request)
    return _html(
        form_page(
            _lang(request),
            categories=list(ctx.categories.values()),
            form_token=uuid.uuid4().hex,
        )
    )


def _complaint(values: dict[str, str], lang: Lang) -> ComplaintRequest | dict[str, str]:
    """The complaint the form describes, or the form's errors by field."""

    def opt(name: str) -> str | None:
        return strip(values.get(name, "")) or None

    errors: dict[str, str] = {}
    try:
        citizen_fields = {"name": opt("name"), "email": opt("email"), "phone": opt("phone")}
        location_fields = {"address": opt("address"), "district": opt("district")}
        return ComplaintRequest.model_validate(
            {
                "text": values.get("text", ""),
                "channel": "web",
                "subject": opt("subject"),
                "language": lang,
                "category_hint": opt("category"),
                "citizen": citizen_fields if any(citizen_fields.values()) else None,
                "location": location_fields if any(location_fields.values()) else None,
            }
        )
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            field = next(
                (f for prefix, f in _LOC_TO_FIELD.items() if loc[: len(prefix)] == prefix), "text"
            )
            errors.setdefault(field, FIELD_ERRORS[lang].get(field, FIELD_ERRORS[lang]["other"]))
    return errors


async def _read_form(request: web.Request) -> tuple[dict[str, str], list[Part]]:
    ctx = context(request)
    content_type = request.headers.get("Content-Type", "")
    kind = media_type(content_type)
    if kind not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise Problem(415, "post the form as multipart/form-data")
    body = await read_body(request, ctx.settings.max_upload_bytes)
    try:
        if kind == "application/x-www-form-urlencoded":
            return dict(reversed(parse_form(body))), []
        parts = parse_multipart(body, content_type, max_parts=1000)
        values = {p.name: decode_text(p) for p in reversed(parts) if p.filename is None}
        if "attachments" in values:
            raise BodyError("attachments must be files")
        unknown = sorted(set(values) - KNOWN_FIELDS)
        if unknown:
            raise BodyError(f"unknown fields: {', '.join(map(repr, unknown))[:200]}")
        if nul_in(values):
            raise BodyError("fields must not contain NUL characters")
        files = [
            p
            for p in parts
            if p.filename is not None and p.name == "attachments" and (p.content or p.filename)
        ]
        return values, files
    except BodyError as exc:
        raise Problem(400, f"the form cannot be read: {exc}") from None


async def post_form(request: web.Request) -> web.Response:
    ctx = context(request)
    lang = _lang(request)
    try:
        limit_rate(request, client_address(request), citizen=True)
        values, files = await _read_form(request)
        lang = _lang(request, values)
        complaint = _complaint(values, lang)
        if (
            complaint is not None
            and not isinstance(complaint, dict)
            and (complaint.category_hint and complaint.category_hint not in ctx.categories)
        ):
            complaint = {"category": FIELD_ERRORS[lang]["category"]}
        if isinstance(complaint, dict):
            shown = {k: v for k, v in values.items() if k in FIELDS}
            page = form_page(
                lang,
                categories=list(ctx.categories.values()),
                form_token=values.get("form_token") or uuid.uuid4().hex,
                values=shown,
                errors=complaint,
            )
            return _html(page, status=422)
        try:
            attachments = await store_attachments(ctx, [f for f in files if f.content])
        except Problem as exc:
            shown = {k: v for k, v in values.items() if k in FIELDS}
            page = form_page(
                lang,
                categories=list(ctx.categories.values()),
                form_token=values.get("form_token") or uuid.uuid4().hex,
                values=shown,
                errors={"attachments": FIELD_ERRORS[lang]["attachments"]},
            )
            return _html(page, status=exc.status)
        token = values.get("form_token", "").strip()
        key = token if 8 <= len(token) <= 64 and token.isalnum() else None
        incoming = Incoming(
            complaint=complaint,
            fingerprint=fingerprint("POST /", complaint.model_dump_json().encode(), attachments),
            attachments=attachments,
            service_code=complaint.category_hint,
        )
        accepted = await submit(ctx, CITIZEN_FORM, incoming, key)
    except Problem as exc:
        return _html(error_page(lang, detail=exc.detail), status=exc.status, headers=exc.headers)
    path = f"/complaints/{accepted.tracking_id}?lang={lang}"
    return _html(thanks_page(lang, tracking_id=accepted.tracking_id, status_path=path))


async def get_status_page(request: web.Request) -> web.Response:
    ctx = context(request)
    lang = _lang(request)
    tracking_id = request.match_info["tracking_id"].strip().upper()
    view = None
    if TRACKING_ID.match(tracking_id):
        try:
            view = await lookup_status(ctx, tracking_id)
        except StoreUnavailable:
            t = error_page(lang, detail="")
            return _html(t, status=503, headers={"Retry-After": str(ctx.settings.retry_after_s)})
    if view is None:
        page = status_page(
            lang, tracking_id=tracking_id, status=None, body=None, deadline=None, history=()
        )
        return _html(page, status=404)
    page = status_page(
        lang,
        tracking_id=view.tracking_id,
        status=view.status.value,
        body=(view.body.name or view.body.id) if view.body else None,
        deadline=view.deadline_at.date().isoformat() if view.deadline_at else None,
        history=[
            (h.time.strftime("%Y-%m-%d %H:%M"), h.status.value if h.status else h.event)
            for h in view.history
        ],
    )
    return _html(page)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", get_form)
    app.router.add_post("/", post_form)
    app.router.add_get("/complaints/{tracking_id}", get_status_page)
