"""Wiring the SMTP intake together: the listening server, the parse workers (`pool`), the
publisher and the acknowledgement sender. `SmtpIntake.start(settings)` runs it inside an event loop;
`serve(settings)` runs it until asked to stop.
"""

import asyncio
import hmac
import logging
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, AnyStr, Self

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from ingestors.smtp.ack import AckSender
from ingestors.smtp.assemble import AssemblyConfig
from ingestors.smtp.fax import load_gateways
from ingestors.smtp.fax_ocr import OcrConfig
from ingestors.smtp.handler import IntakeHandler, Outcome, Publishing
from ingestors.smtp.metrics import SmtpInstruments
from ingestors.smtp.pool import ParsePool
from ingestors.smtp.settings import SmtpSettings
from runtime.instruments import service_registry
from runtime.metrics_http import MetricsServer
from runtime.publisher import Publisher

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class IntakeSMTP(SMTP):
    """aiosmtpd's SMTP session with two changes real mail needs.

    Lines longer than RFC 5321's 1000 octets are accepted (much real mail has them, and a
    `500 Line too long` would bounce a citizen's complaint); the size limit is still
    enforced by `data_size_limit`. And the size refusals carry the enhanced status code
    `5.3.4` (RFC 3463) that senders' bounce messages explain to people.
    """

    line_length_limit = 64 * 1024

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str) and status.startswith("552 Error"):
            await super().push("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        await super().push(status)


def tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.smtp_tls_cert is None or settings.smtp_tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return context


class PasswordAuthenticator:
    """AUTH PLAIN/LOGIN against the configured users, compared in constant time."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users

    def __call__(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        expected = self._users.get(login)
        ok = expected is not None and hmac.compare_digest(expected.encode(), auth_data.password)
        return AuthResult(success=ok, handled=False)


class SmtpIntake:
    """The running intake. Build it with `start`, end it with `stop`."""

    def __init__(
        self,
        server: asyncio.Server,
        handler: IntakeHandler,
        pool: ParsePool,
        publisher: Publisher | None,
        acks: AckSender | None,
    ) -> None:
        self._server = server
        self.handler = handler
        self._pool = pool
        self._publisher = publisher
        self.acks = acks

    @property
    def port(self) -> int:
        return int(self._server.sockets[0].getsockname()[1])

    @classmethod
    async def start(
        cls,
        settings: SmtpSettings,
        *,
        publisher: Publishing | None = None,
        clock: Callable[[], datetime] = utc_now,
        observer: Callable[[Outcome], None] | None = None,
        instruments: SmtpInstruments | None = None,
    ) -> Self:
        """Listen on `settings.smtp_host:smtp_port` (port 0: any free port, see `port`).

        `publisher` defaults to a `Publisher` on `settings.kafka_bootstrap`, owned (and
        stopped) by the intake. `instruments` are told every outcome and every publish.
        """
        config = AssemblyConfig(
            blob_root=settings.blob_dir,
            gateways=load_gateways(settings.smtp_fax_gateways_file),
            ocr=OcrConfig(
                languages=settings.smtp_ocr_languages,
                timeout_s=settings.smtp_ocr_timeout_s,
                tesseract=settings.smtp_tesseract,
                pdftoppm=settings.smtp_pdftoppm,
            ),
        )
        pool = ParsePool(
            config,
            threads=settings.smtp_parse_threads,
            processes=settings.smtp_parse_processes,
            large_bytes=settings.smtp_large_message_bytes,
        )
        await pool.warm_up()
        owned: Publisher | None = None
        if publisher is None:
            owned = Publisher(
                settings.kafka_bootstrap,
                client_id="sportello-smtp",
                timeout_s=settings.smtp_publish_timeout_s,
                observer=instruments.publishing if instruments is not None else None,
            )
            await owned.start()
            publisher = owned
        acks = _ack_sender(settings, clock)
        if instruments is not None:
            observer = _both(observer, instruments.observe)
        handler = IntakeHandler(
            recipients=(*settings.smtp_complaint_recipients, *settings.smtp_fax_recipients),
            prepare=pool.prepare,
            publisher=publisher,
            clock=clock,
            acks=acks,
            observer=observer,
        )
        if instruments is not None:
            instruments.watch(handler)
        loop = asyncio.get_running_loop()
        context = tls_context(settings)
        users = {k: v.get_secret_value() for k, v in settings.smtp_auth_users.items()}

        def session() -> IntakeSMTP:
            return IntakeSMTP(
                handler,
                data_size_limit=settings.smtp_max_message_bytes,
                enable_SMTPUTF8=True,
                hostname=settings.smtp_hostname,
                ident="Sportello SMTP intake",
                tls_context=context,
                require_starttls=settings.smtp_require_starttls,
                timeout=settings.smtp_session_timeout_s,
                auth_required=settings.smtp_auth_required,
                auth_require_tls=settings.smtp_auth_require_tls,
                authenticator=PasswordAuthenticator(users) if users else None,
                loop=loop,
            )

        server = await loop.create_server(session, settings.smtp_host, settings.smtp_port)
        intake = cls(server, handler, pool, owned, acks)
        log.info("SMTP intake listening on %s:%d", settings.smtp_host, intake.port)
        return intake

    async def stop(self) -> None:
        """Stop accepting, let the mails in progress finish, send the promised acks."""
        self._server.close()
        await self._server.wait_closed()
        if not await self.handler.drained(timeout_s=60.0):
            log.error("stopping while mails are still being handled; their senders will retry")
        if self.acks is not None:
            await self.acks.close()
        await asyncio.to_thread(self._pool.close)
        if self._publisher is not None:
            await self._publisher.stop()


def _ack_sender(settings: SmtpSettings, clock: Callable[[], datetime]) -> AckSender | None:
    relay = settings.relay_config()
    if relay is None:
        return None
    sender = AckSender(relay, clock=clock)
    sender.start()
    return sender


def _both(
    first: Callable[[Outcome], None] | None, second: Callable[[Outcome], None]
) -> Callable[[Outcome], None]:
    if first is None:
        return second

    def tell(outcome: Outcome) -> None:
        first(outcome)
        second(outcome)

    return tell


async def serve(settings: SmtpSettings, stop: asyncio.Event | None = None) -> None:
    """Run the intake until `stop` is set (forever when None), with its metrics endpoint on
    `smtp_metrics_host:smtp_metrics_port` unless that is unset."""
    registry = service_registry("smtp")
    instruments = SmtpInstruments(registry)
    metrics = None
    if settings.smtp_metrics_port is not None:
        metrics = MetricsServer(
            registry, host=settings.smtp_metrics_host, port=settings.smtp_metrics_port
        )
        await metrics.start()
    intake = await SmtpIntake.start(settings, instruments=instruments)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        log.info("SMTP intake stopping")
        await intake.stop()
        if metrics is not None:
            await metrics.stop()
