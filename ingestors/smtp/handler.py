"""The aiosmtpd handler: a short loop that checks recipients, hands the mail to a worker,
publishes what comes back, and answers with the reply that says the mail's fate.

    RCPT to an address we do not serve          550 5.1.1
    mail larger than the advertised SIZE        552 5.3.4   (see `server.IntakeSMTP`)
    the broker did not acknowledge              451 4.3.0   the sending server retries
    the raw message could not be stored         451 4.3.0
    stored and acknowledged by the broker       250 2.0.0   (complaint, follow-up, dead letter)
    not a complaint (auto-reply, bounce...)     250 2.0.0   recorded: log line and counter
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from ingestors.smtp.ack import AckSender
from ingestors.smtp.assemble import Prepared
from ingestors.smtp.intake import Envelope, Fate
from runtime.errors import BrokerUnavailable

log = logging.getLogger(__name__)

Prepare = Callable[[bytes, Envelope, datetime], Awaitable[Prepared]]


class Publishing(Protocol):
    """The one method of `runtime.publisher.Publisher` the intake needs."""

    async def publish_raw(self, topic: str, key: bytes, value: bytes) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery attempt, as told to observers (tests, metrics)."""

    fate: Fate | None
    ref: str | None
    reason: str
    tracking_id: str | None
    reply: str
    seconds: float = 0.0
    """From the end of DATA to the reply."""


class IntakeHandler:
    """aiosmtpd handler of the intake. `counters` counts outcomes by fate and reason."""

    def __init__(
        self,
        *,
        recipients: Iterable[str],
        prepare: Prepare,
        publisher: Publishing,
        clock: Callable[[], datetime],
        acks: AckSender | None = None,
        observer: Callable[[Outcome], None] | None = None,
    ) -> None:
        self._recipients = frozenset(r.strip().lower() for r in recipients)
        self._prepare = prepare
        self._publisher = publisher
        self._clock = clock
        self._acks = acks
        self._observer = observer
        self.counters: Counter[str] = Counter()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def drained(self, timeout_s: float) -> bool:
        """Wait until no mail is being handled; False if `timeout_s` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SmtpEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip().lower() not in self._recipients:
            self.counters["rejected_recipient"] += 1
            return f"550 5.1.1 <{address}>: recipient not served here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        self._in_flight += 1
        self._idle.clear()
        try:
            return await self._handle(session, envelope, time.monotonic())
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    @property
    def in_flight(self) -> int:
        """Mails being handled now."""
        return self._in_flight

    async def _handle(self, session: Session, envelope: SmtpEnvelope, started: float) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        received_at = self._clock()
        facts = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            peer=str(session.peer) if session.peer else None,
        )
        try:
            prepared = await self._prepare(raw, facts, received_at)
        except Exception:
            # Storage full, a worker killed by the OS...: nothing is promised, so the
            # sending server keeps the mail and retries.
            log.exception("could not prepare a mail from %s; answering 451", facts.peer)
            return self._done(
                None, "451 4.3.0 Temporary failure storing the message, try later", started
            )
        if prepared.payload is not None and prepared.topic is not None:
            try:
                key = (prepared.key or prepared.ref).encode()
                await self._publisher.publish_raw(prepared.topic, key, prepared.payload)
            except BrokerUnavailable as exc:
                log.warning("broker unavailable for %s (%s); answering 451", prepared.ref, exc)
                return self._done(
                    prepared, "451 4.3.0 Broker unavailable, try again later", started
                )
        if prepared.fate is Fate.NOT_COMPLAINT:
            log.info("not a complaint (%s: %s): %s", prepared.reason, prepared.detail, prepared.ref)
            reply = f"250 2.0.0 OK: received, not a complaint ({prepared.reason})"
        elif prepared.fate is Fate.DEAD_LETTER:
            log.warning("dead letter (%s): %s", prepared.reason, prepared.ref)
            reply = "250 2.0.0 OK: received, kept for review"
        else:
            log.info("%s %s published: %s", prepared.fate, prepared.tracking_id, prepared.ref)
            reply = f"250 2.0.0 OK: {prepared.tracking_id}"
        if prepared.ack is not None and self._acks is not None:
            self._acks.submit(prepared.ack)
        return self._done(prepared, reply, started)

    def _done(self, prepared: Prepared | None, reply: str, started: float) -> str:
        code = reply[:3]
        if prepared is None:
            self.counters["temporary_failure"] += 1
        elif code != "250":
            self.counters["broker_unavailable"] += 1
        else:
            self.counters[prepared.fate.value] += 1
            if prepared.reason:
                self.counters[f"{prepared.fate.value}:{prepared.reason}"] += 1
        if self._observer is not None:
            self._observer(
                Outcome(
                    prepared.fate if prepared else None,
                    prepared.ref if prepared else None,
                    prepared.reason if prepared else "",
                    prepared.tracking_id if prepared else None,
                    reply,
                    time.monotonic() - started,
                )
            )
        return reply
