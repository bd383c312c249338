"""Settings of the postal OCR reader (`python -m ingestors.postal`), from SPORTELLO_*."""

from pathlib import Path
from typing import Annotated

from pydantic import Field

from ingestors.inbox.settings import InboxSettings
from ingestors.postal.receipt import ReceiptPolicy
from runtime.metrics_http import DEFAULT_PORTS


class PostalSettings(InboxSettings):
    postal_inbox: Annotated[
        Path | None, Field(description="the mailroom's OCR folder; default <var_dir>/inbox/postal")
    ] = None
    postal_legal_receipt: Annotated[
        ReceiptPolicy,
        Field(description="postmark: the postmark's day counts; received: the arrival day"),
    ] = ReceiptPolicy.POSTMARK
    postal_review_below: Annotated[
        float, Field(ge=0, le=100, description="mean OCR confidence that flags a letter")
    ] = 70.0
    postal_min_word_confidence: Annotated[float, Field(ge=0, le=100)] = 30.0
    postal_companion_wait_s: Annotated[
        float, Field(ge=0, description="how long a letter waits for a page image")
    ] = 300.0

    postal_metrics_host: str = "127.0.0.1"
    postal_metrics_port: Annotated[
        int | None, Field(ge=0, le=65535, description="Prometheus /metrics; off when unset")
    ] = DEFAULT_PORTS["postal"]

    @property
    def postal_inbox_dir(self) -> Path:
        return self.postal_inbox or self.var_dir / "inbox" / "postal"
