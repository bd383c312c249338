"""The web intake: an aiohttp application over a `Publisher`.

`build_app` wires routes and middleware; handlers validate, build a `Submission` with the
pure functions of `complaint_request`, publish, and answer 202 only after Kafka acknowledged.
"""

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from ingestors.web.complaint_request import ComplaintRequest, to_submission
from ingestors.web.problems import problem, validation_errors
from ingestors.web.settings import WebSettings
from runtime.errors import BrokerUnavailable
from runtime.publisher import Publisher
from schemas import topics
from schemas.events import SubmissionReceived

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SOURCE = "/ingestors/web"
PUBLISHER_KEY = web.AppKey("publisher", Publisher)
SETTINGS_KEY = web.AppKey("settings", WebSettings)
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
API_KEYS_KEY: web.AppKey[tuple[str, ...]] = web.AppKey("api_keys")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem details; never let a traceback reach the caller."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(exc.status, exc.reason or exc.text or "error")
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "an unexpected error occurred; it has been logged")


def _authorized(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    # Compare against every key, always, so timing says nothing about which one matched.
    matched = False
    for key in request.app[API_KEYS_KEY]:
        matched |= hmac.compare_digest(presented.strip().encode(), key.encode())
    return matched


async def post_complaint(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    if not _authorized(request):
        return problem(
            401,
            "present an API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": 'Bearer realm="sportello"'},
        )
    if request.content_type != "application/json":
        return problem(415, "send the complaint as application/json")
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        return problem(413, f"the body is larger than {settings.max_body_bytes} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return problem(413, f"the body is larger than {settings.max_body_bytes} bytes")
    try:
        complaint = ComplaintRequest.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return problem(400, "the body is not valid JSON")
        return problem(
            422, "the complaint has invalid fields", errors=validation_errors(exc.errors())
        )
    key = request.headers.get("Idempotency-Key")
    ref = f"key:{key}" if key else f"req:{uuid.uuid4().hex}"
    now = request.app[CLOCK_KEY]()
    submission = to_submission(complaint, idempotency_ref=ref, received_at=now)
    event = SubmissionReceived.new(
        submission, source=SOURCE, subject=submission.submission_id, time=now
    )
    try:
        await request.app[PUBLISHER_KEY].publish(topics.INTAKE, event)
    except BrokerUnavailable as exc:
        log.warning("could not publish %s: %s", submission.submission_id, exc)
        return problem(
            503,
            "the complaint could not be stored right now; nothing was recorded, try again",
            headers={"Retry-After": str(settings.retry_after_s)},
        )
    tracking_id = submission.submission_id
    return web.json_response(
        {
            "tracking_id": tracking_id,
            "status_url": f"{settings.public_url.rstrip('/')}/v1/complaints/{tracking_id}",
        },
        status=202,
    )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def not_found(request: web.Request) -> web.Response:
    return problem(404, f"no such resource: {request.path}")


def build_app(
    settings: WebSettings, publisher: Publisher, *, clock: Clock = _utcnow
) -> web.Application:
    """The web intake application. The caller owns the publisher's start and stop."""
    api_keys = settings.effective_api_keys()
    app = web.Application(
        middlewares=[problems_middleware], client_max_size=settings.max_body_bytes
    )
    app[SETTINGS_KEY] = settings
    app[PUBLISHER_KEY] = publisher
    app[CLOCK_KEY] = clock
    app[API_KEYS_KEY] = api_keys
    app.router.add_post("/v1/complaints", post_complaint)
    app.router.add_get("/healthz", health)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app
