"""Shared OCR: readers of OCR output formats and a bounded pool of Tesseract processes.

Readers (pure, no I/O; each raises only `OcrFormatError`):
    read_hocr, read_alto, read_tsv, read_text, and read_ocr(OcrFormat, bytes)
Running OCR on scans and faxes:
    TesseractPool (page images -> words), DocumentReader (PDF/TIFF/PNG/JPEG -> pages)
"""

from ingestors.ocr.alto import read_alto
from ingestors.ocr.formats import RANK, OcrFormat, format_for_name, read_ocr
from ingestors.ocr.hocr import read_hocr
from ingestors.ocr.model import (
    ConfidenceSummary,
    OcrDocument,
    OcrFormatError,
    OcrPage,
    OcrUnavailable,
    OcrWord,
    UnreadableDocument,
    has_readable_text,
    summarize,
)
from ingestors.ocr.pages import DocumentInfo, DocumentKind, sniff_kind
from ingestors.ocr.plaintext import read_text, text_page
from ingestors.ocr.reader import DocumentReader, PageSource, ReadDocument, ReadPage, has_text_layer
from ingestors.ocr.tesseract import TesseractPool, default_workers
from ingestors.ocr.tsv import read_tsv

__all__ = [
    "RANK",
    "ConfidenceSummary",
    "DocumentInfo",
    "DocumentKind",
    "DocumentReader",
    "OcrDocument",
    "OcrFormat",
    "OcrFormatError",
    "OcrPage",
    "OcrUnavailable",
    "OcrWord",
    "PageSource",
    "ReadDocument",
    "ReadPage",
    "TesseractPool",
    "UnreadableDocument",
    "default_workers",
    "format_for_name",
    "has_readable_text",
    "has_text_layer",
    "read_alto",
    "read_hocr",
    "read_ocr",
    "read_text",
    "read_tsv",
    "sniff_kind",
    "summarize",
    "text_page",
]
