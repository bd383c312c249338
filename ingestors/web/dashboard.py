"""`/dashboard`: the operations page, its live feed and its two static files.

    GET /dashboard                 the page, every figure in it (works without JavaScript)
    GET /dashboard/events          Server-Sent Events: `figures` with the page's new <main>,
                                   or `unavailable` while PostgreSQL does not answer
    GET /dashboard/figures.json    the same overview as JSON (`sinks.postgres.overview`)
    GET /dashboard/static/…        the page's stylesheet and script (Sportello's own)

The figures are those of `complaints.metrics` for the same windows, computed the same way
from the store (`sinks.postgres.overview`). One `OverviewFeed` per process reads them at most
once every `dashboard_refresh_s`, however many people watch, and every open page is sent what
it read.
"""

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiohttp import web

from ingestors.web.context import Clock, context
from ingestors.web.dashboard_page import dashboard_page, unavailable_page, updated_text
from ingestors.web.dashboard_sections import Names, figures_html
from runtime.errors import StoreUnavailable
from sinks.postgres.overview import Overview, read_overview

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    # Everything the page uses is its own: no inline script or style, nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}


def sse_frame(event: str, data: str) -> bytes:
    """One Server-Sent Event; every line of `data` gets its own `data:` field."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


class OverviewFeed:
    """The latest overview, read at most once per `max_age_s` (a failure is remembered as
    long, so that a PostgreSQL outage costs one attempt per period, not one per viewer)."""

    def __init__(
        self,
        load: Callable[[], Awaitable[Overview]],
        *,
        max_age_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._max_age = max_age_s
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._latest: Overview | StoreUnavailable | None = None
        self._read_at = -math.inf

    async def latest(self) -> Overview:
        """The overview; raises `StoreUnavailable` if it could not be read lately."""
        async with self._lock:
            if self._latest is None or self._monotonic() - self._read_at >= self._max_age:
                try:
                    self._latest = await self._load()
                except StoreUnavailable as exc:
                    log.warning("dashboard figures unavailable: %s", exc)
                    self._latest = exc
                self._read_at = self._monotonic()
            found = self._latest
        if isinstance(found, StoreUnavailable):
            raise found
        return found


@dataclass
class Dashboard:
    feed: OverviewFeed
    refresh_s: float
    timezone: str
    closing: asyncio.Event = field(default_factory=asyncio.Event)


DASHBOARD = web.AppKey("dashboard", Dashboard)


def _names(request: web.Request) -> Names:
    ctx = context(request)
    return Names(
        categories={c.code: (c.name_it, c.name_en) for c in ctx.categories.values()},
        bodies={b.id: (b.name, b.name) for b in ctx.bodies.values()},
    )


def _reload_s(refresh_s: float) -> int:
    return max(30, int(refresh_s * 4))


async def page(request: web.Request) -> web.Response:
    board = request.app[DASHBOARD]
    try:
        overview = await board.feed.latest()
    except StoreUnavailable:
        return web.Response(
            status=503,
            text=unavailable_page(timezone=board.timezone, reload_s=_reload_s(board.refresh_s)),
            content_type="text/html",
            headers={**SECURITY_HEADERS, "Retry-After": str(int(board.refresh_s) + 1)},
        )
    return web.Response(
        text=dashboard_page(overview, _names(request), reload_s=_reload_s(board.refresh_s)),
        content_type="text/html",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


async def figures_json(request: web.Request) -> web.Response:
    board = request.app[DASHBOARD]
    try:
        overview = await board.feed.latest()
    except StoreUnavailable:
        raise context(request).unavailable("the figures cannot be read right now") from None
    return web.Response(
        text=overview.model_dump_json(),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _message(overview: Overview, names: Names) -> bytes:
    payload = {
        "at": overview.at.isoformat(),
        "updated": updated_text(overview),
        "html": figures_html(overview, names),
    }
    return sse_frame("figures", json.dumps(payload, ensure_ascii=False))


async def events(request: web.Request) -> web.StreamResponse:
    board = request.app[DASHBOARD]
    names = _names(request)
    response = web.StreamResponse(
        headers={
            **SECURITY_HEADERS,
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # proxies must pass each event on at once
        }
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):
        await response.write(f"retry: {int(board.refresh_s * 1000)}\n\n".encode())
        while not board.closing.is_set():
            try:
                message = _message(await board.feed.latest(), names)
            except StoreUnavailable:
                message = sse_frame("unavailable", json.dumps({"detail": "store unavailable"}))
            await response.write(message)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(board.closing.wait(), board.refresh_s)
    return response


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = STATIC_DIR / name
    kind = _STATIC_TYPES.get(path.suffix)
    if kind is None or path.parent != STATIC_DIR or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        content_type=kind,
        charset="utf-8",
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def add_routes(
    app: web.Application,
    pool: asyncpg.Pool,
    *,
    clock: Clock,
    timezone: str,
    refresh_s: float,
    days: int = 7,
) -> None:
    """Serve the dashboard from `app`, reading the store through `pool` at `clock()`."""

    async def load() -> Overview:
        return await read_overview(pool, clock(), timezone=timezone, days=days)

    board = Dashboard(OverviewFeed(load, max_age_s=refresh_s), refresh_s, timezone)
    app[DASHBOARD] = board

    async def close_streams(_: web.Application) -> None:
        board.closing.set()

    app.on_shutdown.append(close_streams)
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/events", events)
    app.router.add_get("/dashboard/figures.json", figures_json)
    app.router.add_get("/dashboard/static/{name}", static)
