"""A crash at any point neither loses nor duplicates a submission.

The SIGKILL test kills the real service (`python -m ingestors.scans`) in the middle of a
batch of 50 files and restarts it. Where the kill lands is chance; the two tests after it
put the crash exactly between the broker's ack and the move, and between the ledger
marker and the publish, with the real broker.
"""

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingestors.inbox.ledger import InflightMarker, Ledger, name_to_hex
from ingestors.ocr.synthetic import encode, render_page, text_pdf
from ingestors.scans.service import build_reader, build_scan_watcher
from ingestors.scans.settings import ScanSettings
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher
from schemas import topics
from schemas.events import Event, SubmissionReceived
from schemas.submission import Channel, Submission, tracking_id_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]

BATCH = 50


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_service(inbox: Path, var: Path, kafka: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SPORTELLO_SCAN_INBOX": str(inbox),
        "SPORTELLO_VAR_DIR": str(var),
        "SPORTELLO_KAFKA_BOOTSTRAP": kafka,
        "SPORTELLO_INBOX_STABLE_S": "0.5",
        "SPORTELLO_INBOX_RESCAN_S": "2",
        "SPORTELLO_INBOX_SETTLE_S": "2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ingestors.scans"], cwd=REPO, env=env, stdout=out, stderr=out
        )


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def count_processed(inbox: Path) -> int:
    return sum(1 for p in (inbox / "processed").rglob("*.png"))


async def test_sigkill_mid_batch_then_restart(
    tmp_path: Path, run_id: str, kafka_bootstrap: str, tail_factory: Callable[[str], Any]
) -> None:
    inbox, var, log = tmp_path / "scans", tmp_path / "var", tmp_path / "service.log"
    inbox.mkdir()
    intake = await tail_factory(topics.INTAKE)
    ids = set()
    for number in range(BATCH):
        image = render_page(
            [f"Segnalazione {number}: cassonetto pieno", f"Rif {run_id}"], width=560, font_px=24
        )
        data = encode(image, "PNG")
        (inbox / f"s{number:02d}-{run_id}.png").write_bytes(data)
        ids.add(tracking_id_for(Channel.SCAN, sha(data)))
    assert len(ids) == BATCH

    service = start_service(inbox, var, kafka_bootstrap, log)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    try:
        while count_processed(inbox) < 12:
            assert service.poll() is None, log.read_text()
            assert loop.time() < deadline, log.read_text()
            await asyncio.sleep(0.05)
        workers = children_of(service.pid)
        assert workers, "the OCR worker processes should be running"
        service.send_signal(signal.SIGKILL)
        await asyncio.to_thread(service.wait)
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    done_before = count_processed(inbox)
    assert done_before < BATCH, "the batch finished before the kill: make it bigger"
    # The killed service's worker processes do not linger.
    deadline = loop.time() + 10
    while alive(workers):
        assert loop.time() < deadline, f"orphaned workers still alive: {workers}"
        await asyncio.sleep(0.2)

    service = start_service(inbox, var, kafka_bootstrap, log)
    try:
        deadline = loop.time() + 180
        while count_processed(inbox) < BATCH:
            assert service.poll() is None, log.read_text()
            assert loop.time() < deadline, log.read_text()
            await asyncio.sleep(0.2)
        events = await intake.wait_for(lambda e: e.subject in ids, BATCH, within=30, linger=3)
    finally:
        service.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 30) == 0
    assert len({e.subject for e in events}) == BATCH
    assert len(events) == BATCH, "a submission was published twice"
    assert not list(inbox.glob("*.png"))
    assert not list((inbox / ".inflight").glob("*.json"))
    assert count_processed(inbox) == BATCH


class CrashOnce:
    """A publisher that dies once, before or after the real broker has the event: the
    watcher sees an exception, as a restarted process sees a marker with no move."""

    def __init__(self, real: Publisher, *, after_ack: bool) -> None:
        self.real = real
        self.after_ack = after_ack
        self.crashed = False

    async def publish(self, topic: str, event: Event[Any], *, key: str | None = None) -> None:
        if self.crashed:
            await self.real.publish(topic, event, key=key)
            return
        self.crashed = True
        if self.after_ack:
            await self.real.publish(topic, event, key=key)
        raise RuntimeError("simulated crash")


@pytest.fixture
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    real = Publisher(kafka_bootstrap, client_id="test-paper-crash")
    await real.start()
    yield real
    await real.stop()


@pytest.mark.parametrize("after_ack", [True, False], ids=["after-ack", "before-publish"])
async def test_crash_around_the_publish_is_published_exactly_once(
    tmp_path: Path,
    run_id: str,
    kafka_bootstrap: str,
    publisher: Publisher,
    after_ack: bool,
    tail_factory: Callable[[str], Any],
) -> None:
    intake = await tail_factory(topics.INTAKE)
    settings = ScanSettings(
        var_dir=tmp_path / "var",
        scan_inbox=tmp_path / "scans",
        kafka_bootstrap=kafka_bootstrap,
        inbox_stable_s=0.2,
        inbox_rescan_s=0.5,
        inbox_settle_s=1.0,
    )
    settings.scan_inbox_dir.mkdir(parents=True)
    data = text_pdf([[f"Segnalazione da pubblicare una volta sola {run_id}"]])
    (settings.scan_inbox_dir / f"una-volta-{run_id}.pdf").write_bytes(data)
    crashing = CrashOnce(publisher, after_ack=after_ack)
    async with build_reader(settings) as reader:
        watcher = build_scan_watcher(
            settings, reader=reader, publisher=crashing, blobs=BlobStore(settings.blob_dir)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        try:
            tracking = tracking_id_for(Channel.SCAN, sha(data))
            events = await intake.wait_for(lambda e: e.subject == tracking, 1, within=60, linger=0)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while watcher.stats().processed_total < 1:
                assert loop.time() < deadline
                await asyncio.sleep(0.1)
            events = await intake.wait_for(lambda e: e.subject == tracking, 1, within=5, linger=2)
        finally:
            stop.set()
            await task
    assert crashing.crashed
    assert len(events) == 1
    assert list((settings.scan_inbox_dir / "processed").rglob("*.pdf"))
    assert not list((settings.scan_inbox_dir / ".inflight").glob("*.json"))


async def test_restart_after_the_scan_moved_moves_its_sidecar_without_republishing(
    tmp_path: Path,
    run_id: str,
    kafka_bootstrap: str,
    publisher: Publisher,
    tail_factory: Callable[[str], Any],
) -> None:
    intake = await tail_factory(topics.INTAKE)
    settings = ScanSettings(
        var_dir=tmp_path / "var",
        scan_inbox=tmp_path / "scans",
        kafka_bootstrap=kafka_bootstrap,
        inbox_stable_s=0.2,
        inbox_settle_s=0.0,
    )
    inbox = settings.scan_inbox_dir
    inbox.mkdir(parents=True)
    data = text_pdf([[f"Segnalazione con sidecar {run_id}"]])
    name, sidecar = f"meta-{run_id}.pdf", f"meta-{run_id}.pdf.json"
    digest = sha(data)
    tracking = tracking_id_for(Channel.SCAN, digest)
    now = datetime.now(UTC)
    submission = Submission(
        submission_id=tracking,
        channel=Channel.SCAN,
        idempotency_ref=digest,
        received_at=now,
        legal_receipt_at=now,
        text=f"Segnalazione con sidecar {run_id}",
    )
    event = SubmissionReceived.new(
        submission, source="/ingestors/scans", subject=tracking, time=now, event_id=f"scan-{digest}"
    )
    # What a crash leaves just after the ack and the scan's move: the event on the topic,
    # the scan in processed/, its sidecar still in the inbox, the marker in the ledger.
    Ledger(inbox / ".inflight").put(
        InflightMarker(
            sha256=digest,
            topic=topics.INTAKE,
            key=tracking,
            event_id=event.id,
            written_at=now,
            outcome="processed",
            members_hex=(name_to_hex(name), name_to_hex(sidecar)),
        )
    )
    await publisher.publish(topics.INTAKE, event)
    day = inbox / "processed" / now.astimezone(ZoneInfo("Europe/Rome")).date().isoformat()
    day.mkdir(parents=True)
    (day / name).write_bytes(data)
    (inbox / sidecar).write_text('{"operator_id": "op-1"}')

    async with build_reader(settings) as reader:
        watcher = build_scan_watcher(
            settings, reader=reader, publisher=publisher, blobs=BlobStore(settings.blob_dir)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while not (day / sidecar).exists():
                assert loop.time() < deadline
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await task
    events = await intake.wait_for(lambda e: e.subject == tracking, 1, within=10, linger=2)
    assert len(events) == 1
    assert not list((inbox / ".inflight").glob("*.json"))
    assert not (inbox / sidecar).exists()
