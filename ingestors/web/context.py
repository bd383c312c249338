"""What every handler of the web intake shares, built once by `app.build_app`, and the
request plumbing they all use: bounded body reading, authentication, rate limits and the
`Idempotency-Key` header. Each step raises `Problem` with the right status."""

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from ingestors.web.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, Authenticator, Caller, Refused
from ingestors.web.intake import Intake
from ingestors.web.problems import Problem
from ingestors.web.ratelimit import RateLimiter, retry_after_header
from ingestors.web.receipts import ReceiptStore
from ingestors.web.replay import Admission, ReplayGuard
from ingestors.web.settings import WebSettings
from ingestors.web.status import CaseReader
from processors.bodies import Body
from processors.taxonomy import Category
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher
from sinks.postgres.read import CaseReader as RecordReader

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CHUNK = 64 * 1024
_MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class WebContext:
    settings: WebSettings
    intake: Intake
    receipts: ReceiptStore
    reader: CaseReader
    blobs: BlobStore
    authenticator: Authenticator
    api_limiter: RateLimiter
    citizen_limiter: RateLimiter
    bodies: Mapping[str, Body]
    categories: Mapping[str, Category]
    clock: Clock
    publisher: Publisher
    record: RecordReader
    """The store's read side: the case a status report or a "not solved" link is about."""
    body_authenticator: Authenticator | None
    """The bodies' keys (None: no body may report over HTTP)."""
    reopen_key: bytes | None
    """The key of the citizens' "not solved" links (None: links are refused)."""
    monotonic: Monotonic = field(default=time.monotonic)
    replays: ReplayGuard = field(default_factory=ReplayGuard)

    def status_url(self, tracking_id: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}/v1/complaints/{tracking_id}"

    def unavailable(self, detail: str) -> Problem:
        return Problem(503, detail, headers={"Retry-After": str(self.settings.retry_after_s)})


CONTEXT = web.AppKey("context", WebContext)
_ADMITTED_SIGNATURE = web.RequestKey("admitted_signature", str)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to be larger than `limit` bytes."""
    length = request.content_length
    if length is not None:
        if length > limit:
            raise _too_large(limit)
        return await request.read()  # aiohttp's own path; it stops at Content-Length
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem(413, f"the body is larger than {limit} bytes")


def _refuse(refused: Refused) -> Problem:
    return Problem(401, refused.detail, headers={"WWW-Authenticate": 'Bearer realm="sportello"'})


def bearer_caller(request: web.Request) -> Caller | None:
    """The caller of an unsigned request (401 if its key is wrong); None for a signed one,
    which `signed_caller` checks once the body is read."""
    ctx = context(request)
    if ctx.authenticator.is_signed(request.headers):
        return None
    found = ctx.authenticator.by_bearer(request.headers.get("Authorization", ""))
    if isinstance(found, Refused):
        raise _refuse(found)
    return found


def signed_caller(request: web.Request, body: bytes) -> Caller:
    """The caller of a signed request (401 if the signature is wrong, or was already used in
    the window: `ReplayGuard`). A door wrapped in `releasing_signature` lets the signature
    come again when it refuses the request, so that the client may retry it unchanged."""
    ctx = context(request)
    now = ctx.clock()
    found = ctx.authenticator.by_signature(
        request.headers, method=request.method, target=request.raw_path, body=body, now=now
    )
    if isinstance(found, Refused):
        raise _refuse(found)
    signature = request.headers[SIGNATURE_HEADER].strip()
    admission = ctx.replays.admit(
        signature,
        key=idempotency_key(request),
        expires_at=int(request.headers[TIMESTAMP_HEADER]) + ctx.settings.signature_window_s,
        now=now.timestamp(),
    )
    if admission is Admission.REPLAY:
        raise _refuse(
            Refused(
                "this signed request was already received (a replay is refused): sign each "
                "new request with a fresh timestamp, and retry an accepted one with the same "
                "Idempotency-Key"
            )
        )
    if admission is Admission.NEW:
        request[_ADMITTED_SIGNATURE] = signature
    return found


def release_signature(request: web.Request) -> None:
    """The request was refused and changed nothing: its signature may come again."""
    signature = request.get(_ADMITTED_SIGNATURE)
    if signature is not None:
        context(request).replays.forget(signature)


def releasing_signature(handler: Handler) -> Handler:
    """Wrap a door that takes signed requests: one it refuses with a `Problem` published
    nothing, so the client's unchanged retry (after a 503 or a 429) is not a replay."""

    @functools.wraps(handler)
    async def door(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Problem:
            release_signature(request)
            raise

    return door


def key_caller(request: web.Request, presented: str) -> Caller:
    """Open311's `api_key` form field."""
    found = context(request).authenticator.by_key(presented)
    if found is None:
        raise _refuse(Refused("the api_key is not valid"))
    return found


def limit_rate(request: web.Request, client_id: str, *, citizen: bool = False) -> None:
    ctx = context(request)
    limiter = ctx.citizen_limiter if citizen else ctx.api_limiter
    wait = limiter.take(client_id, ctx.monotonic())
    if wait > 0:
        raise Problem(
            429,
            "too many requests from this client; slow down",
            headers={"Retry-After": retry_after_header(wait)},
        )


def idempotency_key(request: web.Request) -> str | None:
    """The `Idempotency-Key` header, as a bare string or an RFC 8941 sf-string."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > _MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise Problem(
            400,
            f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} visible ASCII characters",
            errors=[{"pointer": "#/headers/Idempotency-Key", "detail": "invalid key"}],
        )
    return key


def client_address(request: web.Request) -> str:
    """Whom a citizen's rate limit belongs to. Behind a proxy, configure the proxy to set
    the peer address (aiohttp's forwarded-header middleware); we never trust the header."""
    return request.remote or "unknown"
