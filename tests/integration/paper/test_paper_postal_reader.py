"""The postal OCR reader, in-process, against real Kafka, on the real OCR samples."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingestors.inbox.watcher import InboxWatcher
from ingestors.postal.service import build_postal_watcher
from ingestors.postal.settings import PostalSettings
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher
from schemas import topics
from schemas.events import DeadLettered, SubmissionReceived
from schemas.submission import Channel, tracking_id_for

pytestmark = pytest.mark.integration


@dataclass
class Running:
    watcher: InboxWatcher
    inbox: Path
    blobs: BlobStore
    task: "asyncio.Task[None]"


@pytest.fixture(scope="module")
async def postal(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str
) -> AsyncIterator[Running]:
    root = tmp_path_factory.mktemp("postal-reader")
    settings = PostalSettings(
        var_dir=root / "var",
        postal_inbox=root / "postal",
        kafka_bootstrap=kafka_bootstrap,
        inbox_stable_s=1.0,
        inbox_rescan_s=1.0,
        inbox_settle_s=1.0,
        postal_review_below=85.0,
        postal_companion_wait_s=3.0,
        postal_legal_receipt="postmark",
    )
    settings.postal_inbox_dir.mkdir(parents=True)
    publisher = Publisher(kafka_bootstrap, client_id="test-paper-postal")
    await publisher.start()
    blobs = BlobStore(settings.blob_dir)
    watcher = build_postal_watcher(settings, publisher=publisher, blobs=blobs)
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    yield Running(watcher, settings.postal_inbox_dir, blobs, task)
    stop.set()
    await asyncio.wait_for(task, 30)
    await publisher.stop()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tagged_xml(data: bytes, run_id: str) -> bytes:
    """The same document with a comment that makes its bytes (and hash) this run's own."""
    return data + f"\n<!-- test run {run_id} -->\n".encode()


async def test_letters_in_every_format(
    postal: Running, run_id: str, shared_data: Path, tail_factory: Callable[[str], Any]
) -> None:
    intake = await tail_factory(topics.INTAKE)
    ocr = shared_data / "ocr"
    wetzel = ocr / "wetzel_1901"
    tsv_row = f"5\t1\t99\t1\t1\t1\t0\t0\t1\t1\t96.0\tRif{run_id}\n".encode()
    letters: dict[str, bytes] = {
        f"A{run_id}.hocr": tagged_xml((ocr / "modulo_scan.hocr").read_bytes(), run_id),
        f"B{run_id}.xml": tagged_xml((ocr / "modulo_scan.xml").read_bytes(), run_id),
        f"C{run_id}.tsv": (ocr / "modulo_scan.tsv").read_bytes() + tsv_row,
        f"D{run_id}.hocr": tagged_xml(
            (wetzel / "wetzel_reisebegleiter_1901_0021.hocr").read_bytes(), run_id
        ),
        f"E{run_id}.alto": tagged_xml(
            (wetzel / "wetzel_reisebegleiter_1901_0021.alto").read_bytes(), run_id
        ),
        f"F{run_id}.txt": (ocr / "modulo_scan.txt").read_bytes() + f"Rif{run_id}\n".encode(),
    }
    # The same letter's plain text beside its TSV: one letter, TSV read, text kept.
    (postal.inbox / f"C{run_id}.txt").write_bytes((ocr / "modulo_scan.txt").read_bytes())
    page_image = (ocr / "modulo_scan.png").read_bytes()
    (postal.inbox / f"A{run_id}-p1.png").write_bytes(page_image)
    manifest = {
        "batch_id": f"batch-{run_id}",
        "postmark_date": "2024-03-01",
        "received_date": "2024-03-05",
        "sender": {"name": "Maria Grazia Rossi", "address": "Via Garibaldi 14\n40121 Bologna"},
        "pages": [f"A{run_id}-p1.png"],
    }
    (postal.inbox / f"A{run_id}.json").write_text(json.dumps(manifest))
    for name, data in letters.items():
        part = postal.inbox / (name + ".part")
        part.write_bytes(data)
        part.rename(postal.inbox / name)

    ids = {tracking_id_for(Channel.POSTAL, sha(d)): n for n, d in letters.items()}
    events = await intake.wait_for(
        lambda e: isinstance(e, SubmissionReceived) and e.subject in ids, len(ids), within=60
    )
    assert len(events) == len(ids)
    got = {ids[e.subject][0]: e.data for e in events}
    truth = (ocr / "modulo_groundtruth.txt").read_text(encoding="utf-8").split()
    for key in "ABCF":
        words = got[key].text.split()
        assert sum(1 for w in truth if w in words) / len(truth) >= 0.98, key

    a = got["A"]
    assert a.channel_details["ocr_format"] == "hocr"
    assert a.channel_details["ocr_confidence"] == 95.63
    assert a.channel_details["needs_review"] is False
    assert a.channel_details["batch_id"] == f"batch-{run_id}"
    assert a.channel_details["envelope_sender_address"] == "Via Garibaldi 14\n40121 Bologna"
    assert a.legal_receipt_at == datetime(2024, 3, 1, tzinfo=ZoneInfo("Europe/Rome"))
    assert a.channel_details["legal_receipt_basis"] == "postmark"
    assert a.citizen is not None
    assert a.citizen.name == "Maria Grazia Rossi"
    assert len(a.attachments) == 1
    assert a.attachments[0].media_type == "image/png"
    assert postal.blobs.get(a.attachments[0].sha256) == page_image
    assert a.raw is not None
    assert postal.blobs.get(a.raw.sha256) == letters[f"A{run_id}.hocr"]

    assert got["B"].channel_details["ocr_format"] == "alto"
    assert got["B"].channel_details["ocr_confidence"] == 95.63
    assert got["C"].channel_details["ocr_format"] == "tsv"
    assert f"Rif{run_id}" in got["C"].text
    assert got["D"].channel_details["needs_review"] is True  # Tesseract 3, Fraktur: 82.56
    assert got["D"].channel_details["review_reason"] == "low_ocr_confidence"
    assert "ocr_confidence" not in got["E"].channel_details  # ALTO v2 here has no WC
    assert got["F"].channel_details["legal_receipt_basis"] == "file_time"
    assert got["F"].legal_receipt_at == got["F"].received_at

    def moved() -> set[str]:
        return {p.name for p in (postal.inbox / "processed").rglob("*") if p.is_file()}

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    expected = {*letters, f"C{run_id}.txt", f"A{run_id}.json", f"A{run_id}-p1.png"}
    while not expected <= await asyncio.to_thread(moved):
        assert loop.time() < deadline
        await asyncio.sleep(0.2)


async def test_letters_that_cannot_be_read(
    postal: Running, run_id: str, shared_data: Path, tail_factory: Callable[[str], Any]
) -> None:
    deadletter = await tail_factory(topics.DEADLETTER)
    hocr = tagged_xml((shared_data / "ocr" / "modulo_scan.hocr").read_bytes(), run_id)
    cases = {
        f"G{run_id}.hocr": (hocr, "unsafe_page_reference"),
        f"H{run_id}.txt": (f"Lettera con manifesto rotto {run_id}".encode(), "invalid_manifest"),
        f"I{run_id}.xml": (f"<html><body>{run_id}</body></html>".encode(), "unreadable_ocr"),
        f"J{run_id}.txt": (f"Lettera senza pagina {run_id}".encode(), "missing_page_image"),
        f"K{run_id}.txt": (b" \n\f " * (100 + int(run_id[:4], 16)), "no_text"),
    }
    (postal.inbox / f"G{run_id}.json").write_text(json.dumps({"pages": ["../outside.png"]}))
    (postal.inbox / f"H{run_id}.json").write_text("{not json")
    (postal.inbox / f"J{run_id}.json").write_text(json.dumps({"pages": [f"J{run_id}-p1.tif"]}))
    for name, (data, _) in cases.items():
        (postal.inbox / name).write_bytes(data)
    expected = {f"postal:sha256:{sha(d)}": reason for d, reason in cases.values()}
    dead = await deadletter.wait_for(
        lambda e: isinstance(e, DeadLettered) and e.subject in expected, len(expected), within=60
    )
    assert {e.subject: e.data.reason for e in dead} == expected
    assert all(e.data.stage == "ingestors.postal" for e in dead)
    failed = postal.inbox / "failed"
    names = set(await asyncio.to_thread(lambda: [p.name for p in failed.iterdir()]))
    for name in cases:
        assert name in names
        assert name + ".reason.json" in names
    assert f"G{run_id}.json" in names  # the manifest travels with its letter
    assert not postal.task.done()
