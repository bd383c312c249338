"""The SMTP intake for real: an in-process server with real workers, the real broker, a
local relay sink that receives the acknowledgements, and a reader of the topics from the
offsets taken before each test."""

import asyncio
import contextlib
import smtplib
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiosmtpd.smtp import SMTP, Envelope, Session

from ingestors.smtp.handler import Outcome
from ingestors.smtp.server import SmtpIntake
from ingestors.smtp.settings import SmtpSettings
from runtime.settings import CommonSettings
from schemas.events import AnyEvent, decode_event
from tests.unit.smtp.corpus import SHARED_DATA

COMPLAINTS = "reclami@sportello.local"
FAX = "fax@sportello.local"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def kafka() -> str:
    return CommonSettings().kafka_bootstrap


class RelaySink:
    """A local SMTP server standing in for the outgoing relay: it keeps what it gets."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(
            (envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        self.arrived.set()
        return "250 OK"

    async def wait_for(self, predicate: Callable[[bytes], bool], timeout_s: float = 15) -> bytes:
        async with asyncio.timeout(timeout_s):
            while True:
                for _sender, _rcpts, content in self.messages:
                    if predicate(content):
                        return content
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture(scope="session")
async def relay() -> AsyncIterator[tuple[RelaySink, int]]:
    sink = RelaySink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", 0
    )
    yield sink, int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


@dataclass
class Recorder:
    """Every outcome the intake reported, by idempotency ref."""

    by_ref: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, outcome: Outcome) -> None:
        if outcome.ref is not None:
            self.by_ref[outcome.ref].append(outcome)


def intake_settings(var_dir: Path, kafka: str, **overrides: Any) -> SmtpSettings:
    return SmtpSettings(
        smtp_port=0,
        var_dir=var_dir,
        kafka_bootstrap=kafka,
        smtp_ack_backoff_s=0.2,
        **overrides,
    )


@dataclass
class RunningIntake:
    intake: SmtpIntake
    recorder: Recorder
    var_dir: Path

    @property
    def port(self) -> int:
        return self.intake.port


@pytest.fixture(scope="session")
async def intake(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, relay: tuple[RelaySink, int]
) -> AsyncIterator[RunningIntake]:
    var_dir = tmp_path_factory.mktemp("smtp-var")
    recorder = Recorder()
    settings = intake_settings(
        var_dir, kafka, smtp_relay_host="127.0.0.1", smtp_relay_port=relay[1]
    )
    running = await SmtpIntake.start(settings, observer=recorder)
    yield RunningIntake(running, recorder, var_dir)
    await running.stop()


def crlf(raw: bytes) -> bytes:
    """The message as an MTA relays it: CRLF line ends, ending with CRLF."""
    fixed = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return fixed if fixed.endswith(b"\r\n") else fixed + b"\r\n"


def send(
    port: int,
    messages: Iterable[bytes],
    *,
    mail_from: str = "citizen@example.org",
    to: str = COMPLAINTS,
    mail_options: tuple[str, ...] = (),
) -> list[tuple[int, str]]:
    """Deliver each message over one SMTP connection (blocking); the server's last reply
    for each: to DATA, or to the MAIL/RCPT command that refused it."""
    replies: list[tuple[int, str]] = []
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo("client.test")
        for message in messages:
            for code, text in (
                client.mail(mail_from, list(mail_options)),
                client.rcpt(to),
            ):
                if code != 250:
                    replies.append((code, text.decode()))
                    client.rset()
                    break
            else:
                code, text = client.data(message)
                replies.append((code, text.decode()))
                if code != 250:
                    client.rset()
    return replies


class TopicReader:
    """Reads topics from offsets marked before a test, keeping only what a test asks for."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap

    async def mark(self, *topics: str) -> dict[TopicPartition, int]:
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=self._bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                while not all(consumer.partitions_for_topic(t) for t in topics):  # noqa: ASYNC110 — metadata arrives with no event to wait on
                    await asyncio.sleep(0.1)
            partitions = [
                TopicPartition(t, p)
                for t in topics
                for p in sorted(consumer.partitions_for_topic(t) or ())
            ]
            return dict(await consumer.end_offsets(partitions))
        finally:
            await consumer.stop()

    async def read(
        self,
        marks: dict[TopicPartition, int],
        done: Callable[[list[tuple[str, str, AnyEvent]]], bool],
        timeout_s: float = 60,
    ) -> list[tuple[str, str, AnyEvent]]:
        """Events (topic, key, event) after `marks`, until `done(events)` or the timeout."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await consumer.start()
        found: list[tuple[str, str, AnyEvent]] = []
        try:
            consumer.assign(list(marks))
            for partition, offset in marks.items():
                consumer.seek(partition, offset)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    while not done(found):
                        batches = await consumer.getmany(timeout_ms=500)
                        for partition, records in batches.items():
                            for record in records:
                                key = record.key.decode() if record.key else ""
                                found.append((partition.topic, key, decode_event(record.value)))
        finally:
            await consumer.stop()
        return found


@pytest.fixture(scope="session")
def topics_reader(kafka: str) -> TopicReader:
    return TopicReader(kafka)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
