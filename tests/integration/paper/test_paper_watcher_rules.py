"""Rules of the shared watcher that no good file exercises: a handler that keeps failing,
and a sidecar whose scan never comes."""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingestors.inbox import InboxFolders, InboxWatcher, Job, KafkaPublishedCheck, Outcome
from ingestors.inbox.ports import WatcherConfig
from ingestors.scans.plan import ScanPlanner
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher
from schemas import topics
from schemas.events import DeadLettered
from schemas.submission import Channel

pytestmark = pytest.mark.integration


class BrokenHandler:
    """A handler with a bug: every call raises."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle(self, job: Job) -> Outcome:
        self.calls += 1
        raise ZeroDivisionError("a bug in the channel's code")


async def test_failing_handler_and_orphan_sidecar_end_in_failed(
    tmp_path: Path, run_id: str, kafka_bootstrap: str, tail_factory: Callable[[str], Any]
) -> None:
    deadletter = await tail_factory(topics.DEADLETTER)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"bug-{run_id}.pdf").write_bytes(b"%PDF-1.4 " + run_id.encode())
    (inbox / f"solo-{run_id}.pdf.json").write_text(json.dumps({"operator_id": run_id}))
    publisher = Publisher(kafka_bootstrap, client_id="test-paper-rules")
    await publisher.start()
    handler = BrokenHandler()
    watcher = InboxWatcher(
        folders=InboxFolders(inbox, ZoneInfo("Europe/Rome")),
        planner=ScanPlanner(),
        handler=handler,
        publisher=publisher,
        published=KafkaPublishedCheck(kafka_bootstrap, client_id="test-paper-rules"),
        blobs=BlobStore(tmp_path / "blobs"),
        config=WatcherConfig(
            channel=Channel.SCAN,
            stage="tests.paper",
            source="/tests/paper",
            stable_s=0.1,
            rescan_s=0.5,
            orphan_after_s=1.0,
            retry_initial_s=0.2,
            max_attempts=3,
        ),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    try:
        dead = await deadletter.wait_for(
            lambda e: isinstance(e, DeadLettered) and run_id in e.data.detail,
            2,
            within=30,
        )
    finally:
        stop.set()
        await task
        await publisher.stop()
    reasons = {e.data.reason: e.data.detail for e in dead}
    assert set(reasons) == {"internal_error", "orphan_file"}
    assert "ZeroDivisionError" in reasons["internal_error"]
    assert handler.calls == 3
    failed = {p.name for p in (inbox / "failed").iterdir()}
    assert {f"bug-{run_id}.pdf", f"solo-{run_id}.pdf.json"} <= failed
    assert f"bug-{run_id}.pdf.reason.json" in failed
    assert watcher.stats().failed_total == 2
