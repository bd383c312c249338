"""The acknowledgement a citizen gets by mail: the tracking number, sent after the broker
has stored the complaint, through the configured outgoing relay.

`build_ack` is pure. The acknowledgement is marked as an automatic reply (RFC 3834:
`Auto-Submitted: auto-replied`, `In-Reply-To`/`References`), so that responders that honour
it do not answer it and Sportello's own intake never treats an answer to it as a complaint;
its Message-ID carries the tracking number (`<sportello-ack.SP-…@domain>`), so a citizen's
reply to it is recognised as a follow-up on that case.

`AckSender` sends in the background: the SMTP 250 never waits for the relay, and a failed
send is retried a few times with a pause, then logged.

`send_via_relay` is Sportello's one way of handing a mail to the outgoing relay; the citizen
notifier (`sinks.notify`) sends its messages through it too, and `is_permanent` tells a
refusal for good (a 5xx for the address) from a failure worth a retry.
"""

import asyncio
import contextlib
import hashlib
import logging
import smtplib
import ssl
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AckRequest:
    """Who to acknowledge, for which submission, replying to which message."""

    to: str
    tracking_id: str
    ref: str
    follow_up: bool = False
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int = 25
    sender: str = "reclami@sportello.local"
    domain: str = "sportello.local"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0
    attempts: int = 4
    backoff_s: float = 2.0


def ack_message_id(tracking_id: str, ref: str, domain: str) -> str:
    """Deterministic, so a re-sent acknowledgement is recognisably the same message."""
    token = hashlib.sha256(ref.encode()).hexdigest()[:16]
    return f"<sportello-ack.{tracking_id}.{token}@{domain}>"


def build_ack(request: AckRequest, *, sender: str, domain: str, now: datetime) -> EmailMessage:
    """The acknowledgement mail, in Italian and English."""
    message = EmailMessage()
    message["From"] = f"Sportello reclami <{sender}>"
    message["To"] = request.to
    what_it = "Integrazione ricevuta" if request.follow_up else "Reclamo ricevuto"
    message["Subject"] = f"{what_it} - {request.tracking_id}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = ack_message_id(request.tracking_id, request.ref, domain)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message["Precedence"] = "auto_reply"
    if request.in_reply_to:
        message["In-Reply-To"] = request.in_reply_to
        message["References"] = " ".join((*request.references[-10:], request.in_reply_to))
    quoted = f' ("{request.subject[:200]}")' if request.subject else ""
    if request.follow_up:
        it = f"il suo messaggio{quoted} è stato aggiunto alla pratica {request.tracking_id}."
        en = f"your message{quoted} has been added to case {request.tracking_id}."
    else:
        it = (
            f"abbiamo ricevuto il suo reclamo{quoted}. Numero di protocollo: {request.tracking_id}."
        )
        en = f"we have received your complaint{quoted}. Tracking number: {request.tracking_id}."
    message.set_content(
        f"Gentile cittadina, gentile cittadino,\n\n{it}\n"
        "Per aggiungere informazioni risponda a questo messaggio.\n\n"
        f"Dear citizen,\n\n{en}\nReply to this message to add information.\n\n"
        "-- \nSportello reclami (messaggio automatico / automatic message)\n"
    )
    return message


class AckSender:
    """Sends acknowledgements from a queue, after the fact, with retries.

    `submit` never blocks; `close` waits (up to a limit) for the queue to drain, so a clean
    shutdown loses no acknowledgement already promised. A mail redelivered by the sending
    server is acknowledged once per process.
    """

    def __init__(self, relay: RelayConfig, *, clock: Callable[[], datetime]) -> None:
        self._relay = relay
        self._clock = clock
        self._queue: asyncio.Queue[AckRequest] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="smtp-ack-sender")

    def submit(self, request: AckRequest) -> None:
        if request.ref in self._recent:
            return
        self._recent[request.ref] = None
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        self._queue.put_nowait(request)

    async def close(self, timeout_s: float = 30.0) -> None:
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout_s)
        except TimeoutError:
            log.error("stopping with %d acknowledgements unsent", self._queue.qsize())
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            request = await self._queue.get()
            try:
                await self._send_with_retries(request)
            finally:
                self._queue.task_done()

    async def _send_with_retries(self, request: AckRequest) -> None:
        relay = self._relay
        message = build_ack(request, sender=relay.sender, domain=relay.domain, now=self._clock())
        for attempt in range(1, relay.attempts + 1):
            try:
                await asyncio.to_thread(send_via_relay, relay, message)
            except (smtplib.SMTPException, OSError) as exc:
                log.warning(
                    "acknowledgement of %s to relay %s:%d failed (attempt %d/%d): %s",
                    request.tracking_id,
                    relay.host,
                    relay.port,
                    attempt,
                    relay.attempts,
                    exc,
                )
                if attempt < relay.attempts:
                    await asyncio.sleep(relay.backoff_s * attempt)
                continue
            self.sent += 1
            log.info("acknowledged %s by mail", request.tracking_id)
            return
        self.failed += 1
        log.error(
            "acknowledgement of %s not sent after %d attempts", request.tracking_id, relay.attempts
        )


def send_via_relay(relay: RelayConfig, message: EmailMessage) -> None:
    """Hand `message` to the relay (blocking: run it in a thread). Raises
    `smtplib.SMTPException` or `OSError`; see `is_permanent`."""
    with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_s) as client:
        if relay.starttls:
            client.starttls(context=ssl.create_default_context())
        if relay.username and relay.password:
            client.login(relay.username, relay.password)
        # Null reverse-path (RFC 3834 section 3.3): a bounce of an acknowledgement must not
        # come back to the intake as mail.
        client.send_message(message, from_addr="")


def is_permanent(exc: BaseException) -> bool:
    """Whether the relay refused the mail for good (a 5xx reply: no such address, mail
    refused), so that trying again would change nothing; network errors and 4xx replies are
    worth a retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False
