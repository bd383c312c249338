"""A read scan and its sidecar become a `Submission`, or a refusal: pure decisions."""

from dataclasses import dataclass
from datetime import datetime

from ingestors.inbox.units import Rejection
from ingestors.ocr.model import has_readable_text, summarize
from ingestors.ocr.reader import PageSource, ReadDocument
from ingestors.scans.sidecar import ScanSidecar
from schemas.blob import BlobRef
from schemas.submission import Channel, Location, Submission, tracking_id_for

MAX_TEXT = 100_000


@dataclass(frozen=True)
class ScanPolicy:
    min_word_confidence: float = 30.0
    """Words below this (and words with no letter or digit) do not count as text."""
    review_below: float = 70.0
    """Mean OCR confidence below which a person should check the reading."""


def build_scan_submission(
    *,
    sha256: str,
    document: ReadDocument,
    sidecar: ScanSidecar | None,
    file_name: str,
    raw: BlobRef,
    received_at: datetime,
    policy: ScanPolicy,
) -> Submission | Rejection:
    """The submission for one scan, identified by its content's SHA-256.

    Every page is kept in the text (blank pages leave no text but are counted), so a
    reader can tell "page 3 was blank" from "page 3 was lost".
    """
    ocr = document.document
    if not has_readable_text(ocr.words(), min_confidence=policy.min_word_confidence):
        return Rejection(
            "no_text", f"no readable text on {len(document.pages)} page(s): blank or not a text"
        )
    ocr_words = [w for p in document.pages if p.source is PageSource.OCR for w in p.page.words()]
    summary = summarize(tuple(ocr_words))
    text = ocr.text
    details: dict[str, str | int | float | bool] = {
        "file_name": file_name[:255],
        "media_type": document.kind.media_type,
        "pages": len(document.pages),
        "ocr_pages": document.count(PageSource.OCR),
        "text_layer_pages": document.count(PageSource.TEXT_LAYER),
        "blank_pages": sum(1 for p in document.pages if not p.page.paragraphs),
        "ocr_words": summary.words,
    }
    needs_review = False
    if summary.mean is not None:
        details["ocr_confidence"] = summary.mean
        needs_review = summary.mean < policy.review_below
    details["needs_review"] = needs_review
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        details["text_truncated"] = True
    location = None
    if sidecar is not None:
        if sidecar.desk:
            details["desk"] = sidecar.desk
        if sidecar.note:
            details["operator_note"] = sidecar.note
        if sidecar.district or sidecar.address:
            location = Location(district=sidecar.district, address=sidecar.address)
    return Submission(
        submission_id=tracking_id_for(Channel.SCAN, sha256),
        channel=Channel.SCAN,
        idempotency_ref=sha256,
        received_at=received_at,
        legal_receipt_at=received_at,
        text=text,
        language=sidecar.language if sidecar else None,
        citizen=sidecar.citizen if sidecar else None,
        location=location,
        category_hint=sidecar.category_hint if sidecar else None,
        operator_id=sidecar.operator_id if sidecar else None,
        raw=raw,
        channel_details=details,
    )
