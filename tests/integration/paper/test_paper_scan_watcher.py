"""The scan watcher, in-process, against real Kafka and real Tesseract."""

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ingestors.inbox.watcher import InboxWatcher
from ingestors.ocr.synthetic import encode, image_pdf, render_page, text_pdf, tiff_pages
from ingestors.scans.service import build_reader, build_scan_watcher
from ingestors.scans.settings import ScanSettings
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
async def scans(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str
) -> AsyncIterator[Running]:
    root = tmp_path_factory.mktemp("scan-watcher")
    settings = ScanSettings(
        var_dir=root / "var",
        scan_inbox=root / "scans",
        kafka_bootstrap=kafka_bootstrap,
        inbox_stable_s=1.5,
        inbox_rescan_s=2.0,
        inbox_settle_s=1.0,
        ocr_render_dpi=150,
    )
    settings.scan_inbox_dir.mkdir(parents=True)
    publisher = Publisher(kafka_bootstrap, client_id="test-paper-scans")
    await publisher.start()
    blobs = BlobStore(settings.blob_dir)
    async with build_reader(settings) as reader:
        watcher = build_scan_watcher(settings, reader=reader, publisher=publisher, blobs=blobs)
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        yield Running(watcher, settings.scan_inbox_dir, blobs, task)
        stop.set()
        await asyncio.wait_for(task, 30)
    await publisher.stop()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def drop(inbox: Path, name: str | bytes, data: bytes, *, via_part: bool = False) -> Path:
    """Write a file into the inbox as a scanner would: complete, or `.part` then rename."""
    raw_name = name if isinstance(name, bytes) else name.encode()
    target = Path(os.fsdecode(os.path.join(os.fsencode(inbox), raw_name)))
    if via_part:
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        part.rename(target)
    else:
        target.write_bytes(data)
    return target


def page(run_id: str, *lines: str, seed: int = 0) -> Image.Image:
    return render_page(
        [*lines, f"Riferimento {run_id}"],
        width=900,
        font_px=30,
        skew_deg=0.8,
        noise=0.003,
        blur=0.4,
        seed=seed,
    )


def processed_names(inbox: Path) -> set[str]:
    return {p.name for p in (inbox / "processed").rglob("*") if p.is_file()}


async def wait_until(condition: Callable[[], bool], within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_scans_become_submissions(
    scans: Running, run_id: str, tail_factory: Callable[[str], Any]
) -> None:
    intake = await tail_factory(topics.INTAKE)
    first = page(run_id, "Segnalazione: lampione spento", "in via Garibaldi 14.", seed=1)
    second = page(run_id, "Firma: Maria Rossi", seed=2)
    files = {
        f"modulo-{run_id}.png": encode(first, "PNG"),
        f"fax-{run_id}.tif": tiff_pages([first, second], compression="group4"),
        f"testo-{run_id}.pdf": text_pdf(
            [["Reclamo: rifiuti non raccolti in piazza Duomo", f"Riferimento {run_id}"], []]
        ),
        f"foto-{run_id}.jpg": encode(page(run_id, "Buca profonda in via Roma", seed=3), "JPEG"),
        f"scansione-{run_id}.pdf": image_pdf([second], dpi=100),
    }
    sidecar = {
        "operator_id": "op-117",
        "desk": "Municipio 3, sportello 2",
        "citizen": {"name": "Maria Rossi", "email": "maria.rossi@example.org"},
        "district": "Municipio 3",
        "language": "it",
    }
    drop(scans.inbox, f"modulo-{run_id}.png.json", json.dumps(sidecar).encode())
    for index, (name, data) in enumerate(files.items()):
        drop(scans.inbox, name, data, via_part=index % 2 == 0)
    await wait_until(lambda: scans.watcher.backlog >= len(files) + 1, 10)
    ids = {tracking_id_for(Channel.SCAN, sha(d)): n for n, d in files.items()}
    events = await intake.wait_for(
        lambda e: isinstance(e, SubmissionReceived) and e.data.submission_id in ids,
        len(files),
        within=180,
    )
    assert len(events) == len(files)  # each once
    by_name = {ids[e.data.submission_id]: e.data for e in events}

    png = by_name[f"modulo-{run_id}.png"]
    assert "lampione spento" in png.text
    assert run_id in png.text.replace(" ", "")
    assert png.idempotency_ref == sha(files[f"modulo-{run_id}.png"])
    assert png.operator_id == "op-117"
    assert png.citizen is not None
    assert png.citizen.email == "maria.rossi@example.org"
    assert png.location is not None
    assert png.location.district == "Municipio 3"
    assert png.channel_details["desk"] == "Municipio 3, sportello 2"
    assert float(png.channel_details["ocr_confidence"]) > 70
    assert png.raw is not None
    assert scans.blobs.get(png.raw.sha256) == files[f"modulo-{run_id}.png"]

    fax = by_name[f"fax-{run_id}.tif"]
    assert fax.channel_details["pages"] == 2
    assert "Garibaldi" in fax.text
    assert "Firma" in fax.text
    assert fax.raw is not None
    assert fax.raw.media_type == "image/tiff"

    text = by_name[f"testo-{run_id}.pdf"]
    assert "rifiuti non raccolti in piazza Duomo" in text.text
    assert (text.channel_details["text_layer_pages"], text.channel_details["ocr_pages"]) == (1, 1)
    assert text.channel_details["blank_pages"] == 1

    assert "Buca profonda" in by_name[f"foto-{run_id}.jpg"].text
    assert "Firma" in by_name[f"scansione-{run_id}.pdf"].text

    await wait_until(lambda: set(files) <= processed_names(scans.inbox), 10)
    assert f"modulo-{run_id}.png.json" in processed_names(scans.inbox)
    assert not [n for n in os.listdir(scans.inbox) if run_id in n]
    assert scans.watcher.stats().processed_total >= len(files)


async def test_unreadable_files_fail_with_a_reason_and_the_watcher_goes_on(
    scans: Running, run_id: str, tail_factory: Callable[[str], Any]
) -> None:
    deadletter = await tail_factory(topics.DEADLETTER)
    intake = await tail_factory(topics.INTAKE)
    good = page(run_id, "Lampione spento in via Verdi", seed=4)
    blank = render_page([], width=700, noise=0.002, seed=hash(run_id) % 1000)
    cases: dict[bytes, tuple[bytes, str]] = {
        f"corrotto-{run_id}.pdf".encode(): (
            b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R" + run_id.encode(),
            "unreadable_pdf",
        ),
        f"troncato-{run_id}.tif".encode(): (
            tiff_pages([good, good], compression="raw")[:6000] + run_id.encode()[:0],
            "unreadable_image",
        ),
        f"vuoto-{run_id}.png".encode(): (b"", "empty_file"),
        f"zero-pagine-{run_id}.pdf".encode(): (
            text_pdf([]).replace(b"%PDF-1.4", b"%PDF-1.4\n%" + run_id.encode()),
            "no_pages",
        ),
        f"bianca-{run_id}.png".encode(): (encode(blank, "PNG"), "no_text"),
        b"modulo-\xff\xfe-" + run_id.encode() + b".png": (
            encode(page(run_id, "Nome non UTF-8", seed=5), "PNG"),
            "unsafe_name",
        ),
        f"..\\..\\evil-{run_id}.pdf".encode(): (
            text_pdf([["Percorso non sicuro " + run_id]]),
            "unsafe_name",
        ),
        f"documento-{run_id}.docx".encode(): (
            b"PK\x03\x04" + run_id.encode(),
            "unsupported_format",
        ),
        f"sidecar-{run_id}.png".encode(): (
            encode(page(run_id, "Sidecar sbagliato", seed=6), "PNG"),
            "invalid_sidecar",
        ),
    }
    # The truncated TIFF must still differ from run to run: vary its pixels, not its tail.
    troncato = f"troncato-{run_id}.tif".encode()
    varied = page(run_id, "TIFF troncato", seed=8)
    cases[troncato] = (tiff_pages([varied, varied], compression="raw")[:6000], "unreadable_image")
    drop(scans.inbox, f"sidecar-{run_id}.png.json", b'{"operator_id": 17, "colour": "red"}')
    for name, (data, _) in cases.items():
        drop(scans.inbox, name, data)
    os.symlink("/etc/hostname", scans.inbox / f"collegamento-{run_id}.pdf")

    def subject(name: bytes, data: bytes) -> str:
        return f"scan:sha256:{sha(data)}"

    expected = {subject(n, d): reason for n, (d, reason) in cases.items()}
    dead = await deadletter.wait_for(
        lambda e: isinstance(e, DeadLettered) and e.subject in expected,
        len(expected),
        within=120,
    )
    assert len(dead) == len(expected)
    assert {e.subject: e.data.reason for e in dead} == expected
    for event in dead:
        assert event.data.stage == "ingestors.scans"
        assert event.data.raw is not None
        assert event.data.raw_location
    kept = [Path(e.data.raw_location) for e in dead if e.data.raw_location]
    assert all(await asyncio.to_thread(lambda: [p.exists() for p in kept]))

    link = await deadletter.wait_for(
        lambda e: (
            isinstance(e, DeadLettered)
            and e.data.reason == "not_a_regular_file"
            and f"collegamento-{run_id}" in e.data.detail
        ),
        1,
        within=30,
        linger=0,
    )
    assert link[0].data.raw is None  # never opened

    failed = scans.inbox / "failed"
    reports = [json.loads(p.read_text()) for p in failed.glob("*.reason.json")]
    mine = {
        r["sha256"]: r
        for r in reports
        if run_id in r["file"] or r["sha256"] in {sha(d) for d, _ in cases.values()}
    }
    for _name, (data, reason) in cases.items():
        report = mine[sha(data)]
        assert report["reason"] == reason
        assert (failed / report["stored_as"]).exists()
    non_utf8 = mine[sha(cases[b"modulo-\xff\xfe-" + run_id.encode() + b".png"][0])]
    assert non_utf8["file"] == f"modulo-\\xff\\xfe-{run_id}.png"
    assert (
        bytes.fromhex(non_utf8["file_name_hex"]) == b"modulo-\xff\xfe-" + run_id.encode() + b".png"
    )
    assert (failed / f"sidecar-{run_id}.png.json").exists()  # travels with its scan

    assert not scans.task.done()
    afterwards = encode(good, "PNG")
    drop(scans.inbox, f"dopo-{run_id}.png", afterwards)
    submitted = await intake.wait_for(
        lambda e: e.subject == tracking_id_for(Channel.SCAN, sha(afterwards)), 1, within=60
    )
    assert "Verdi" in submitted[0].data.text


async def test_part_files_and_growing_files_wait(
    scans: Running, run_id: str, tail_factory: Callable[[str], Any]
) -> None:
    intake = await tail_factory(topics.INTAKE)
    late = text_pdf([["Reclamo scritto piano piano " + run_id]])
    part = scans.inbox / f"lento-{run_id}.pdf.part"
    part.write_bytes(late)
    await asyncio.sleep(2.5)
    assert part.exists()  # not touched while still .part
    part.rename(scans.inbox / f"lento-{run_id}.pdf")

    whole = text_pdf([["Un file copiato in due tempi " + run_id, "seconda riga " * 5]])
    growing = scans.inbox / f"crescente-{run_id}.pdf"
    with growing.open("wb") as out:
        out.write(whole[: len(whole) // 2])
        out.flush()
        await asyncio.sleep(0.3)
        out.write(whole[len(whole) // 2 :])
    ids = {tracking_id_for(Channel.SCAN, sha(d)) for d in (late, whole)}
    events = await intake.wait_for(lambda e: e.subject in ids, 2, within=60)
    assert {e.subject for e in events} == ids  # the whole file, never its first half


async def test_the_same_scan_twice_keeps_its_tracking_id(
    scans: Running, run_id: str, tail_factory: Callable[[str], Any]
) -> None:
    intake = await tail_factory(topics.INTAKE)
    data = text_pdf([["Segnalazione ripetuta " + run_id]])
    tracking = tracking_id_for(Channel.SCAN, sha(data))
    drop(scans.inbox, f"primo-{run_id}.pdf", data)
    await intake.wait_for(lambda e: e.subject == tracking, 1, within=60, linger=0)
    drop(scans.inbox, f"ancora-{run_id}.pdf", data)
    events = await intake.wait_for(lambda e: e.subject == tracking, 2, within=60, linger=0)
    # Dropped twice, published twice as the same fact: same submission id and event id,
    # which is how dedup downstream recognises "a scan dropped twice".
    assert {e.id for e in events} == {f"scan-{sha(data)}"}
    assert {e.data.submission_id for e in events} == {tracking}
