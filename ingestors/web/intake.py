"""Accepting one complaint, whatever door it came in by (JSON API, Open311, citizen form).

`Intake.submit` decides with the receipt store whether to publish (idempotency), publishes
to `complaints.intake`, and returns only once Kafka acknowledged: the HTTP adapters answer
202 with what it returns, or turn its errors into problems.
"""

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ingestors.web.auth import Caller
from ingestors.web.complaint_request import (
    ChannelDetails,
    ComplaintRequest,
    idempotency_ref,
    submission_event,
)
from ingestors.web.receipts import Claimed, KeyConflict, ReceiptStore, Replay
from runtime.errors import BrokerUnavailable, SportelloError, StoreUnavailable
from runtime.publisher import Publisher
from schemas import topics
from schemas.blob import BlobRef
from schemas.submission import Channel, tracking_id_for

log = logging.getLogger(__name__)

SOURCE = "/ingestors/web"

Clock = Callable[[], datetime]


class IdempotencyConflict(SportelloError):
    """The key is in use by a request being handled now, or was used for another request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Accepted:
    tracking_id: str
    replayed: bool


@dataclass(frozen=True)
class Incoming:
    """A validated complaint and what the door it came by adds to it. `fingerprint` is what
    an Idempotency-Key is bound to (`complaint_request.fingerprint`); without a key it is
    never compared, and a door may leave it empty."""

    complaint: ComplaintRequest
    fingerprint: str
    attachments: Sequence[BlobRef] = ()
    channel_details: ChannelDetails | None = None
    service_code: str | None = None


class Intake:
    def __init__(
        self,
        publisher: Publisher,
        receipts: ReceiptStore,
        *,
        clock: Clock,
        topic: str = topics.INTAKE,
    ) -> None:
        self._publisher = publisher
        self._receipts = receipts
        self._clock = clock
        self._topic = topic

    async def submit(self, caller: Caller, incoming: Incoming, *, key: str | None) -> Accepted:
        """Publish `incoming` unless this caller's `key` already did; return its tracking id.

        Raises `IdempotencyConflict`, `BrokerUnavailable` (nothing was recorded) or
        `StoreUnavailable` (a keyed request could not be checked, so nothing was published).
        """
        now = self._clock()
        ref = idempotency_ref(caller.client_id, key, os.urandom(16).hex())
        channel = incoming.complaint.channel
        tracking_id = tracking_id_for(Channel(channel), ref)
        claim: Claimed | None = None
        if key is not None:
            found = await self._receipts.claim(
                caller.client_id,
                ref,
                incoming.fingerprint,
                tracking_id=tracking_id,
                channel=channel,
                service_code=incoming.service_code,
                now=now,
            )
            if isinstance(found, Replay):
                return Accepted(found.tracking_id, replayed=True)
            if isinstance(found, KeyConflict):
                raise IdempotencyConflict(found.reason)
            claim = found

        event = submission_event(
            incoming.complaint,
            idempotency_ref=ref,
            tracking_id=tracking_id,
            received_at=now,
            event_id=os.urandom(16).hex(),
            source=SOURCE,
            attachments=incoming.attachments,
            channel_details=incoming.channel_details,
        )
        try:
            await self._publisher.publish(self._topic, event)
        except BrokerUnavailable:
            if claim is not None:
                await self._forget(caller.client_id, ref, claim)
            raise

        # Kafka has it: the complaint is accepted whatever happens to the bookkeeping below.
        if claim is None:
            # Without a key the receipt serves the status lookup only, which the store
            # answers from memory until the row is written: no need to wait for it.
            await self._receipts.record_soon(
                caller.client_id,
                ref,
                incoming.fingerprint,
                tracking_id=tracking_id,
                channel=channel,
                service_code=incoming.service_code,
                at=now,
            )
            return Accepted(tracking_id, replayed=False)
        try:
            # A retry must find the key accepted, in any process: wait for it.
            await self._receipts.accept(caller.client_id, ref, at=now)
        except StoreUnavailable as exc:
            # A retry of a keyed request finds the claim pending and, after the lease,
            # publishes again with the same tracking id, which dedup recognises.
            log.warning("accepted %s but could not record it: %s", tracking_id, exc)
        return Accepted(tracking_id, replayed=False)

    async def _forget(self, client_id: str, ref: str, claim: Claimed) -> None:
        try:
            await self._receipts.release(client_id, ref, claimed_at=claim.claimed_at)
        except StoreUnavailable as exc:
            log.warning("could not release an idempotency claim (lease will expire): %s", exc)
