"""The JSON API: `POST /v1/complaints` and `GET /v1/complaints/{tracking_id}`."""

import asyncio
import json
import logging
import re

from aiohttp import web
from pydantic import ValidationError

from ingestors.web.auth import Caller
from ingestors.web.complaint_request import (
    NUL_FREE,
    ComplaintRequest,
    fingerprint,
)
from ingestors.web.context import (
    WebContext,
    bearer_caller,
    context,
    idempotency_key,
    limit_rate,
    read_body,
    releasing_signature,
    signed_caller,
)
from ingestors.web.intake import Accepted, IdempotencyConflict, Incoming
from ingestors.web.multipart import BodyError, Part, media_type, parse_multipart
from ingestors.web.problems import Problem, validation_errors
from ingestors.web.status import ComplaintStatus, status_view
from runtime.errors import BrokerUnavailable, StoreUnavailable
from schemas.blob import BlobRef

log = logging.getLogger(__name__)

JSON = "application/json"
MULTIPART = "multipart/form-data"
TRACKING_ID = re.compile(r"^SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


async def submit(ctx: WebContext, caller: Caller, incoming: Incoming, key: str | None) -> Accepted:
    """`Intake.submit` with its errors as problems; shared by every door."""
    try:
        return await ctx.intake.submit(caller, incoming, key=key)
    except IdempotencyConflict as exc:
        if exc.reason == "different_request":
            raise Problem(
                422,
                "this Idempotency-Key was already used for a different request",
                type_="https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
            ) from None
        raise Problem(
            409,
            "a request with this Idempotency-Key is being processed; retry shortly",
            headers={"Retry-After": "1"},
        ) from None
    except BrokerUnavailable as exc:
        log.warning("could not publish: %s", exc)
        raise ctx.unavailable(
            "the complaint could not be stored right now; nothing was recorded, try again"
        ) from None
    except StoreUnavailable as exc:
        log.warning("idempotency store unavailable: %s", exc)
        raise ctx.unavailable(
            "the idempotency key could not be checked right now; nothing was recorded, try again"
        ) from None


def parse_complaint(raw: bytes, *, pointer: str = "") -> ComplaintRequest:
    # A NUL can only come as the escape \u0000 (a raw one is invalid JSON): without one in
    # the body, the model need not look through every string for it.
    nul_free = NUL_FREE if b"\\u0000" not in raw else None
    try:
        return ComplaintRequest.model_validate_json(raw, context=nul_free)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Problem(400, "the complaint is not valid JSON") from None
        raise Problem(
            422,
            "the complaint has invalid fields",
            errors=validation_errors(exc.errors(), prefix=pointer),
        ) from None


async def store_attachments(ctx: WebContext, files: list[Part]) -> list[BlobRef]:
    s = ctx.settings
    if len(files) > s.max_attachments:
        raise Problem(
            422,
            f"at most {s.max_attachments} attachments",
            errors=[{"pointer": "/attachments", "detail": "too many attachments"}],
        )
    for part in files:
        if len(part.content) > s.max_attachment_bytes:
            raise Problem(
                413,
                f"an attachment is larger than {s.max_attachment_bytes} bytes",
                errors=[{"pointer": "/attachments", "detail": f"{part.filename or part.name}"}],
            )

    def put_all() -> list[BlobRef]:
        return [
            ctx.blobs.put(p.content, p.content_type, (p.filename or "")[:255] or None)
            for p in files
        ]

    return await asyncio.to_thread(put_all)


async def _from_multipart(
    ctx: WebContext, body: bytes, content_type: str
) -> tuple[ComplaintRequest, list[BlobRef]]:
    try:
        parts = parse_multipart(body, content_type, max_parts=ctx.settings.max_attachments + 20)
    except BodyError as exc:
        raise Problem(400, f"the multipart body cannot be read: {exc}") from None
    complaints = [p for p in parts if p.name == "complaint"]
    files = [p for p in parts if p.name == "attachments"]
    unknown = sorted({p.name for p in parts} - {"complaint", "attachments"})
    errors = [{"pointer": f"/{name}", "detail": "unknown part"} for name in unknown]
    if len(complaints) != 1:
        errors.append({"pointer": "/complaint", "detail": "exactly one 'complaint' part"})
    if errors:
        raise Problem(422, "the multipart body has the wrong parts", errors=errors)
    complaint = parse_complaint(complaints[0].content, pointer="/complaint")
    return complaint, await store_attachments(ctx, files)


async def post_complaint(request: web.Request) -> web.Response:
    ctx = context(request)
    s = ctx.settings
    caller = bearer_caller(request)
    if caller is not None:
        limit_rate(request, caller.client_id)
    kind = media_type(request.headers.get("Content-Type", ""))
    if kind not in (JSON, MULTIPART):
        raise Problem(
            415,
            "send the complaint as application/json or multipart/form-data",
            headers={"Accept-Post": f"{JSON}, {MULTIPART}"},
        )
    key = idempotency_key(request)
    body = await read_body(request, s.max_upload_bytes if kind == MULTIPART else s.max_body_bytes)
    if caller is None:
        caller = signed_caller(request, body)
        limit_rate(request, caller.client_id)
    attachments: list[BlobRef] = []
    if kind == JSON:
        complaint = parse_complaint(body)
    else:
        complaint, attachments = await _from_multipart(ctx, body, request.headers["Content-Type"])
    incoming = Incoming(
        complaint=complaint,
        fingerprint=""
        if key is None
        else fingerprint("POST /v1/complaints", complaint.model_dump_json().encode(), attachments),
        attachments=attachments,
        service_code=complaint.category_hint,
    )
    accepted = await submit(ctx, caller, incoming, key)
    status_url = ctx.status_url(accepted.tracking_id)
    headers = {"Location": status_url}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    # A `ComplaintAccepted` (the OpenAPI description says so), written without building the
    # model: both values are ours, and validating them again cost more than the rest of
    # the answer.
    answer = json.dumps({"tracking_id": accepted.tracking_id, "status_url": status_url})
    return web.Response(status=202, body=answer.encode(), content_type=JSON, headers=headers)


async def lookup_status(ctx: WebContext, tracking_id: str) -> ComplaintStatus | None:
    """The public status of a complaint; raises `StoreUnavailable`."""
    case = (await ctx.reader.cases([tracking_id])).get(tracking_id)
    history = await ctx.reader.history(case.case_id) if case else []
    receipt = None if case else (await ctx.receipts.receipts([tracking_id])).get(tracking_id)
    return status_view(
        tracking_id, case, history, receipt, bodies=ctx.bodies, categories=ctx.categories
    )


async def get_status(request: web.Request) -> web.Response:
    ctx = context(request)
    tracking_id = request.match_info["tracking_id"].strip().upper()
    if not TRACKING_ID.match(tracking_id):
        raise Problem(404, "no complaint has this tracking number")
    try:
        view = await lookup_status(ctx, tracking_id)
    except StoreUnavailable as exc:
        log.warning("status lookup failed: %s", exc)
        raise ctx.unavailable("the status cannot be read right now; try again") from None
    if view is None:
        raise Problem(404, "no complaint has this tracking number")
    return web.Response(body=view.model_dump_json(), content_type=JSON)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/complaints", releasing_signature(post_complaint))
    app.router.add_get("/v1/complaints/{tracking_id}", get_status)
