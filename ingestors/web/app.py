"""The web intake: an aiohttp application over a `Publisher` and PostgreSQL.

`build_app` wires the doors — the JSON API (`api`), Open311 GeoReport v2 (`open311_routes`),
the citizens' form (`form_routes`), the bodies' status reports and the citizens' "not solved"
links (`cases_api`), and the OpenAPI description (`openapi`) — around one
`WebContext`, and one middleware that turns every error into a problem document (GeoReport
errors under /open311/), so that no input, however malformed, yields a traceback.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from ingestors.web import api, cases_api, dashboard, form_routes, open311_routes, openapi
from ingestors.web.auth import Authenticator
from ingestors.web.context import CONTEXT, Clock, WebContext
from ingestors.web.intake import Intake
from ingestors.web.patterns import nul_in
from ingestors.web.problems import Problem
from ingestors.web.ratelimit import RateLimiter
from ingestors.web.receipts import ReceiptStore
from ingestors.web.settings import WebSettings
from ingestors.web.status import CaseReader
from processors.bodies import load_bodies
from processors.taxonomy import load_taxonomy
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher
from schemas import topics
from sinks.postgres.read import CaseReader as RecordReader

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection without asyncpg's reset query (RESET ALL, UNLISTEN, ...): the
    intake sets no session state, and the query was one more round trip per group commit.
    asyncpg still rolls back a transaction left open."""


def _as_problem(exc: web.HTTPException) -> Problem:
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    detail = {
        404: "no such resource",
        405: "this resource does not accept that method",
    }.get(exc.status, exc.reason or "error")
    return Problem(exc.status, detail, headers=headers)


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem details; never let a traceback reach the caller."""
    try:
        if "\x00" in request.path or nul_in(list(request.query.items())):
            raise Problem(400, "the URL must not contain NUL characters")
        return await handler(request)
    except Problem as exc:
        found = exc
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        found = _as_problem(exc)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        found = Problem(500, "an unexpected error occurred; it has been logged")
    if open311_routes.is_open311(request):
        return open311_routes.error_response(request, found)
    return found.response()


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app(
    settings: WebSettings,
    publisher: Publisher,
    *,
    pool: asyncpg.Pool | None = None,
    clock: Clock = _utcnow,
    intake_topic: str = topics.INTAKE,
) -> web.Application:
    """The web intake application. The caller owns the publisher's start and stop; the
    PostgreSQL pool is made (lazily connecting) and closed with the app unless given.
    `intake_topic` is for benchmarks that must not feed the pipeline."""
    app = web.Application(
        middlewares=[problems_middleware],
        client_max_size=max(settings.max_body_bytes, settings.max_upload_bytes),
    )
    if pool is None:
        # The intake's writes need not wait for PostgreSQL's WAL flush: what it remembers must
        # outlive the intake, which a commit without the flush does; a crash of PostgreSQL
        # itself may forget the last instants, after which a retry publishes again under the
        # same tracking id, which dedup recognises. One flush per complaint would cap the
        # intake at the disk's flush rate.
        own = asyncpg.create_pool(
            settings.pg_dsn.get_secret_value(),
            min_size=0,
            max_size=20,
            command_timeout=10,
            server_settings={"synchronous_commit": "off"},
            reset=_keep_session,
        )

        async def open_pool(_: web.Application) -> None:
            await own

        async def close_pool(_: web.Application) -> None:
            await own.close()

        app.on_startup.append(open_pool)
        app.on_cleanup.append(close_pool)
        pool = own
    bodies = {b.id: b for b in load_bodies(settings.bodies_file)}
    categories = {
        c.code: c for c in load_taxonomy(settings.taxonomy_file, body_ids=frozenset(bodies))
    }
    unknown = sorted(set(settings.open311_service_aliases.values()) - set(categories))
    if unknown:
        raise ValueError(f"open311_service_aliases name unknown categories: {', '.join(unknown)}")
    body_clients = settings.body_clients()
    strangers = sorted({c.client_id for c in body_clients} - set(bodies))
    if not settings.development_body_key and strangers:
        raise ValueError(f"body_keys name unknown bodies: {', '.join(strangers)}")
    receipts = ReceiptStore(
        pool, lease_s=settings.idempotency_lease_s, timeout_s=settings.store_timeout_s
    )

    async def write_receipts(_: web.Application) -> None:
        await receipts.flush()

    app.on_cleanup.insert(0, write_receipts)  # once every request is done, before the pool closes
    app[CONTEXT] = WebContext(
        settings=settings,
        intake=Intake(publisher, receipts, clock=clock, topic=intake_topic),
        receipts=receipts,
        reader=CaseReader(pool, timeout_s=settings.store_timeout_s),
        blobs=BlobStore(settings.blob_dir),
        authenticator=Authenticator(settings.api_clients(), window_s=settings.signature_window_s),
        api_limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
        citizen_limiter=RateLimiter(
            settings.citizen_rate_limit_per_s, settings.citizen_rate_limit_burst
        ),
        bodies=bodies,
        categories=categories,
        clock=clock,
        publisher=publisher,
        record=RecordReader(pool, timeout_s=settings.store_timeout_s),
        body_authenticator=(
            Authenticator(body_clients, window_s=settings.signature_window_s)
            if body_clients
            else None
        ),
        reopen_key=settings.reopen_link_key(),
    )
    api.add_routes(app)
    cases_api.add_routes(app)
    open311_routes.add_routes(app)
    form_routes.add_routes(app)
    openapi.add_routes(app)
    dashboard.add_routes(
        app,
        pool,
        clock=clock,
        timezone=settings.metrics_timezone,
        refresh_s=settings.dashboard_refresh_s,
    )
    app.router.add_get("/healthz", health)
    return app
