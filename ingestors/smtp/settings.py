"""Settings of the SMTP intake, read once from `SPORTELLO_SMTP_*` (see `CommonSettings`)."""

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator

from ingestors.smtp.ack import RelayConfig
from runtime.metrics_http import DEFAULT_PORTS
from runtime.settings import CommonSettings


class RelaySettings(CommonSettings):
    """The outgoing relay, shared by the SMTP intake's acknowledgements and the citizen
    notifier (`sinks.notify`): one relay, one sender address, one Message-ID domain."""

    smtp_relay_host: Annotated[
        str | None, Field(description="outgoing relay for acknowledgements; None: no acks")
    ] = None
    smtp_relay_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_relay_starttls: bool = False
    smtp_relay_user: str | None = None
    smtp_relay_password: SecretStr | None = None
    smtp_ack_from: str = "reclami@sportello.local"
    smtp_ack_domain: Annotated[str, Field(description="right side of ack Message-IDs")] = (
        "sportello.local"
    )
    smtp_ack_attempts: Annotated[int, Field(ge=1, le=20)] = 4
    smtp_ack_backoff_s: Annotated[float, Field(ge=0)] = 2.0

    def relay_config(self) -> RelayConfig | None:
        """The relay to send through; None when no relay host is configured."""
        if not self.smtp_relay_host:
            return None
        password = self.smtp_relay_password
        return RelayConfig(
            host=self.smtp_relay_host,
            port=self.smtp_relay_port,
            sender=self.smtp_ack_from,
            domain=self.smtp_ack_domain,
            starttls=self.smtp_relay_starttls,
            username=self.smtp_relay_user,
            password=password.get_secret_value() if password else None,
            attempts=self.smtp_ack_attempts,
            backoff_s=self.smtp_ack_backoff_s,
        )


class SmtpSettings(RelaySettings):
    """Where the SMTP intake listens, what it accepts, and where acknowledgements go.

    Lists and maps are given as JSON in the environment, e.g.
    `SPORTELLO_SMTP_AUTH_USERS='{"gateway": "secret"}'`; address lists may also be
    comma-separated (`SPORTELLO_SMTP_FAX_RECIPIENTS=fax@a.example,fax@b.example`).
    """

    smtp_host: str = "127.0.0.1"
    smtp_port: Annotated[int, Field(ge=0, le=65535)] = 2525
    smtp_hostname: Annotated[str, Field(description="the name in the greeting")] = "sportello.local"
    smtp_complaint_recipients: tuple[str, ...] = ("reclami@sportello.local",)
    smtp_fax_recipients: tuple[str, ...] = ("fax@sportello.local",)
    smtp_max_message_bytes: Annotated[int, Field(ge=1024, description="advertised as SIZE")] = (
        25 * 1024 * 1024
    )
    smtp_session_timeout_s: Annotated[float, Field(gt=0)] = 300.0
    smtp_fax_gateways_file: Annotated[
        Path | None, Field(description="TOML fax gateway patterns; default: shipped file")
    ] = None
    smtp_tls_cert: Path | None = None
    smtp_tls_key: Path | None = None
    smtp_require_starttls: bool = False
    smtp_auth_users: dict[str, SecretStr] = Field(default_factory=dict)
    smtp_auth_required: bool = False
    smtp_auth_require_tls: bool = True
    smtp_parse_threads: Annotated[
        int, Field(ge=0, le=64, description="workers for ordinary mail (they wait on fsync)")
    ] = 4
    smtp_parse_processes: Annotated[
        int, Field(ge=0, le=64, description="worker processes for large mail")
    ] = 2
    smtp_large_message_bytes: Annotated[
        int, Field(ge=0, description="mail above this size is read in a worker process")
    ] = 256 * 1024
    smtp_publish_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    smtp_ocr_languages: str = "ita+eng"
    smtp_ocr_timeout_s: Annotated[float, Field(gt=0)] = 120.0
    smtp_tesseract: str = "tesseract"
    smtp_pdftoppm: str = "pdftoppm"
    smtp_metrics_host: str = "127.0.0.1"
    smtp_metrics_port: Annotated[
        int | None, Field(ge=0, le=65535, description="Prometheus /metrics; off when unset")
    ] = DEFAULT_PORTS["smtp"]

    @field_validator(
        "smtp_complaint_recipients", "smtp_fax_recipients", "smtp_auth_users", mode="before"
    )
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # Lists may also be written comma-separated, the way people write them by hand.
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith(("[", "{")):
            return json.loads(text)
        return tuple(part.strip() for part in text.split(",") if part.strip())
