"""Which OCR output format a file is, and one call to read any of them."""

from collections.abc import Callable
from enum import StrEnum

from ingestors.ocr.alto import read_alto
from ingestors.ocr.hocr import read_hocr
from ingestors.ocr.model import OcrDocument
from ingestors.ocr.plaintext import read_text
from ingestors.ocr.tsv import read_tsv


class OcrFormat(StrEnum):
    """OCR output formats, best first: richer structure and confidences rank higher."""

    ALTO = "alto"
    HOCR = "hocr"
    TSV = "tsv"
    TEXT = "text"


_BY_SUFFIX = {
    ".xml": OcrFormat.ALTO,
    ".alto": OcrFormat.ALTO,
    ".hocr": OcrFormat.HOCR,
    ".html": OcrFormat.HOCR,
    ".htm": OcrFormat.HOCR,
    ".tsv": OcrFormat.TSV,
    ".txt": OcrFormat.TEXT,
}

_READERS: dict[OcrFormat, Callable[[bytes], OcrDocument]] = {
    OcrFormat.ALTO: read_alto,
    OcrFormat.HOCR: read_hocr,
    OcrFormat.TSV: read_tsv,
    OcrFormat.TEXT: read_text,
}

RANK = {fmt: rank for rank, fmt in enumerate(OcrFormat)}
"""Lower is better: which of several outputs for the same letter to read."""


def format_for_name(name: str) -> OcrFormat | None:
    """The format a file name announces by its suffix (case-insensitive), or None."""
    dot = name.rfind(".")
    return _BY_SUFFIX.get(name[dot:].lower()) if dot > 0 else None


def read_ocr(fmt: OcrFormat, data: bytes) -> OcrDocument:
    """Read `data` as `fmt`. Raises `OcrFormatError` (only) for input that is not that format."""
    return _READERS[fmt](data)
