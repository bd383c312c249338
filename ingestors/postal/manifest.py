"""The mailroom's manifest: envelope facts that the OCR text does not carry.

For a letter `L0042.xml` (its OCR output) the mailroom may write `L0042.json`::

    {"batch_id": "2024-03-05-A", "postmark_date": "2024-03-01",
     "received_date": "2024-03-05",
     "sender": {"name": "Maria Rossi", "address": "Via Garibaldi 14\\n40121 Bologna"},
     "pages": ["L0042-1.tif", "L0042-2.tif"]}

Every field is optional; unknown fields are an error. Dates are ISO `YYYY-MM-DD` strings
only (no numbers: a Unix time read as a date would move a legal deadline). `pages` are
plain file names in the same folder; anything else is refused when the letter is read.
"""

from datetime import date
from typing import Annotated

from pydantic import Field, ValidationError

from runtime.errors import SportelloError
from schemas._strict import StrictModel

MAX_MANIFEST_BYTES = 256 * 1024
MANIFEST_SUFFIX = ".json"

IsoDate = Annotated[date, Field(strict=True)]


class ManifestError(SportelloError):
    """The manifest is not valid JSON of the documented shape; `str(error)` says why."""


class EnvelopeSender(StrictModel):
    name: Annotated[str | None, Field(max_length=200)] = None
    address: Annotated[str | None, Field(max_length=500)] = None


class PostalManifest(StrictModel):
    batch_id: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    postmark_date: IsoDate | None = None
    received_date: IsoDate | None = None
    sender: EnvelopeSender | None = None
    pages: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=255)], ...], Field(max_length=500)
    ] = ()
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None


def manifest_name(stem: str) -> str:
    return stem + MANIFEST_SUFFIX


def parse_manifest(data: bytes) -> PostalManifest:
    """Validate a manifest's bytes. Raises `ManifestError`, and nothing else, if invalid."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        return PostalManifest.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        raise ManifestError(problems) from None
