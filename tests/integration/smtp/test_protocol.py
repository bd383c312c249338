"""The SMTP contract at the protocol level: recipients, size, STARTTLS and AUTH, and a
clean stop of `python -m ingestors.smtp` on SIGTERM and SIGINT."""

import asyncio
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from ingestors.smtp.server import SmtpIntake
from schemas import topics
from schemas.events import SubmissionReceived
from tests.integration.smtp.conftest import (
    COMPLAINTS,
    Recorder,
    RunningIntake,
    TopicReader,
    intake_settings,
    send,
)

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
async def guarded(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, tls_files: tuple[Path, Path]
) -> AsyncIterator[SmtpIntake]:
    """An intake with a small size limit, STARTTLS and required AUTH."""
    cert, key = tls_files
    settings = intake_settings(
        tmp_path_factory.mktemp("guarded"),
        kafka,
        smtp_max_message_bytes=LIMIT,
        smtp_tls_cert=cert,
        smtp_tls_key=key,
        smtp_require_starttls=True,
        smtp_auth_required=True,
        smtp_auth_users={"faxgw": SecretStr("s3cret")},
        smtp_parse_processes=0,
    )
    intake = await SmtpIntake.start(settings, observer=Recorder())
    yield intake
    await intake.stop()


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def test_unknown_recipients_are_refused(intake: RunningIntake) -> None:
    def dialogue() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", intake.port) as client:
            client.ehlo()
            client.mail("a@example.org")
            return client.rcpt("someone.else@sportello.local")

    code, text = await asyncio.to_thread(dialogue)
    assert (code, text.split()[0]) == (550, b"5.1.1")


async def test_the_size_limit_is_advertised_and_enforced(guarded: SmtpIntake) -> None:
    def dialogue() -> tuple[str | None, tuple[int, bytes], tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", guarded.port) as client:
            client.starttls(context=_unverified())
            client.ehlo()
            client.login("faxgw", "s3cret")
            advertised = client.esmtp_features.get("size")
            declared = client.mail("a@example.org", [f"SIZE={LIMIT + 1}"])
            client.rset()
            client.mail("a@example.org")
            client.rcpt(COMPLAINTS)
            body = b"Subject: grande\r\n\r\n" + (b"x" * 76 + b"\r\n") * (LIMIT // 78 + 10)
            sent = client.data(body)
            return advertised, declared, sent

    advertised, declared, sent = await asyncio.to_thread(dialogue)
    assert advertised == str(LIMIT)
    assert (declared[0], declared[1].split()[0]) == (552, b"5.3.4")
    assert (sent[0], sent[1].split()[0]) == (552, b"5.3.4")


async def test_starttls_and_auth_are_required_when_configured(
    guarded: SmtpIntake, kafka: str, topics_reader: TopicReader
) -> None:
    tag = uuid.uuid4().hex
    message = f"From: faxgw@gw.example\r\nSubject: {tag}\r\n\r\nvia TLS {tag}\r\n".encode()

    def plain() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", guarded.port) as client:
            client.ehlo()
            return client.mail("a@example.org")

    def without_login() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", guarded.port) as client:
            client.starttls(context=_unverified())
            client.ehlo()
            return client.mail("a@example.org")

    def wrong_password() -> int:
        with smtplib.SMTP("127.0.0.1", guarded.port) as client:
            client.starttls(context=_unverified())
            client.ehlo()
            try:
                client.login("faxgw", "wrong")
            except smtplib.SMTPAuthenticationError as exc:
                return exc.smtp_code
            return 235

    def proper() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", guarded.port) as client:
            client.starttls(context=_unverified())
            client.ehlo()
            client.login("faxgw", "s3cret")
            client.mail("faxgw@gw.example")
            client.rcpt(COMPLAINTS)
            return client.data(message)

    assert (await asyncio.to_thread(plain))[0] == 530
    assert (await asyncio.to_thread(without_login))[0] == 530
    assert await asyncio.to_thread(wrong_password) == 535
    marks = await topics_reader.mark(topics.INTAKE)
    code, _ = await asyncio.to_thread(proper)
    assert code == 250
    found = await topics_reader.read(
        marks,
        lambda f: any(isinstance(e, SubmissionReceived) and tag in e.data.text for _t, _k, e in f),
    )
    assert any(isinstance(e, SubmissionReceived) and tag in e.data.text for _t, _k, e in found)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_the_service_stops_cleanly_on_a_signal(
    signum: signal.Signals, tmp_path: Path, kafka: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SPORTELLO_SMTP_PORT": str(port),
        "SPORTELLO_VAR_DIR": str(tmp_path),
        "SPORTELLO_KAFKA_BOOTSTRAP": kafka,
        "SPORTELLO_SMTP_PARSE_PROCESSES": "1",
    }
    log_path = tmp_path / "smtp.log"
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ingestors.smtp",
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        async with asyncio.timeout(60):
            while True:
                try:
                    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                writer.close()
                await writer.wait_closed()
                break
        tag = uuid.uuid4().hex
        replies = await asyncio.to_thread(
            send, port, [f"Subject: {tag}\r\n\r\nbuca {tag}\r\n".encode()]
        )
        assert replies[0][0] == 250
        process.send_signal(signum)
        code = await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, log_path.read_text()
    assert "SMTP intake stopping" in log_path.read_text()
