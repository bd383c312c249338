"""A Prometheus `/metrics` endpoint for any Sportello process, in a few lines.

    registry = CollectorRegistry()
    requests = Counter("sportello_web_requests", "requests answered", ["status"], registry=registry)
    server = MetricsServer(registry, host="127.0.0.1", port=9466)
    await server.start()   # False (and a warning) if the port is taken: the service runs on
    ...
    await server.stop()

Each service keeps its own registry (never prometheus_client's global one, so tests and
several components in one process do not collide) and adds what describes its health:
what it handled, its errors, its consumer lag or backlog. `GET /metrics` answers in the
Prometheus text format, `GET /healthz` answers 200 while the process runs. The server is
aiohttp's, which every Sportello process already has.
"""

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

DEFAULT_PORTS = {
    "sink": 9464,
    "worker": 9465,
    "web": 9466,
    "smtp": 9467,
    "scans": 9468,
    "postal": 9469,
    "notifier": 9470,
}
"""Where each service serves its metrics unless told otherwise (`SPORTELLO_*_METRICS_PORT`)."""


class MetricsServer:
    def __init__(self, registry: CollectorRegistry, *, host: str, port: int) -> None:
        self._registry = registry
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def start(self) -> bool:
        """Serve; return False (with a warning) if the address cannot be bound, so that a
        second copy of a service on one machine runs on without an endpoint of its own."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            log.warning("no metrics endpoint on %s:%d: %s", self._host, self._port, exc)
            await runner.cleanup()
            return False
        self._runner = runner
        log.info("metrics on http://%s:%d/metrics", self._host, self.port)
        return True

    @property
    def port(self) -> int:
        """The port bound (useful when asked for port 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
