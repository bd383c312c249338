"""Settings of the scan watcher (`python -m ingestors.scans`), from SPORTELLO_* variables."""

from pathlib import Path
from typing import Annotated

from pydantic import Field

from ingestors.inbox.settings import InboxSettings
from runtime.metrics_http import DEFAULT_PORTS


class ScanSettings(InboxSettings):
    scan_inbox: Annotated[
        Path | None, Field(description="the scan folder; default <var_dir>/inbox/scans")
    ] = None
    ocr_workers: Annotated[
        int | None, Field(ge=1, description="Tesseract processes at once; default: the cores")
    ] = None
    ocr_languages: str = "ita+eng"
    ocr_page_timeout_s: Annotated[float, Field(gt=0)] = 300.0
    ocr_render_dpi: Annotated[int, Field(ge=72, le=600)] = 300
    ocr_min_text_layer_chars: Annotated[
        int, Field(ge=1, description="letters and digits a PDF page needs to skip OCR")
    ] = 16
    ocr_min_word_confidence: Annotated[float, Field(ge=0, le=100)] = 30.0
    ocr_review_below: Annotated[
        float, Field(ge=0, le=100, description="mean confidence that flags a scan for review")
    ] = 70.0

    scan_metrics_host: str = "127.0.0.1"
    scan_metrics_port: Annotated[
        int | None, Field(ge=0, le=65535, description="Prometheus /metrics; off when unset")
    ] = DEFAULT_PORTS["scans"]

    @property
    def scan_inbox_dir(self) -> Path:
        return self.scan_inbox or self.var_dir / "inbox" / "scans"
