"""The postal OCR reader wired to the blob store and Kafka."""

import asyncio
import logging
from collections.abc import Callable

from ingestors.inbox.folders import InboxFolders
from ingestors.inbox.metrics import InboxInstruments
from ingestors.inbox.published import KafkaPublishedCheck
from ingestors.inbox.service import run_watcher, start_metrics
from ingestors.inbox.watcher import EventPublisher, InboxWatcher, WatcherConfig, utc_now
from ingestors.postal.handler import PostalHandler
from ingestors.postal.plan import PostalPlanner
from ingestors.postal.settings import PostalSettings
from ingestors.postal.submission import PostalPolicy
from runtime.blobstore import BlobStore
from runtime.instruments import service_registry
from runtime.publisher import Publisher
from schemas.submission import Channel

log = logging.getLogger(__name__)

CLIENT_ID = "sportello-ingestor-postal"


def watcher_config(settings: PostalSettings) -> WatcherConfig:
    return WatcherConfig(
        channel=Channel.POSTAL,
        stage="ingestors.postal",
        source="/ingestors/postal",
        stable_s=settings.inbox_stable_s,
        rescan_s=settings.inbox_rescan_s,
        orphan_after_s=settings.inbox_orphan_after_s,
        max_in_flight=settings.inbox_max_in_flight or 8,
        settle_s=settings.inbox_settle_s,
        max_file_bytes=settings.inbox_max_file_mb * 1024 * 1024,
        shutdown_grace_s=settings.inbox_shutdown_grace_s,
    )


def build_postal_watcher(
    settings: PostalSettings,
    *,
    publisher: EventPublisher,
    blobs: BlobStore,
    on_unit: Callable[[str, float], None] | None = None,
) -> InboxWatcher:
    """The postal reader, with the collaborators given (tests pass their own publisher)."""
    policy = PostalPolicy(
        receipt=settings.postal_legal_receipt,
        review_below=settings.postal_review_below,
        min_word_confidence=settings.postal_min_word_confidence,
        tz=settings.tz,
    )
    handler = PostalHandler(
        blobs,
        policy,
        stable_s=settings.inbox_stable_s,
        companion_wait_s=settings.postal_companion_wait_s,
        clock=utc_now,
    )
    return InboxWatcher(
        folders=InboxFolders(settings.postal_inbox_dir, settings.tz),
        planner=PostalPlanner(),
        handler=handler,
        publisher=publisher,
        published=KafkaPublishedCheck(settings.kafka_bootstrap, client_id=CLIENT_ID),
        blobs=blobs,
        config=watcher_config(settings),
        on_unit=on_unit,
    )


async def serve(
    settings: PostalSettings,
    stop: asyncio.Event,
    *,
    on_start: Callable[[InboxWatcher], None] | None = None,
) -> None:
    """Run the postal reader until `stop` is set. `on_start` receives the watcher, e.g. to
    export `watcher.backlog` and `watcher.stats()` as metrics."""
    registry = service_registry("postal")
    instruments = InboxInstruments(registry, "postal")
    metrics = await start_metrics(
        registry, settings.postal_metrics_host, settings.postal_metrics_port
    )
    publisher = Publisher(
        settings.kafka_bootstrap, client_id=CLIENT_ID, observer=instruments.publishing
    )
    await publisher.start()
    watcher = build_postal_watcher(
        settings,
        publisher=publisher,
        blobs=BlobStore(settings.blob_dir),
        on_unit=instruments.unit_done,
    )
    instruments.watch(watcher)
    log.info("postal reader: legal receipt from %s", settings.postal_legal_receipt)
    if on_start is not None:
        on_start(watcher)
    try:
        await run_watcher(watcher, stop)
    finally:
        await publisher.stop()
        if metrics is not None:
            await metrics.stop()
