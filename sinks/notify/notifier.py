"""The notifier's loop: case snapshots in, mails to citizens and `sportello.case.notified` out.

It reads `complaints.cases` in a consumer group of its own and commits a batch's offsets
only after every notice in it is settled, so a crash repeats work and never skips it; the
ledger makes the repeat harmless. For each notice (`plan.notice_for`):

    claim it in the ledger           (settled already: only make sure its event is out)
    send it through the relay        (`ingestors.smtp.ack.send_via_relay`)
    settle it: sent, or refused      (a 5xx for the address is final, not retried)
    publish sportello.case.notified  (event id = notice id), then mark it published

The relay, PostgreSQL or Kafka being away holds the partition: the same notice is tried
again with a growing pause (up to `retry_max_s`) and nothing after it is committed.
"""

import asyncio
import contextlib
import logging
import smtplib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from pydantic import ValidationError

from ingestors.smtp.ack import is_permanent
from runtime.errors import BrokerUnavailable, StoreUnavailable
from schemas import topics
from schemas.events import CaseUpdated, CitizenNotified, decode_event
from schemas.notification import CitizenNotification
from sinks.notify.ledger import Busy, Ledger, Settled
from sinks.notify.links import mint, reopen_url
from sinks.notify.message import build_notice, notice_message_id
from sinks.notify.plan import Notice, notice_for

log = logging.getLogger(__name__)

SOURCE = "/sinks/notify"

Send = Callable[[EmailMessage], Awaitable[None]]
"""Hand a message to the relay; raises `smtplib.SMTPException` or `OSError`."""


class Publishing(Protocol):
    async def publish(self, topic: str, event: CitizenNotified) -> None: ...


@dataclass(frozen=True)
class Composer:
    """Everything a notice's mail needs besides the notice: who sends it, where the citizen
    follows the case, and the key of the "not solved" links (None: no link, reply only)."""

    sender: str
    domain: str
    public_url: str
    link_key: bytes | None
    link_validity: timedelta
    body_names: Mapping[str, str]

    def __call__(self, notice: Notice, now: datetime) -> tuple[EmailMessage, bool]:
        """The mail, and whether it offers the link."""
        base = self.public_url.rstrip("/")
        link = None
        if self.link_key is not None:
            token = mint(
                self.link_key,
                notice.case_id,
                seq=notice.answer.seq,
                expires_at=notice.answer.answered_at + self.link_validity,
            )
            link = reopen_url(base, notice.case_id, token)
        body = notice.answer.body
        message = build_notice(
            notice,
            sender=self.sender,
            domain=self.domain,
            now=now,
            body_name=self.body_names.get(body, body) if body else None,
            status_url=f"{base}/complaints/{notice.tracking_id}",
            reopen_url=link,
        )
        return message, link is not None


class _Retry(Exception):
    """This notice cannot be settled now; try it again after a pause."""


def notified_event(settled: Settled) -> CitizenNotified:
    """The history event of a settled notice; the same event however often it is made."""
    data = CitizenNotification(
        notification_id=settled.notification_id,
        case_id=settled.case_id,
        tracking_id=settled.tracking_id,
        answer_seq=settled.answer_seq,
        outcome=settled.outcome,
        delivered=settled.delivered,
        message_id=settled.message_id,
        detail=settled.detail,
        reopen_link=settled.reopen_link,
        sent_at=settled.sent_at,
    )
    return CitizenNotified.new(
        data,
        source=SOURCE,
        subject=settled.case_id,
        time=settled.sent_at,
        event_id=settled.notification_id,
    )


class Notifier:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        ledger: Ledger,
        publisher: Publishing,
        send: Send,
        compose: Composer,
        *,
        clock: Callable[[], datetime],
        max_age: timedelta,
        output_topic: str = topics.NOTIFICATIONS,
        retry_max_s: float = 60.0,
        batch_size: int = 100,
        poll_ms: int = 500,
    ) -> None:
        self._consumer = consumer
        self._ledger = ledger
        self._publisher = publisher
        self._send = send
        self._compose = compose
        self._clock = clock
        self._max_age = max_age
        self._topic = output_topic
        self._retry_max_s = retry_max_s
        self._batch_size = batch_size
        self._poll_ms = poll_ms
        self.sent = 0
        self.refused = 0
        self.retries = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Notify until `stop` is set; commits what is settled before returning."""
        while not stop.is_set():
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=self._poll_ms, max_records=self._batch_size
                )
            except KafkaError as exc:
                log.warning("cannot fetch case snapshots (%s); retrying", exc)
                await _pause(stop, 1.0)
                continue
            done: dict[TopicPartition, int] = {}
            for tp, records in batch.items():
                for record in records:
                    if not await self._handle(record.value, stop):
                        break
                    done[tp] = record.offset + 1
            await self._commit(done)

    async def _handle(self, value: bytes | None, stop: asyncio.Event) -> bool:
        """Settle what one message calls for; False if asked to stop before it was settled."""
        notice = self._notice(value)
        if notice is None:
            return True
        pause = 0.5
        while True:
            try:
                await self._notify(notice)
                return True
            except (_Retry, StoreUnavailable, BrokerUnavailable) as exc:
                self.retries += 1
                log.warning(
                    "notice %s not settled (%s); again in %.1f s",
                    notice.notification_id,
                    exc,
                    pause,
                )
            if await _pause(stop, pause):
                return False
            pause = min(pause * 2, self._retry_max_s)

    def _notice(self, value: bytes | None) -> Notice | None:
        if not value:
            return None
        try:
            event = decode_event(value)
        except ValidationError:
            return None  # the sink dead-letters what nobody can read; nothing to tell here
        if not isinstance(event, CaseUpdated):
            return None
        return notice_for(event.data, now=self._clock(), max_age=self._max_age)

    async def _notify(self, notice: Notice) -> None:
        now = self._clock()
        claim = await self._ledger.claim(notice, now=now)
        if isinstance(claim, Busy):
            raise _Retry("another notifier is sending it")
        settled = claim if isinstance(claim, Settled) else await self._deliver(notice, now)
        if not settled.published:
            await self._publisher.publish(self._topic, notified_event(settled))
            await self._ledger.published(settled.notification_id, at=self._clock())

    async def _deliver(self, notice: Notice, claimed_at: datetime) -> Settled:
        message, link = self._compose(notice, claimed_at)
        message_id = notice_message_id(notice, self._compose.domain)
        try:
            await self._send(message)
        except (smtplib.SMTPException, OSError) as exc:
            if not is_permanent(exc):
                await self._ledger.release(notice, claimed_at=claimed_at)
                raise _Retry(f"relay: {type(exc).__name__}: {exc}") from exc
            self.refused += 1
            log.warning("the relay refused the notice %s for good: %s", notice.notification_id, exc)
            return await self._ledger.settle(
                notice,
                delivered=False,
                message_id=None,
                reopen_link=False,
                detail=f"{type(exc).__name__}: {exc}"[:2000],
                at=self._clock(),
            )
        self.sent += 1
        log.info("told the citizen of %s (%s)", notice.tracking_id, notice.answer.outcome.value)
        return await self._ledger.settle(
            notice,
            delivered=True,
            message_id=message_id,
            reopen_link=link,
            detail=None,
            at=self._clock(),
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: their new owner repeats the batch, and the
            # ledger turns the repeat into nothing.
            log.warning("could not commit notifier offsets (%s)", exc)


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until `stop`; True if stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
