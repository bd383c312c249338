"""`python -m ingestors.web`: the web intake on SPORTELLO_WEB_HOST:SPORTELLO_WEB_PORT."""

import asyncio
import logging
import sys
from datetime import UTC, datetime, timedelta

from aiohttp import web

from ingestors.web.app import build_app
from ingestors.web.context import CONTEXT
from ingestors.web.housekeeping import purge_receipts
from ingestors.web.metrics import WebInstruments
from ingestors.web.settings import DEV_API_KEY, WebSettings
from runtime.gctuning import tune_for_serving
from runtime.instruments import service_registry
from runtime.logs import configure_logging
from runtime.metrics_http import MetricsServer
from runtime.publisher import Publisher
from runtime.shutdown import wait_for_shutdown

log = logging.getLogger("ingestors.web")


async def serve(settings: WebSettings) -> None:
    registry = service_registry("web")
    instruments = WebInstruments(registry)
    publisher = Publisher(
        settings.kafka_bootstrap,
        client_id="sportello-web",
        timeout_s=settings.publish_timeout_s,
        observer=instruments.publishing,
    )
    app = build_app(settings, publisher)
    instruments.install(app)
    metrics = None
    if settings.web_metrics_port is not None:
        metrics = MetricsServer(
            registry, host=settings.web_metrics_host, port=settings.web_metrics_port
        )
        await metrics.start()
    if settings.using_development_key:
        for _ in range(3):
            log.warning(
                "NO API KEYS CONFIGURED: accepting the development key %r from anyone. "
                "Set SPORTELLO_API_KEYS before exposing this server.",
                DEV_API_KEY,
            )
    if settings.development_body_key:
        log.warning(
            "NO BODY KEYS CONFIGURED: the development key %r may report status for any body. "
            "Set SPORTELLO_BODY_KEYS before exposing this server.",
            DEV_API_KEY,
        )
    if settings.reopen_link_key() is None:
        log.warning("no SPORTELLO_REOPEN_SECRET: citizens' 'not solved' links are refused")
    await publisher.start()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    tune_for_serving()
    clients = ", ".join(c.client_id for c in settings.api_clients())
    log.info(
        "web intake listening on http://%s:%d (API clients: %s)",
        settings.web_host,
        settings.web_port,
        clients,
    )
    stop = asyncio.Event()
    purging = asyncio.create_task(
        purge_receipts(
            app[CONTEXT].receipts,
            keep=timedelta(days=settings.idempotency_retention_days),
            interval_s=settings.receipts_purge_interval_s,
            clock=lambda: datetime.now(UTC),
            stop=stop,
        )
    )
    try:
        await wait_for_shutdown()
    finally:
        stop.set()
        await purging
        await runner.cleanup()
        await publisher.stop()
        if metrics is not None:
            await metrics.stop()
        log.info("web intake stopped")


def main() -> None:
    settings = WebSettings()
    configure_logging(settings.log_level)
    try:
        settings.api_clients()
    except ValueError as exc:
        log.critical("refusing to start: %s", exc)
        sys.exit(2)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
