"""Settings of the citizen notifier (`python -m sinks.notify`).

The relay is the SMTP intake's (`SPORTELLO_SMTP_RELAY_*`, `SPORTELLO_SMTP_ACK_FROM`,
`SPORTELLO_SMTP_ACK_DOMAIN`): one outgoing relay for every message Sportello sends. The
public URL and the reopen secret are the web intake's, which honours the links.
"""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from ingestors.smtp.settings import RelaySettings
from runtime.metrics_http import DEFAULT_PORTS
from sinks.notify.links import link_key


class NotifierSettings(RelaySettings):
    notify_group_id: Annotated[str, Field(description="Kafka consumer group")] = (
        "sportello-notifier"
    )
    public_url: Annotated[
        str, Field(description="the web intake as citizens reach it: status pages, links")
    ] = "http://127.0.0.1:8080"
    environment: Literal["development", "production"] = "development"
    reopen_secret: Annotated[
        SecretStr | None,
        Field(description="key of the 'not solved' links, the web intake's; none: no links"),
    ] = None
    reopen_link_days: Annotated[
        int, Field(ge=1, le=365, description="how long after the answer its link works")
    ] = 30
    notify_max_age_hours: Annotated[
        float,
        Field(gt=0, description="answers older than this are not notified (replays, new group)"),
    ] = 72.0
    notify_retry_max_s: Annotated[
        float, Field(gt=0, description="longest pause between tries of a notice")
    ] = 60.0
    notify_claim_lease_s: Annotated[
        float, Field(gt=0, description="after this, a notice left half-sent may be taken over")
    ] = 300.0
    notify_topic_prefix: Annotated[
        str, Field(description="read and write `<prefix>complaints.…` instead (tests)")
    ] = ""
    notify_metrics_host: str = "127.0.0.1"
    notify_metrics_port: Annotated[
        int | None, Field(ge=0, le=65535, description="Prometheus /metrics; off when unset")
    ] = DEFAULT_PORTS["notifier"]

    def reopen_link_key(self) -> bytes | None:
        secret = self.reopen_secret.get_secret_value() if self.reopen_secret else None
        return link_key(secret, self.environment)

    @property
    def max_age(self) -> timedelta:
        return timedelta(hours=self.notify_max_age_hours)
