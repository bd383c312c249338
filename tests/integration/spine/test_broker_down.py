"""With the broker stopped, the web intake says so (503, Retry-After) and stores nothing;
once the broker is back, complaints are accepted again and the refused one never appears.

Disruptive: stops the real Kafka broker with the project's own script, then restarts it."""

import subprocess
import uuid

import aiohttp
import pytest

from schemas import SubmissionReceived, decode_event, topics
from tests.conftest import REPO
from tests.integration.spine.conftest import WebIntake, start_web_intake
from tests.support import end_offsets, read_until

pytestmark = [pytest.mark.integration, pytest.mark.disruptive]

KAFKA = str(REPO / "deploy" / "local" / "kafka.sh")


def kafka(command: str) -> None:
    subprocess.run([KAFKA, command], check=True, timeout=180)


async def test_broker_down_means_503_and_nothing_acknowledged(kafka_bootstrap: str) -> None:
    marker = uuid.uuid4().hex
    start = await end_offsets(kafka_bootstrap, topics.INTAKE)
    # A connected intake, as in production: the broker goes away under it.
    running = await start_web_intake(kafka_bootstrap, publish_timeout_s=2.0, retry_after_s=7)
    try:
        async with aiohttp.ClientSession() as session:
            intake = WebIntake(running.url, session)
            status, _, _ = await intake.post("/v1/complaints", json={"text": f"warm-up {marker}"})
            assert status == 202
            kafka("stop")
            try:
                status, headers, body = await intake.post(
                    "/v1/complaints", json={"text": f"refused {marker}"}
                )
                assert status == 503, body
                assert headers["Retry-After"] == "7"
                assert headers["Content-Type"].startswith("application/problem+json")
                assert "tracking_id" not in body
            finally:
                kafka("start")
            status, _, body = await intake.post(
                "/v1/complaints", json={"text": f"after restart {marker}"}
            )
            assert status == 202, body
    finally:
        await running.close()

    def texts(rs: list) -> list[str]:  # type: ignore[type-arg]
        out = []
        for r in rs:
            event = decode_event(r.value)
            if isinstance(event, SubmissionReceived) and marker in event.data.text:
                out.append(event.data.text.split()[0])
        return out

    records = await read_until(kafka_bootstrap, start, lambda rs: "after" in texts(rs))
    assert sorted(texts(records)) == ["after", "warm-up"]
