"""The web intake's periodic work beside the requests: purging old idempotency receipts.

`python -m ingestors.web` runs `purge_receipts` for as long as it serves. Every web process
does, so nothing depends on one of them; two purging at once delete each row once.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ingestors.web.receipts import ReceiptStore
from runtime.errors import StoreUnavailable

log = logging.getLogger(__name__)


async def purge_receipts(
    store: ReceiptStore,
    *,
    keep: timedelta,
    interval_s: float,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
) -> None:
    """Purge the receipts older than `keep` now and every `interval_s`, until `stop` is set.
    A PostgreSQL outage is logged and tried again at the next interval."""
    while not stop.is_set():
        try:
            purged = await store.purge(before=clock() - keep)
        except StoreUnavailable as exc:
            log.warning("could not purge old idempotency receipts: %s", exc)
        else:
            if purged:
                log.info("purged %d idempotency receipts older than %s", purged, keep)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
