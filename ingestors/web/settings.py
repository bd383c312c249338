"""Settings of the web intake (`python -m ingestors.web`)."""

import hashlib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from ingestors.web.auth import ApiClient
from ingestors.web.ops_settings import OperationsSettings
from sinks.notify.links import link_key

DEV_API_KEY = "sportello-dev-key"
DEV_CLIENT_ID = "development"


def client_id_for_key(key: str) -> str:
    """The client id of a key configured without one: stable, and telling nothing of the key."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]


class WebSettings(OperationsSettings):
    web_host: str = "127.0.0.1"
    web_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    public_url: Annotated[
        str, Field(description="how citizens reach this server; used in status links")
    ] = "http://127.0.0.1:8080"
    environment: Literal["development", "production"] = "development"
    api_keys: Annotated[
        dict[str, SecretStr] | tuple[SecretStr, ...],
        Field(
            description='gateway and operator keys by client id, JSON: {"app-comune": "k1"}; '
            'a plain list ["k1","k2"] names each client after a hash of its key'
        ),
    ] = ()
    body_keys: Annotated[
        dict[str, SecretStr],
        Field(
            description="keys of the bodies that report status over HTTP, by body id, JSON: "
            '{"strade": "k1"}; none in development: the development key acts for any body'
        ),
    ] = Field(default_factory=dict)
    reopen_secret: Annotated[
        SecretStr | None,
        Field(
            description="key of the citizens' 'not solved' links (the notifier's too); "
            "none in production: no links"
        ),
    ] = None
    signature_window_s: Annotated[
        int, Field(ge=1, description="how old an HMAC-signed request's timestamp may be")
    ] = 300
    publish_timeout_s: Annotated[
        float, Field(gt=0, description="how long to wait for Kafka before answering 503")
    ] = 5.0
    retry_after_s: Annotated[int, Field(ge=1)] = 5
    max_body_bytes: Annotated[int, Field(ge=1024, description="largest JSON or form body")] = (
        1_048_576
    )
    max_upload_bytes: Annotated[
        int, Field(ge=1024, description="largest multipart body, attachments included")
    ] = 20 * 1_048_576
    max_attachment_bytes: Annotated[int, Field(ge=1, description="largest attachment")] = (
        10 * 1_048_576
    )
    max_attachments: Annotated[int, Field(ge=0)] = 10
    rate_limit_per_s: Annotated[
        float, Field(gt=0, description="sustained requests per second per API client")
    ] = 50.0
    rate_limit_burst: Annotated[int, Field(ge=1)] = 200
    citizen_rate_limit_per_s: Annotated[
        float, Field(gt=0, description="sustained form posts per second per citizen address")
    ] = 0.2
    citizen_rate_limit_burst: Annotated[int, Field(ge=1)] = 10
    store_timeout_s: Annotated[
        float, Field(gt=0, description="how long to wait for PostgreSQL before answering 503")
    ] = 5.0
    idempotency_lease_s: Annotated[
        float,
        Field(gt=0, description="after this, a request left half-done may be taken over"),
    ] = 30.0
    idempotency_retention_days: Annotated[
        float,
        Field(
            gt=0,
            description="how long an Idempotency-Key and the receipt of an accepted complaint "
            "are kept: longer than any client retries, and than the pipeline takes to open "
            "the case (the status lookup reads the receipt until then)",
        ),
    ] = 30.0
    receipts_purge_interval_s: Annotated[
        float, Field(gt=0, description="how often the web intake purges older receipts")
    ] = 3600.0
    taxonomy_file: Annotated[
        Path | None, Field(description="complaint categories; default: shipped taxonomy")
    ] = None
    open311_service_aliases: Annotated[
        dict[str, str],
        Field(
            description="Open311 service codes of a former system mapped to categories, JSON: "
            '{"001": "rifiuti_abbandono"}'
        ),
    ] = Field(default_factory=dict)

    def effective_api_keys(self) -> tuple[str, ...]:
        """The keys callers may present. In development with none configured, the
        well-known development key; in production, none configured is a start-up error."""
        return tuple(c.key.decode() for c in self.api_clients())

    def api_clients(self) -> tuple[ApiClient, ...]:
        """Every configured caller with its client id (the namespace of its idempotency keys
        and its rate limit); the development client when none is configured outside
        production."""
        if isinstance(self.api_keys, dict):
            pairs = [(cid, k.get_secret_value()) for cid, k in self.api_keys.items()]
        else:
            pairs = [
                (client_id_for_key(k.get_secret_value()), k.get_secret_value())
                for k in self.api_keys
            ]
        if pairs:
            return tuple(ApiClient(cid, key.encode()) for cid, key in pairs)
        if self.environment == "production":
            raise ValueError("SPORTELLO_API_KEYS must be set in production")
        return (ApiClient(DEV_CLIENT_ID, DEV_API_KEY.encode()),)

    @property
    def using_development_key(self) -> bool:
        return not self.api_keys and self.environment != "production"

    def body_clients(self) -> tuple[ApiClient, ...]:
        """The bodies that may report status over HTTP, each under its body id; in
        development with none configured, the development client (which acts for the body
        a report names); in production with none configured, nobody."""
        if self.body_keys:
            return tuple(
                ApiClient(body, key.get_secret_value().encode())
                for body, key in self.body_keys.items()
            )
        if self.environment == "production":
            return ()
        return (ApiClient(DEV_CLIENT_ID, DEV_API_KEY.encode()),)

    @property
    def development_body_key(self) -> bool:
        """The development key acts for any body (no body keys, not in production)."""
        return not self.body_keys and self.environment != "production"

    def reopen_link_key(self) -> bytes | None:
        secret = self.reopen_secret.get_secret_value() if self.reopen_secret else None
        return link_key(secret, self.environment)
