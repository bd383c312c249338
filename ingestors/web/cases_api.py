"""The departments' side and the citizen's side of a case, over HTTP.

`POST /v1/cases/{case_id}/status` — a body without Kafka reports a status change: the same
`StatusUpdate` a department publishes as `sportello.case.status` on `complaints.status` (the
`data` of that event). It is authenticated with the body's own key (`SPORTELLO_BODY_KEYS`;
in development with none, the development key acts for the body the report names), as a
bearer key or an HMAC signature whose client id is the body id.

The answer is synchronous but it is a forecast, and says so. The case agent alone changes a
case, in order with everything else about it; the endpoint reads the case as the store has it,
runs the lifecycle's rules on that state (`status_reports.forecast`), and only then publishes
the report on `complaints.status`. So:

- 202 means "published, and allowed from the state the store shows"; the case agent decides.
  If the case moved in between (another report, a citizen's reopen, a reassignment not yet
  stored), the agent refuses the report with a dead letter (`complaints.deadletter`, event id
  `refused:<event_id>`), changes nothing, and the case's history shows the refusal.
- 409 (and 403 for a case another body owns) is decided on the stored state, which trails
  the agent by the sink's lag: a report sent right after another may be refused from the state
  the agent has already left. The problem carries `case_status`; retry once the case's status
  (`GET /v1/complaints/{tracking_id}`) shows the earlier report applied.
- An `Idempotency-Key` makes a retry publish the same event id, which the agent applies once;
  a retry after the first was applied is answered from the new state (typically 409).

`GET /v1/cases/{case_id}/reopen?token=…` — the citizen's "not solved" link in the notification
of an answer (`sinks.notify`). The token is an HMAC of the case and the answer's step
(`sinks.notify.links`). The GET only shows the question (mail scanners follow links, and must
not reopen cases); the page's form POSTs to the same URL, which reopens the case as the
citizen through a `reopen` on `complaints.status`, once per answer (a deterministic event id).
"""

import logging
import re

from aiohttp import web
from pydantic import Field, ValidationError

from ingestors.web.auth import Caller, Refused
from ingestors.web.context import WebContext, context, idempotency_key, limit_rate, read_body
from ingestors.web.form import Lang, language
from ingestors.web.multipart import BodyError, media_type, parse_form
from ingestors.web.problems import Problem, validation_errors
from ingestors.web.reopen_pages import MAX_TEXT, confirm_page, done_page, refusal_page
from ingestors.web.settings import DEV_CLIENT_ID
from ingestors.web.status import first_tracking_id
from ingestors.web.status_reports import (
    Denial,
    acting_body,
    check_reporter,
    forecast,
    report_event_id,
)
from runtime.errors import BrokerUnavailable, StoreUnavailable
from schemas import topics
from schemas._strict import StrictModel
from schemas.case import CaseId, CaseStatus
from schemas.events import StatusReported
from schemas.status import Actor, StatusUpdate, Transition
from sinks.notify.links import Grant, verify
from sinks.postgres.views import CaseView

log = logging.getLogger(__name__)

SOURCE = "/ingestors/web/status"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
CASE_ID = re.compile(r"^CASE-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
_ANSWERED = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED})


class StatusAccepted(StrictModel):
    """A status report published on `complaints.status`, allowed from the stored state."""

    case_id: CaseId
    event_id: str
    previous_status: CaseStatus
    status: CaseStatus | None = Field(
        description="the status the case should reach once the case agent applies the "
        "report; null for a body's 'not ours', where the routing rules decide"
    )
    status_url: str


def _case_id(request: web.Request) -> str:
    case_id = request.match_info["case_id"]
    if not CASE_ID.match(case_id):
        raise Problem(404, "no case has this id")
    return case_id


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="sportello"'})


def _body_caller(request: web.Request, body: bytes | None) -> Caller | None:
    """The body calling, by its bearer key (before the body is read, `body` None) or its
    signature (once it is read); None while a signed request's body is unread."""
    ctx = context(request)
    authenticator = ctx.body_authenticator
    if authenticator is None:
        raise _unauthenticated("no body keys are configured (SPORTELLO_BODY_KEYS)")
    if authenticator.is_signed(request.headers):
        if body is None:
            return None
        found = authenticator.by_signature(
            request.headers,
            method=request.method,
            target=request.raw_path,
            body=body,
            now=ctx.clock(),
        )
    else:
        found = authenticator.by_bearer(request.headers.get("Authorization", ""))
    if isinstance(found, Refused):
        raise _unauthenticated(found.detail)
    return found


def _parse_update(raw: bytes) -> StatusUpdate:
    try:
        return StatusUpdate.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Problem(400, "the status report is not valid JSON") from None
        raise Problem(
            422, "the status report has invalid fields", errors=validation_errors(exc.errors())
        ) from None


def _refuse(denial: Denial, case: CaseView | None = None) -> Problem:
    extensions: dict[str, object] = {"code": denial.code}
    if case is not None:
        extensions["case_status"] = case.snapshot.status.value
    errors = [{"pointer": denial.pointer, "detail": denial.detail}] if denial.pointer else []
    return Problem(denial.status, denial.detail, errors=errors, extensions=extensions)


async def _case(ctx: WebContext, case_id: str) -> CaseView | None:
    try:
        return await ctx.record.case_by_id(case_id)
    except StoreUnavailable as exc:
        log.warning("case lookup failed: %s", exc)
        raise ctx.unavailable("the case cannot be read right now; nothing was recorded") from None


async def _publish(ctx: WebContext, event: StatusReported) -> None:
    try:
        await ctx.publisher.publish(topics.STATUS, event)
    except BrokerUnavailable as exc:
        log.warning("could not publish a status report: %s", exc)
        raise ctx.unavailable(
            "the report could not be stored right now; nothing was recorded, try again"
        ) from None


async def post_case_status(request: web.Request) -> web.Response:
    ctx = context(request)
    case_id = _case_id(request)
    caller = _body_caller(request, None)
    if caller is not None:
        limit_rate(request, "body:" + caller.client_id)
    if media_type(request.headers.get("Content-Type", "")) != JSON:
        raise Problem(
            415, "send the status report as application/json", headers={"Accept-Post": JSON}
        )
    key = idempotency_key(request)
    body = await read_body(request, ctx.settings.max_body_bytes)
    if caller is None:
        caller = _body_caller(request, body)
        assert caller is not None
        limit_rate(request, "body:" + caller.client_id)
    update = _parse_update(body)
    any_body = DEV_CLIENT_ID if ctx.settings.development_body_key else None
    acting_for = acting_body(caller.client_id, update.body, any_body_client=any_body)
    denial = check_reporter(case_id, update, acting_for)
    if denial is None and update.body not in ctx.bodies:
        denial = Denial(422, "unknown_body", f"no body is called {update.body}", "/body")
    if denial is not None:
        raise _refuse(denial)
    case = await _case(ctx, case_id)
    if case is None:
        raise Problem(404, "no case has this id (or it is not stored yet)")
    found = forecast(case.snapshot, update, now=ctx.clock(), known_bodies=frozenset(ctx.bodies))
    if isinstance(found, Denial):
        raise _refuse(found, case)
    event = StatusReported.new(
        update,
        source=SOURCE,
        subject=case_id,
        time=ctx.clock(),
        event_id=report_event_id(caller.client_id, key, body),
    )
    await _publish(ctx, event)
    answer = StatusAccepted(
        case_id=case_id,
        event_id=event.id,
        previous_status=found.previous,
        status=found.status,
        status_url=ctx.status_url(first_tracking_id(case_id)),
    )
    return web.Response(status=202, body=answer.model_dump_json(), content_type=JSON)


# -- the citizen's "not solved" link ------------------------------------------------------


def _html(text: str, status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, text=text, content_type="text/html", charset="utf-8", headers=headers
    )


class _Page(Exception):
    """A page that ends the request (refusals), raised from the checks below."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _lang(request: web.Request, chosen: str | None = None) -> Lang:
    return language(chosen or request.query.get("lang"), request.headers.get("Accept-Language", ""))


async def _contested(
    request: web.Request, case_id: str, token: str, lang: Lang
) -> tuple[CaseView, Grant]:
    """The case and the answer a link contests, or the page that says why not."""
    ctx = context(request)
    grant = (
        verify(ctx.reopen_key, case_id, token, now=ctx.clock())
        if ctx.reopen_key is not None and CASE_ID.match(case_id)
        else None
    )
    if not isinstance(grant, Grant):
        raise _Page(_html(refusal_page(lang, "invalid"), 403))
    try:
        case = await ctx.record.case_by_id(case_id)
    except StoreUnavailable as exc:
        log.warning("case lookup failed: %s", exc)
        retry = {"Retry-After": str(ctx.settings.retry_after_s)}
        raise _Page(_html(refusal_page(lang, "error"), 503, retry)) from None
    if case is None:
        raise _Page(_html(refusal_page(lang, "not_found"), 404))
    answer = case.snapshot.answer
    if case.snapshot.status not in _ANSWERED or answer is None or answer.seq != grant.seq:
        raise _Page(_html(refusal_page(lang, "nothing", status=case.snapshot.status.value), 409))
    return case, grant


async def get_reopen(request: web.Request) -> web.Response:
    lang = _lang(request)
    case_id = request.match_info["case_id"]
    token = request.query.get("token", "")
    try:
        case, _ = await _contested(request, case_id, token, lang)
    except _Page as refused:
        return refused.response
    answer = case.snapshot.answer
    assert answer is not None
    action = f"/v1/cases/{case_id}/reopen"
    page = confirm_page(
        lang,
        action=action,
        token=token,
        tracking_id=case.snapshot.tracking_ids[0],
        answer=answer.text,
        body=answer.body,
    )
    return _html(page, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


async def post_reopen(request: web.Request) -> web.Response:
    ctx = context(request)
    case_id = request.match_info["case_id"]
    lang = _lang(request)
    try:
        limit_rate(request, request.remote or "unknown", citizen=True)
        if media_type(request.headers.get("Content-Type", "")) != FORM:
            raise Problem(415, "post the form as application/x-www-form-urlencoded")
        raw = await read_body(request, ctx.settings.max_body_bytes)
        try:
            fields = dict(reversed(parse_form(raw)))
        except BodyError as exc:
            raise Problem(400, f"the form cannot be read: {exc}") from None
    except Problem as exc:
        return _html(refusal_page(lang, "error"), exc.status, exc.headers)
    lang = _lang(request, fields.get("lang"))
    try:
        case, grant = await _contested(request, case_id, fields.get("token", ""), lang)
    except _Page as refused:
        return refused.response
    said = " ".join(fields.get("text", "").split())[:MAX_TEXT]
    reason = "the citizen says it is not solved (link in the notification)"
    update = StatusUpdate(
        case_id=case_id,
        transition=Transition.REOPEN,
        actor=Actor.CITIZEN,
        reason=f"{reason}: {said}" if said else reason,
        reported_at=ctx.clock(),
    )
    found = forecast(case.snapshot, update, now=ctx.clock(), known_bodies=frozenset(ctx.bodies))
    if isinstance(found, Denial):
        status = case.snapshot.status.value
        return _html(refusal_page(lang, "nothing", status=status), 409)
    event = StatusReported.new(
        update,
        source=SOURCE,
        subject=case_id,
        time=ctx.clock(),
        # One reopen per answer, however often the citizen presses the button.
        event_id=f"reopen-link:{case_id}:{grant.seq}",
    )
    try:
        await _publish(ctx, event)
    except Problem as exc:
        return _html(refusal_page(lang, "error"), exc.status, exc.headers)
    tracking_id = case.snapshot.tracking_ids[0]
    path = f"/complaints/{tracking_id}?lang={lang}"
    return _html(done_page(lang, tracking_id=tracking_id, status_path=path), 202)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/cases/{case_id}/status", post_case_status)
    app.router.add_get("/v1/cases/{case_id}/reopen", get_reopen)
    app.router.add_post("/v1/cases/{case_id}/reopen", post_reopen)
