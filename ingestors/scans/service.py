"""The scan watcher wired to Tesseract, the blob store and Kafka."""

import asyncio
import logging
import shutil
from collections.abc import Callable

from ingestors.inbox.folders import InboxFolders
from ingestors.inbox.metrics import InboxInstruments
from ingestors.inbox.published import KafkaPublishedCheck
from ingestors.inbox.service import run_watcher, start_metrics
from ingestors.inbox.watcher import EventPublisher, InboxWatcher, WatcherConfig
from ingestors.ocr.reader import DocumentReader
from ingestors.ocr.tesseract import TesseractPool
from ingestors.scans.handler import ScanHandler
from ingestors.scans.plan import ScanPlanner
from ingestors.scans.settings import ScanSettings
from ingestors.scans.submission import ScanPolicy
from runtime.blobstore import BlobStore
from runtime.instruments import service_registry
from runtime.publisher import Publisher
from schemas.submission import Channel

log = logging.getLogger(__name__)

CLIENT_ID = "sportello-ingestor-scans"


def watcher_config(settings: ScanSettings, workers: int) -> WatcherConfig:
    return WatcherConfig(
        channel=Channel.SCAN,
        stage="ingestors.scans",
        source="/ingestors/scans",
        stable_s=settings.inbox_stable_s,
        rescan_s=settings.inbox_rescan_s,
        orphan_after_s=settings.inbox_orphan_after_s,
        max_in_flight=settings.inbox_max_in_flight or 2 * workers,
        settle_s=settings.inbox_settle_s,
        max_file_bytes=settings.inbox_max_file_mb * 1024 * 1024,
        shutdown_grace_s=settings.inbox_shutdown_grace_s,
    )


async def check_tesseract(pool: TesseractPool) -> None:
    """Fail at start-up, not file by file, when Tesseract or a language is missing."""
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract is not installed (Debian: tesseract-ocr, -ita, -eng)")
    process = await asyncio.create_subprocess_exec(
        "tesseract",
        "--list-langs",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    have = set(out.decode(errors="replace").split())
    missing = [lang for lang in pool.languages.split("+") if lang not in have]
    if missing:
        raise SystemExit(f"tesseract lacks language data: {', '.join(missing)}")


def build_scan_watcher(
    settings: ScanSettings,
    *,
    reader: DocumentReader,
    publisher: EventPublisher,
    blobs: BlobStore,
    on_unit: Callable[[str, float], None] | None = None,
) -> InboxWatcher:
    """The scan watcher, with the collaborators given (tests pass their own publisher)."""
    handler = ScanHandler(
        reader,
        blobs,
        ScanPolicy(
            min_word_confidence=settings.ocr_min_word_confidence,
            review_below=settings.ocr_review_below,
        ),
    )
    return InboxWatcher(
        folders=InboxFolders(settings.scan_inbox_dir, settings.tz),
        planner=ScanPlanner(),
        handler=handler,
        publisher=publisher,
        published=KafkaPublishedCheck(settings.kafka_bootstrap, client_id=CLIENT_ID),
        blobs=blobs,
        config=watcher_config(settings, reader.tesseract.workers),
        on_unit=on_unit,
    )


def build_reader(settings: ScanSettings) -> DocumentReader:
    pool = TesseractPool(
        workers=settings.ocr_workers,
        languages=settings.ocr_languages,
        timeout_s=settings.ocr_page_timeout_s,
    )
    return DocumentReader(
        pool,
        render_dpi=settings.ocr_render_dpi,
        min_text_layer_chars=settings.ocr_min_text_layer_chars,
    )


async def serve(
    settings: ScanSettings,
    stop: asyncio.Event,
    *,
    on_start: Callable[[InboxWatcher], None] | None = None,
) -> None:
    """Run the scan watcher until `stop` is set. `on_start` receives the watcher, e.g. to
    export `watcher.backlog` and `watcher.stats()` as metrics."""
    reader = build_reader(settings)
    await check_tesseract(reader.tesseract)
    registry = service_registry("scans")
    instruments = InboxInstruments(registry, "scans")
    metrics = await start_metrics(registry, settings.scan_metrics_host, settings.scan_metrics_port)
    publisher = Publisher(
        settings.kafka_bootstrap, client_id=CLIENT_ID, observer=instruments.publishing
    )
    await publisher.start()
    try:
        async with reader:
            watcher = build_scan_watcher(
                settings,
                reader=reader,
                publisher=publisher,
                blobs=BlobStore(settings.blob_dir),
                on_unit=instruments.unit_done,
            )
            instruments.watch(watcher)
            log.info("scan watcher: %d OCR workers", reader.tesseract.workers)
            if on_start is not None:
                on_start(watcher)
            await run_watcher(watcher, stop)
    finally:
        await publisher.stop()
        if metrics is not None:
            await metrics.stop()
