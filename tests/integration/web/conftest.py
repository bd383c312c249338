"""Real web intakes on free ports, publishing to the real broker and remembering in the real
PostgreSQL; helpers to read back what they published."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiokafka import ConsumerRecord, TopicPartition

from ingestors.web.app import build_app
from ingestors.web.settings import DEV_API_KEY, WebSettings
from runtime.publisher import Publisher
from schemas import SubmissionReceived, decode_event, topics
from tests.support import end_offsets, read_until

PROBLEM = "application/problem+json"


@dataclass
class WebIntake:
    url: str
    session: aiohttp.ClientSession
    settings: WebSettings
    key: str = DEV_API_KEY

    async def post(
        self, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, str], Any]:
        """POST with this intake's API key; returns status, headers and the parsed body."""
        all_headers = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        async with self.session.post(self.url + path, headers=all_headers, **kwargs) as r:
            return r.status, dict(r.headers), await _body(r)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        async with self.session.get(self.url + path, **kwargs) as r:
            return r.status, dict(r.headers), await _body(r)


async def _body(r: aiohttp.ClientResponse) -> Any:
    raw = await r.read()
    if not raw:
        return None
    if "json" in r.headers.get("Content-Type", ""):
        return await r.json(content_type=None)
    return raw.decode(errors="replace")


@dataclass
class RunningWebIntake:
    runner: web.AppRunner
    url: str
    publisher: Publisher
    settings: WebSettings

    async def close(self) -> None:
        await self.runner.cleanup()
        await self.publisher.stop()


async def start_web_intake(
    bootstrap: str, *, pool: asyncpg.Pool | None = None, **settings: Any
) -> RunningWebIntake:
    config = WebSettings(kafka_bootstrap=bootstrap, web_port=0, **settings)
    publisher = Publisher(bootstrap, client_id="test-web", timeout_s=config.publish_timeout_s)
    await publisher.start()
    runner = web.AppRunner(build_app(config, publisher, pool=pool))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return RunningWebIntake(runner, f"http://127.0.0.1:{port}", publisher, config)


@contextlib.asynccontextmanager
async def web_intake_running(
    bootstrap: str, *, key: str = DEV_API_KEY, **settings: Any
) -> AsyncIterator[WebIntake]:
    running = await start_web_intake(bootstrap, **settings)
    try:
        async with aiohttp.ClientSession() as session:
            yield WebIntake(running.url, session, running.settings, key)
    finally:
        await running.close()


def find_shared_data() -> Path:
    """`shared/data` beside the repository (CI) or beside any folder above it (a worktree)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    raise FileNotFoundError("no shared/data folder above the repository")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return find_shared_data()


@pytest.fixture(scope="session")
def blob_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-var")


@pytest.fixture(scope="session")
async def web_intake(kafka_bootstrap: str, blob_root: Path) -> AsyncIterator[WebIntake]:
    """A shared intake with small limits, so that the 413s are cheap to provoke."""
    async with web_intake_running(
        kafka_bootstrap,
        max_body_bytes=64 * 1024,
        max_upload_bytes=256 * 1024,
        max_attachment_bytes=100 * 1024,
        max_attachments=2,
        var_dir=blob_root,
    ) as intake:
        yield intake


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex


async def black_hole() -> tuple[asyncio.Server, str]:
    """A TCP server that accepts connections and never answers: a broker that never acks."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"127.0.0.1:{port}"


def submissions_with(
    records: list[ConsumerRecord[bytes, bytes]], marker: str
) -> list[SubmissionReceived]:
    """The submissions on `complaints.intake` whose text or details mention `marker`."""
    found = []
    for r in records:
        if marker.encode() not in r.value:
            continue
        event = decode_event(r.value)
        if isinstance(event, SubmissionReceived):
            found.append(event)
    return found


async def intake_start(bootstrap: str) -> dict[TopicPartition, int]:
    return await end_offsets(bootstrap, topics.INTAKE)


async def published(
    bootstrap: str,
    start: dict[TopicPartition, int],
    marker: str,
    *,
    until: Callable[[list[SubmissionReceived]], bool],
    timeout: float = 10.0,
) -> list[SubmissionReceived]:
    """Our submissions from `start`, once `until(them)` holds or `timeout` passed."""
    records = await read_until(
        bootstrap, start, lambda rs: until(submissions_with(rs, marker)), timeout=timeout
    )
    return submissions_with(records, marker)


async def settle_then_count(
    bootstrap: str, start: dict[TopicPartition, int], marker: str, sentinel: str
) -> list[SubmissionReceived]:
    """Every submission of ours published before `sentinel` (published last, by the caller).

    Kafka keeps per-partition order only, so we read until the sentinel is there and then to
    the end offsets of that moment: anything we published earlier is in that range."""
    await published(bootstrap, start, sentinel, until=bool)
    end = await end_offsets(bootstrap, topics.INTAKE)
    want = sum(end[tp] - start.get(tp, 0) for tp in end)
    records = await read_until(bootstrap, start, lambda rs: len(rs) >= want)
    return submissions_with(records, marker)
