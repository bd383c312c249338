"""The acknowledgement survives a relay that is down for a while: it is retried."""

import asyncio
import socket
from datetime import UTC, datetime

import pytest
from aiosmtpd.smtp import SMTP

from ingestors.smtp.ack import AckRequest, AckSender, RelayConfig
from tests.integration.smtp.conftest import RelaySink

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_acknowledgement_is_retried_until_the_relay_answers() -> None:
    port = _free_port()
    relay = RelayConfig(host="127.0.0.1", port=port, attempts=4, backoff_s=0.3, timeout_s=5)
    sender = AckSender(relay, clock=lambda: datetime.now(UTC))
    sender.start()
    sender.submit(
        AckRequest(to="maria@example.org", tracking_id="SP-7K3M-9QXD-2B4F", ref="message-id:<r>")
    )
    await asyncio.sleep(0.5)  # the first attempt has failed: nothing listens yet
    sink = RelaySink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="relay.test", loop=loop), "127.0.0.1", port
    )
    try:
        await sink.wait_for(lambda m: b"SP-7K3M-9QXD-2B4F" in m, timeout_s=10)
        await sender.close(timeout_s=5)
    finally:
        server.close()
        await server.wait_closed()
    assert (sender.sent, sender.failed) == (1, 0)


async def test_an_acknowledgement_that_cannot_be_sent_is_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = RelayConfig(host="127.0.0.1", port=_free_port(), attempts=2, backoff_s=0.1)
    sender = AckSender(relay, clock=lambda: datetime.now(UTC))
    sender.start()
    sender.submit(AckRequest(to="a@example.org", tracking_id="SP-0000-0000-0001", ref="x"))
    await sender.close(timeout_s=10)
    assert (sender.sent, sender.failed) == (0, 1)
    assert "not sent after 2 attempts" in caplog.text
