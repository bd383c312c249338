"""Posted letters: a reader of the mailroom's OCR output folder (channel `postal`).

Run it with `python -m ingestors.postal`. Pure parts: `PostalPlanner` (which files are one
letter), `parse_manifest`, `legal_receipt` (postmark policy), `build_postal_submission`;
`PostalHandler` does the reading. OCR formats are read by `ingestors.ocr`.
"""

from ingestors.postal.handler import PostalHandler
from ingestors.postal.manifest import ManifestError, PostalManifest, parse_manifest
from ingestors.postal.plan import PostalPlanner
from ingestors.postal.receipt import Receipt, ReceiptPolicy, legal_receipt
from ingestors.postal.settings import PostalSettings
from ingestors.postal.submission import PostalPolicy, build_postal_submission

__all__ = [
    "ManifestError",
    "PostalHandler",
    "PostalManifest",
    "PostalPlanner",
    "PostalPolicy",
    "PostalSettings",
    "Receipt",
    "ReceiptPolicy",
    "build_postal_submission",
    "legal_receipt",
    "parse_manifest",
]
