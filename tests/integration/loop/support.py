"""The loop's integration helpers: a real web intake on a free port, cases written into the
store the way the sink writes them, and reading back what was published."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiokafka import TopicPartition

from ingestors.web.app import build_app
from ingestors.web.settings import WebSettings
from runtime.publisher import Publisher
from schemas import topics
from schemas.case import CaseAnswer, CaseSnapshot, CaseStatus, case_id_for
from schemas.events import CaseUpdated, StatusReported, decode_event
from schemas.submission import Channel, Citizen, tracking_id_for
from sinks.postgres.store import CaseStore
from tests.support import end_offsets, read_until

PROBLEM = "application/problem+json"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Web:
    url: str
    session: aiohttp.ClientSession
    settings: WebSettings

    async def request(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, str], Any]:
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        async with self.session.request(
            method, self.url + path, headers=headers, allow_redirects=False, **kwargs
        ) as r:
            raw = await r.read()
            ctype = r.headers.get("Content-Type", "")
            body: Any = raw.decode(errors="replace")
            if raw and "json" in ctype:
                body = await r.json(content_type=None)
            return r.status, dict(r.headers), body

    async def report(
        self, case_id: str, update: dict[str, Any] | bytes, *, key: str | None, **kwargs: Any
    ) -> tuple[int, dict[str, str], Any]:
        """POST a status report (a dict as JSON, bytes as they are, JSON content type)."""
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        data = update if isinstance(update, bytes) else _json(update)
        return await self.request(
            "POST", f"/v1/cases/{case_id}/status", key=key, data=data, headers=headers, **kwargs
        )


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


@contextlib.asynccontextmanager
async def web_running(
    bootstrap: str, *, pool: asyncpg.Pool | None, **settings: Any
) -> AsyncIterator[Web]:
    """A web intake publishing to `bootstrap`, reading the store through `pool` (its own
    pool from `pg_dsn` when None)."""
    config = WebSettings(kafka_bootstrap=bootstrap, web_port=0, **settings)
    publisher = Publisher(bootstrap, client_id="test-loop-web", timeout_s=config.publish_timeout_s)
    await publisher.start()
    runner = web.AppRunner(build_app(config, publisher, pool=pool))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            yield Web(f"http://127.0.0.1:{port}", session, config)
    finally:
        await runner.cleanup()
        await publisher.stop()


@dataclass
class StoredCase:
    """A case as the case agent would publish it, written into the store by the sink's own
    code (`CaseStore`), one version at a time."""

    pool: asyncpg.Pool
    snapshot: CaseSnapshot
    versions: list[CaseSnapshot] = field(default_factory=list)

    @property
    def case_id(self) -> str:
        return self.snapshot.case_id

    @property
    def tracking_id(self) -> str:
        return self.snapshot.tracking_ids[0]

    async def write(self) -> None:
        event = CaseUpdated.new(
            self.snapshot,
            source="/tests/loop",
            subject=self.case_id,
            time=self.snapshot.updated_at,
            event_id=f"{self.case_id}@{self.snapshot.version}",
        )
        await CaseStore(self.pool).write([event])

    async def becomes(self, status: CaseStatus, **changes: Any) -> None:
        s = self.snapshot
        self.snapshot = s.model_copy(
            update={
                "status": status,
                "version": s.version + 1,
                "updated_at": s.updated_at + timedelta(minutes=1),
                **changes,
            }
        )
        await self.write()

    async def resolved(self, seq: int, text: str = "Buca chiusa il 10 marzo") -> CaseAnswer:
        answer = CaseAnswer(
            seq=seq,
            outcome=CaseStatus.RESOLVED,
            text=text,
            body=self.snapshot.body,
            answered_at=self.snapshot.updated_at + timedelta(minutes=1),
        )
        await self.becomes(CaseStatus.RESOLVED, answer=answer)
        return answer


async def stored_case(
    pool: asyncpg.Pool,
    status: CaseStatus = CaseStatus.ASSIGNED,
    body: str | None = "strade",
    *,
    email: str | None = None,
) -> StoredCase:
    tracking_id = tracking_id_for(Channel.WEB, f"loop-test-{uuid.uuid4().hex}")
    snapshot = CaseSnapshot(
        case_id=case_id_for(tracking_id),
        version=1,
        status=status,
        tracking_ids=(tracking_id,),
        channels=(Channel.WEB,),
        opened_at=NOW - timedelta(days=1),
        legal_receipt_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        text="Buca pericolosa in viale Monza (test del ciclo)",
        citizen=Citizen(name="Giulia Bianchi", email=email) if email else None,
        body=body,
    )
    case = StoredCase(pool, snapshot)
    await case.write()
    return case


async def status_start(bootstrap: str) -> dict[TopicPartition, int]:
    return await end_offsets(bootstrap, topics.STATUS)


async def reports_of(
    bootstrap: str,
    start: dict[TopicPartition, int],
    case_id: str,
    *,
    until: str,
    timeout: float = 15.0,
) -> list[StatusReported]:
    """The status reports about `case_id` published from `start`, read until the one with
    event id `until` is there (reports of a case share a partition, so every earlier one is
    read by then)."""

    def ours(records: list[Any]) -> list[StatusReported]:
        found = []
        for r in records:
            if r.key != case_id.encode():
                continue
            event = decode_event(r.value)
            assert isinstance(event, StatusReported)
            found.append(event)
        return found

    records = await read_until(
        bootstrap, start, lambda rs: any(e.id == until for e in ours(rs)), timeout=timeout
    )
    return ours(records)


async def black_hole() -> tuple[asyncio.Server, str]:
    """A TCP server that accepts and never answers: a broker or a database that hangs."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"127.0.0.1:{port}"
