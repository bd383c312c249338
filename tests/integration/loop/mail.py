"""A real SMTP server standing in for the outgoing relay (aiosmtpd), a notifier wired as
`python -m sinks.notify` wires it, and a PostgreSQL cluster of the loop's own (the notifier's
ledger is a migration the shared database may not have yet)."""

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiosmtpd.smtp import SMTP, Envelope, Session

from ingestors.smtp.ack import RelayConfig
from processors.bodies import load_bodies
from runtime.publisher import Publisher
from runtime.topics import TopicSpec, ensure_topics
from schemas import topics
from sinks.notify.__main__ import cases_consumer, relay_sender
from sinks.notify.ledger import Ledger
from sinks.notify.notifier import Composer, Notifier

REOPEN_KEY = b"loop-test-reopen-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Relay:
    """Keeps every mail it accepts; refuses for good (550) the recipients in `refuse`."""

    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)
    mails: list[EmailMessage] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        self._arrived.set()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="relay.test", loop=loop), "127.0.0.1", self.port
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if m["To"] == address]

    async def wait_for(
        self, predicate: Callable[[EmailMessage], bool], timeout: float = 20.0
    ) -> EmailMessage:
        async with asyncio.timeout(timeout):
            while True:
                for mail in self.mails:
                    if predicate(mail):
                        return mail
                self._arrived.clear()
                await self._arrived.wait()

    async def mail_to(self, address: str, timeout: float = 20.0) -> EmailMessage:
        return await self.wait_for(lambda m: m["To"] == address, timeout)

    @property
    def config(self) -> RelayConfig:
        return RelayConfig(
            host="127.0.0.1",
            port=self.port,
            sender="reclami@comune.test",
            domain="comune.test",
            timeout_s=5,
        )


@dataclass(frozen=True)
class LoopTopics:
    """`<prefix>complaints.cases` and `<prefix>complaints.notifications`, one partition each,
    on the shared broker: the notifier reads only what a test writes, in the order written."""

    bootstrap: str
    prefix: str

    @property
    def cases(self) -> str:
        return self.prefix + topics.CASES

    @property
    def notifications(self) -> str:
        return self.prefix + topics.NOTIFICATIONS

    async def create(self) -> None:
        await ensure_topics(
            self.bootstrap, [TopicSpec(self.cases, 1, 1), TopicSpec(self.notifications, 1, 1)]
        )

    async def delete(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([self.cases, self.notifications])
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def notifier_running(
    bootstrap: str,
    pool: asyncpg.Pool,
    relay: RelayConfig,
    *,
    cases_topic: str,
    notifications_topic: str,
    group: str,
    public_url: str = "http://127.0.0.1:8080",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AsyncIterator[Notifier]:
    consumer = cases_consumer(bootstrap, group, cases_topic)
    await consumer.start()
    publisher = Publisher(bootstrap, client_id=f"test-notifier-{uuid.uuid4().hex[:6]}")
    await publisher.start()
    notifier = Notifier(
        consumer,
        Ledger(pool, lease=timedelta(seconds=30)),
        publisher,
        relay_sender(relay),
        Composer(
            sender=relay.sender,
            domain=relay.domain,
            public_url=public_url,
            link_key=REOPEN_KEY,
            link_validity=timedelta(days=30),
            body_names={b.id: b.name for b in load_bodies()},
        ),
        clock=clock,
        max_age=timedelta(hours=72),
        output_topic=notifications_topic,
        retry_max_s=1.0,
        poll_ms=100,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(stop))
    try:
        yield notifier
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await consumer.stop()
        await publisher.stop()
