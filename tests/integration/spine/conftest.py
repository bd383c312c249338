"""A real web intake on a free port, publishing to the real broker."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ingestors.web.app import build_app
from ingestors.web.settings import DEV_API_KEY, WebSettings
from runtime.publisher import Publisher


@dataclass
class WebIntake:
    url: str
    session: aiohttp.ClientSession

    async def post(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, str], Any]:
        """POST with the development key; returns status, headers and the parsed body."""
        all_headers = {"Authorization": f"Bearer {DEV_API_KEY}", **(headers or {})}
        async with self.session.post(self.url + path, headers=all_headers, **kwargs) as r:
            body = await r.json(content_type=None) if r.content_length != 0 else None
            return r.status, dict(r.headers), body


@dataclass
class RunningWebIntake:
    runner: web.AppRunner
    url: str
    publisher: Publisher

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.publisher.stop()


async def start_web_intake(bootstrap: str, **settings: Any) -> RunningWebIntake:
    config = WebSettings(kafka_bootstrap=bootstrap, web_port=0, **settings)
    publisher = Publisher(bootstrap, client_id="test-web", timeout_s=config.publish_timeout_s)
    await publisher.start()
    runner = web.AppRunner(build_app(config, publisher))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return RunningWebIntake(runner, f"http://127.0.0.1:{port}", publisher)


@pytest.fixture(scope="session")
async def web_intake(kafka_bootstrap: str) -> AsyncIterator[WebIntake]:
    running = await start_web_intake(kafka_bootstrap, max_body_bytes=64 * 1024)
    async with aiohttp.ClientSession() as session:
        yield WebIntake(running.url, session)
    await running.close()
