"""The postal OCR reader wired to the blob store and Kafka."""

import asyncio
import logging

from ingestors.inbox.folders import InboxFolders
from ingestors.inbox.published import KafkaPublishedCheck
from ingestors.inbox.service import run_watcher
from ingestors.inbox.watcher import InboxWatcher, WatcherConfig, utc_now
from ingestors.postal.handler import PostalHandler
from ingestors.postal.plan import PostalPlanner
from ingestors.postal.settings import PostalSettings
from ingestors.postal.submission import PostalPolicy
from runtime.blobstore import BlobStore
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


async def serve(settings: PostalSettings, stop: asyncio.Event) -> None:
    """Run the postal reader until `stop` is set."""
    blobs = BlobStore(settings.blob_dir)
    publisher = Publisher(settings.kafka_bootstrap, client_id=CLIENT_ID)
    await publisher.start()
    folders = InboxFolders(settings.postal_inbox_dir, settings.tz)
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
    watcher = InboxWatcher(
        folders=folders,
        planner=PostalPlanner(),
        handler=handler,
        publisher=publisher,
        published=KafkaPublishedCheck(settings.kafka_bootstrap, client_id=CLIENT_ID),
        blobs=blobs,
        config=watcher_config(settings),
    )
    log.info("watching %s (legal receipt: %s)", folders.inbox, policy.receipt.value)
    try:
        await run_watcher(watcher, stop)
    finally:
        await publisher.stop()
