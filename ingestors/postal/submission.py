"""A read letter, its manifest and the policy become a `Submission`: pure decisions."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ingestors.inbox.units import Rejection
from ingestors.ocr.formats import OcrFormat
from ingestors.ocr.model import OcrDocument, has_readable_text, summarize
from ingestors.postal.manifest import PostalManifest
from ingestors.postal.receipt import ReceiptPolicy, legal_receipt
from schemas.blob import BlobRef
from schemas.submission import Channel, Citizen, Submission, tracking_id_for

MAX_TEXT = 100_000


@dataclass(frozen=True)
class PostalPolicy:
    receipt: ReceiptPolicy = ReceiptPolicy.POSTMARK
    review_below: float = 70.0
    """Mean OCR confidence below which a person checks the letter (`needs_review`)."""
    min_word_confidence: float = 30.0
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Rome"))


def build_postal_submission(
    *,
    sha256: str,
    document: OcrDocument,
    ocr_format: OcrFormat,
    manifest: PostalManifest | None,
    raw: BlobRef,
    attachments: tuple[BlobRef, ...],
    file_name: str,
    received_at: datetime,
    policy: PostalPolicy,
) -> Submission | Rejection:
    """The submission for one letter, identified by its OCR output's SHA-256.

    The mean word confidence is recorded as `ocr_confidence` (0-100) when the format has
    confidences (plain text has none); below `policy.review_below` the letter is marked
    `needs_review` for a person to check the reading against the page images.
    """
    if not has_readable_text(document.words(), min_confidence=policy.min_word_confidence):
        return Rejection("no_text", f"the {ocr_format.value} output has no readable text")
    summary = summarize(document.words())
    details: dict[str, str | int | float | bool] = {
        "file_name": file_name[:255],
        "ocr_format": ocr_format.value,
        "pages": len(document.pages),
        "ocr_words": summary.words,
        "page_images": len(attachments),
    }
    needs_review = False
    if summary.mean is not None:
        details["ocr_confidence"] = summary.mean
        if summary.mean < policy.review_below:
            needs_review = True
            details["review_reason"] = "low_ocr_confidence"
    details["needs_review"] = needs_review
    text = document.text
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        details["text_truncated"] = True
    receipt = legal_receipt(
        policy.receipt,
        postmark=manifest.postmark_date if manifest else None,
        received=manifest.received_date if manifest else None,
        file_time=received_at,
        tz=policy.tz,
    )
    details["legal_receipt_basis"] = receipt.basis
    if receipt.note:
        details["receipt_note"] = receipt.note
    citizen = None
    if manifest is not None:
        if manifest.batch_id:
            details["batch_id"] = manifest.batch_id
        if manifest.postmark_date:
            details["postmark_date"] = manifest.postmark_date.isoformat()
        if manifest.received_date:
            details["received_date"] = manifest.received_date.isoformat()
        if manifest.sender is not None:
            if manifest.sender.address:
                details["envelope_sender_address"] = manifest.sender.address
            if manifest.sender.name:
                citizen = Citizen(name=manifest.sender.name)
    return Submission(
        submission_id=tracking_id_for(Channel.POSTAL, sha256),
        channel=Channel.POSTAL,
        idempotency_ref=sha256,
        received_at=received_at,
        legal_receipt_at=receipt.legal_receipt_at,
        text=text,
        language=manifest.language if manifest else None,
        citizen=citizen,
        raw=raw,
        attachments=attachments,
        channel_details=details,
    )
