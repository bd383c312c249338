"""The broker goes away under a connected intake, on a private broker of this module's own so
that the shared one is never touched:

- frozen (SIGSTOP: connections and metadata stay, acknowledgements never come): the intake
  answers 503 with Retry-After once the publish deadline has passed, never 202, and comes
  back once the broker does. A produce request already in the broker's socket when it froze
  is still written when it wakes: that refusal is the documented ambiguous case (the sender
  was told "try again later" about something stored), so the test asks only that no refused
  complaint is stored twice;
- stopped and started again: the refused complaint never appears, later ones are accepted.
"""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schemas import topics
from tests.integration.pipeline.support import PrivateKafka
from tests.integration.web.conftest import (
    WebIntake,
    published,
    settle_then_count,
    web_intake_running,
)
from tests.support import end_offsets

pytestmark = pytest.mark.integration


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[PrivateKafka]:
    from runtime.topics import declared_topics, ensure_topics

    kafka = PrivateKafka(tmp_path / "kafka")
    await kafka.start()
    try:
        [intake_topic] = [
            t for t in declared_topics([], partitions=3, replication=1) if t.name == topics.INTAKE
        ]
        await ensure_topics(kafka.bootstrap, [intake_topic])
        yield kafka
    finally:
        await kafka.stop()


async def accepted_again(intake: WebIntake, text: str) -> None:
    """Post `text` until it is accepted: the abandoned producer is replaced on a publish."""
    for _ in range(60):
        status, _, _ = await intake.post("/v1/complaints", json={"text": text})
        if status == 202:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{text!r} was never accepted")


async def test_a_frozen_broker_means_503_and_no_refusal_stored_twice(
    broker: PrivateKafka, tmp_path: Path, marker: str
) -> None:
    start = await end_offsets(broker.bootstrap, topics.INTAKE)
    pid = int((broker.directory / "kafka.pid").read_text())
    async with web_intake_running(
        broker.bootstrap, publish_timeout_s=1.5, retry_after_s=7, var_dir=tmp_path
    ) as intake:
        status, _, _ = await intake.post("/v1/complaints", json={"text": f"prima {marker}"})
        assert status == 202
        os.kill(pid, signal.SIGSTOP)
        try:
            refused = await asyncio.gather(
                *(
                    intake.post("/v1/complaints", json={"text": f"rifiutato{n} {marker}"})
                    for n in range(5)
                )
            )
        finally:
            os.kill(pid, signal.SIGCONT)
        assert [r[0] for r in refused] == [503] * 5, refused
        assert all(r[1]["Retry-After"] == "7" for r in refused)
        assert all("tracking_id" not in r[2] for r in refused)
        sentinel = f"dopo {marker}"
        await accepted_again(intake, sentinel)
    found = await settle_then_count(broker.bootstrap, start, marker, sentinel)
    counts = Counter(s.data.text.split()[0] for s in found)
    assert counts["prima"] == 1
    assert all(n == 1 for n in counts.values()), counts


async def test_a_stopped_broker_means_503_and_the_refusal_never_stored(
    broker: PrivateKafka, tmp_path: Path, marker: str
) -> None:
    start = await end_offsets(broker.bootstrap, topics.INTAKE)
    async with web_intake_running(
        broker.bootstrap, publish_timeout_s=1.5, retry_after_s=7, var_dir=tmp_path
    ) as intake:
        status, _, _ = await intake.post("/v1/complaints", json={"text": f"prima {marker}"})
        assert status == 202
        await broker.stop()
        try:
            status, headers, body = await intake.post(
                "/v1/complaints", json={"text": f"rifiutato {marker}"}
            )
        finally:
            await broker.start()
        assert status == 503, body
        assert headers["Retry-After"] == "7"
        assert "tracking_id" not in body
        sentinel = f"dopo {marker}"
        await accepted_again(intake, sentinel)
    await published(broker.bootstrap, start, sentinel, until=bool, timeout=30)
    found = await settle_then_count(broker.bootstrap, start, marker, sentinel)
    assert sorted(s.data.text.split()[0] for s in found) == ["dopo", "prima"]
