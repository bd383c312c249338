"""The web intake's Prometheus instruments: requests by route and status, their latency, and
publishing to Kafka (`runtime.instruments`).

    registry = service_registry("web")
    web_metrics = WebInstruments(registry)
    app = build_app(settings, Publisher(..., observer=web_metrics.publishing))
    web_metrics.install(app)        # before the app starts

Routes are labelled by their pattern (`/v1/complaints/{tracking_id}`), never by the path
asked for, so that neither tracking numbers nor a scanner's random paths become labels.
"""

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from runtime.instruments import LATENCY_BUCKETS, PublishInstruments

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNMATCHED = "unmatched"
_STREAMS = frozenset({"/dashboard/events"})
"""Routes that stay open (Server-Sent Events): counted, but kept out of the latency."""


def route_of(request: web.Request) -> str:
    info = request.match_info
    route = info.route if info.http_exception is None else None
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else UNMATCHED


class WebInstruments:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.publishing = PublishInstruments(registry, "web")
        self.requests = Counter(
            "sportello_web_requests",
            "requests answered, by method, route pattern and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "sportello_web_request_seconds",
            "time to answer a request, by route pattern",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "sportello_web_requests_in_flight",
            "requests being answered (open dashboard streams included)",
            registry=registry,
        )

    def install(self, app: web.Application) -> None:
        """Measure every request of `app`, outside its other middlewares, so that what is
        counted is the status the caller got (problem documents included)."""
        app.middlewares.insert(0, self.middleware)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        route = route_of(request)
        status = 500
        self.in_flight.inc()
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self.in_flight.dec()
            self.requests.labels(request.method, route, str(status)).inc()
            if route not in _STREAMS:
                self.seconds.labels(route).observe(time.monotonic() - started)
