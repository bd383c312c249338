"""Open311 GeoReport v2 at /open311/v2/: the HTTP side of `open311`.

Each resource answers in JSON or XML after its extension (`services.json`, `services.xml`).
Errors are GeoReport error lists (`[{"code": 400, "description": "…"}]`) with the same
status codes and headers as the rest of the API.
"""

import logging
from datetime import datetime, timedelta

from aiohttp import web

from ingestors.web.api import TRACKING_ID, submit
from ingestors.web.auth import Authenticator, Caller
from ingestors.web.complaint_request import fingerprint
from ingestors.web.context import (
    WebContext,
    context,
    idempotency_key,
    key_caller,
    limit_rate,
    read_body,
    releasing_signature,
    signed_caller,
)
from ingestors.web.intake import Incoming
from ingestors.web.multipart import (
    BodyError,
    decode_text,
    media_type,
    parse_form,
    parse_multipart,
)
from ingestors.web.open311 import (
    Format,
    Open311Error,
    Open311Invalid,
    PostedRequest,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
    case_tracking_id,
    complaint_from_fields,
    fields_from_json,
    loads_lenient,
    media_type_of,
    parse_w3c,
    render,
    render_errors,
    request_view,
    resolve_service,
    service_notice,
    services,
    statuses_for,
)
from ingestors.web.problems import Problem
from ingestors.web.receipts import Receipt
from runtime.errors import StoreUnavailable

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
FORMAT = "{fmt:json|xml}"
_MAX_WINDOW = timedelta(days=90)
_MAX_RESULTS = 1000


def is_open311(request: web.Request) -> bool:
    return request.path.startswith(PREFIX + "/")


def _fmt(request: web.Request) -> Format:
    return "xml" if request.path.endswith(".xml") else "json"


def error_response(request: web.Request, problem: Problem) -> web.Response:
    fmt = _fmt(request)
    detail = problem.detail
    if problem.errors:
        detail += ": " + "; ".join(f"{e['pointer']} {e['detail']}" for e in problem.errors)
    body = render_errors([Open311Error(code=problem.status, description=detail)], fmt=fmt)
    return web.Response(
        status=problem.status, body=body, content_type=media_type_of(fmt), headers=problem.headers
    )


def _answer(request: web.Request, body: bytes, *, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type=media_type_of(_fmt(request)))


def _locale(request: web.Request) -> str:
    return "en" if request.query.get("locale", "it").lower().startswith("en") else "it"


async def get_services(request: web.Request) -> web.Response:
    ctx = context(request)
    found = services(list(ctx.categories.values()), ctx.bodies, locale=_locale(request))
    return _answer(request, render(found, fmt=_fmt(request), root="services", item="service"))


async def get_service_definition(request: web.Request) -> web.Response:
    ctx = context(request)
    category = resolve_service(
        request.match_info["code"], ctx.categories, ctx.settings.open311_service_aliases
    )
    if category is None:
        raise Problem(404, "no service has this service_code")
    definition = ServiceDefinition(service_code=category.code)
    if _fmt(request) == "json":
        return _answer(request, definition.model_dump_json().encode())
    body = render([definition], fmt="xml", root="service_definitions", item="service_definition")
    return _answer(request, body)


async def _caller(request: web.Request, body: bytes, fields: list[tuple[str, str]]) -> Caller:
    if Authenticator.is_signed(request.headers):
        return signed_caller(request, body)
    if request.headers.get("Authorization", "").strip():
        found = context(request).authenticator.by_bearer(request.headers["Authorization"])
        if isinstance(found, Caller):
            return found
        raise Problem(403, found.detail)
    api_key = next((v for k, v in fields if k == "api_key"), "")
    if not api_key:
        raise Problem(403, "api_key is required")
    try:
        return key_caller(request, api_key)
    except Problem:
        raise Problem(403, "the api_key is not valid") from None


def _fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    kind = media_type(content_type)
    try:
        if kind == "application/x-www-form-urlencoded":
            return parse_form(body)
        if kind == "multipart/form-data":
            return [
                (p.name, decode_text(p))
                for p in parse_multipart(body, content_type)
                if p.filename is None
            ]
        if kind == "application/json":
            return fields_from_json(loads_lenient(body.decode("utf-8")))
    except (BodyError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, Open311Invalid):
            raise
        raise Problem(400, f"the body cannot be read: {exc}") from None
    raise Problem(
        415,
        "post a service request as application/x-www-form-urlencoded",
        headers={
            "Accept-Post": "application/x-www-form-urlencoded, multipart/form-data, "
            "application/json"
        },
    )


async def post_request(request: web.Request) -> web.Response:
    ctx = context(request)
    content_type = request.headers.get("Content-Type", "")
    kind = media_type(content_type)
    limit = (
        ctx.settings.max_upload_bytes
        if kind == "multipart/form-data"
        else ctx.settings.max_body_bytes
    )
    key = idempotency_key(request)
    body = await read_body(request, limit)
    try:
        fields = _fields(body, content_type)
        caller = await _caller(request, body, fields)
        limit_rate(request, caller.client_id)
        complaint, details, code = complaint_from_fields(
            fields,
            categories=ctx.categories,
            aliases=ctx.settings.open311_service_aliases,
            locale=_locale(request),
        )
    except Open311Invalid as exc:
        raise Problem(
            400,
            "the service request is incomplete or invalid",
            errors=[{"pointer": f"/{f}", "detail": d} for f, d in exc.errors],
        ) from None
    canonical = complaint.model_dump_json().encode() + repr(sorted(details.items())).encode()
    incoming = Incoming(
        complaint=complaint,
        fingerprint=fingerprint("POST /open311/v2/requests", canonical),
        channel_details=details,
        service_code=code,
    )
    accepted = await submit(ctx, caller, incoming, key)
    category = resolve_service(code, ctx.categories, ctx.settings.open311_service_aliases)
    answer = PostedRequest(
        service_request_id=accepted.tracking_id,
        service_notice=service_notice(category, ctx.bodies),
        account_id=None,
    )
    body_out = render([answer], fmt=_fmt(request), root="service_requests", item="request")
    return _answer(request, body_out, status=201)


async def _views(ctx: WebContext, tracking_ids: list[str], locale: str) -> list[ServiceRequest]:
    cases = await ctx.reader.cases(tracking_ids)
    missing = [t for t in tracking_ids if t not in cases]
    receipts = await ctx.receipts.receipts(missing) if missing else {}
    out = []
    for t in tracking_ids:
        view = request_view(
            t,
            cases.get(t),
            receipts.get(t),
            bodies=ctx.bodies,
            categories=ctx.categories,
            locale=locale,
        )
        if view is not None:
            out.append(view)
    return out


def _date(request: web.Request, name: str) -> datetime | None:
    if name not in request.query:
        return None
    value = parse_w3c(request.query[name])
    if value is None:
        raise Problem(400, f"{name} must be a W3C date-time, e.g. 2024-05-01T00:00:00Z")
    return value


async def get_requests(request: web.Request) -> web.Response:
    ctx = context(request)
    locale = _locale(request)
    ids_param = request.query.get("service_request_id", "")
    try:
        # Every filter is checked, even those a list of ids makes moot.
        statuses = statuses_for(request.query.get("status", ""))
        window = (_date(request, "start_date"), _date(request, "end_date"))
        if ids_param.strip():
            ids = [i.strip().upper() for i in ids_param.split(",") if i.strip()][:_MAX_RESULTS]
            found = await _views(ctx, [i for i in ids if TRACKING_ID.match(i)], locale)
        else:
            found = await _listing(request, ctx, locale, statuses, window)
    except Open311Invalid as exc:
        raise Problem(400, str(exc)) from None
    except StoreUnavailable as exc:
        log.warning("Open311 lookup failed: %s", exc)
        raise ctx.unavailable("service requests cannot be read right now; try again") from None
    body = render(found, fmt=_fmt(request), root="service_requests", item="request")
    return _answer(request, body)


async def _listing(
    request: web.Request,
    ctx: WebContext,
    locale: str,
    statuses: list[str] | None,
    window: tuple[datetime | None, datetime | None],
) -> list[ServiceRequest]:
    start, end = window
    until = end or ctx.clock()
    # GeoReport allows a server to bound the window (90 days here): a longer one is cut to
    # its last 90 days rather than refused.
    since = max(start or until - _MAX_WINDOW, until - _MAX_WINDOW)
    code = request.query.get("service_code", "").strip() or None
    # Receipts first, then which of them have a case, then the cases: a case the sink stores
    # meanwhile is then either among the cases or still shown as its receipt, never missed.
    receipts: list[Receipt] = []
    if statuses is None or "received" in statuses:
        receipts = await ctx.receipts.recent(
            since=since, until=until, service_code=code, limit=_MAX_RESULTS
        )
        with_case = await ctx.reader.cases([r.tracking_id for r in receipts])
        receipts = [r for r in receipts if r.tracking_id not in with_case]
    cases = await ctx.reader.opened_between(
        since=since, until=until, statuses=statuses, category=code, limit=_MAX_RESULTS
    )
    views = [
        request_view(
            case_tracking_id(c),
            c,
            None,
            bodies=ctx.bodies,
            categories=ctx.categories,
            locale=locale,
        )
        for c in cases
    ]
    listed = {v.service_request_id for v in views if v is not None}
    views += [
        request_view(
            r.tracking_id, None, r, bodies=ctx.bodies, categories=ctx.categories, locale=locale
        )
        for r in receipts
        if r.tracking_id not in listed
    ]
    found = [v for v in views if v is not None]
    found.sort(key=lambda v: v.requested_datetime, reverse=True)
    return found[:_MAX_RESULTS]


async def get_request(request: web.Request) -> web.Response:
    ctx = context(request)
    tracking_id = request.match_info["id"].strip().upper()
    if not TRACKING_ID.match(tracking_id):
        raise Problem(404, "no service request has this id")
    try:
        found = await _views(ctx, [tracking_id], _locale(request))
    except StoreUnavailable:
        raise ctx.unavailable("service requests cannot be read right now; try again") from None
    if not found:
        raise Problem(404, "no service request has this id")
    body = render(found, fmt=_fmt(request), root="service_requests", item="request")
    return _answer(request, body)


async def get_token(request: web.Request) -> web.Response:
    """Sportello answers a POST with the service_request_id at once, so a token is the id."""
    ctx = context(request)
    token = request.match_info["token"].strip().upper()
    if not TRACKING_ID.match(token):
        raise Problem(404, "no request has this token")
    try:
        found = await _views(ctx, [token], "it")
    except StoreUnavailable:
        raise ctx.unavailable("tokens cannot be read right now; try again") from None
    if not found:
        raise Problem(404, "no request has this token")
    answer = TokenAnswer(service_request_id=token, token=token)
    body = render([answer], fmt=_fmt(request), root="service_requests", item="request")
    return _answer(request, body)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/services.{FORMAT}", get_services)
    r.add_get(f"{PREFIX}/services/{{code:[^/]+?}}.{FORMAT}", get_service_definition)
    r.add_post(f"{PREFIX}/requests.{FORMAT}", releasing_signature(post_request))
    r.add_get(f"{PREFIX}/requests.{FORMAT}", get_requests)
    r.add_get(f"{PREFIX}/requests/{{id:[^/]+?}}.{FORMAT}", get_request)
    r.add_get(f"{PREFIX}/tokens/{{token:[^/]+?}}.{FORMAT}", get_token)
