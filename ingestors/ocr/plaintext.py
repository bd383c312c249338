"""Plain-text OCR output: pages split by form feeds, paragraphs by blank lines."""

import re

from ingestors.ocr._decode import decode_text
from ingestors.ocr.model import OcrDocument, OcrPage, OcrWord

_BLANK_LINES = re.compile(r"\n[ \t\r\v]*\n")


def read_text(data: bytes) -> OcrDocument:
    """Read Tesseract's (or any OCR's) `.txt` output. Never raises: any bytes are text.

    Tesseract ends each page with a form feed; plain text carries no confidences.
    """
    text = decode_text(data)
    pages = [text_page(raw_page) for raw_page in text.split("\f")]
    # A trailing form feed ends the last page; it does not start an empty one.
    while len(pages) > 1 and not pages[-1].paragraphs:
        pages.pop()
    return OcrDocument(tuple(pages))


def text_page(text: str) -> OcrPage:
    """One page of plain text (e.g. a PDF's text layer) as words without confidences."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    paragraphs = []
    for raw_para in _BLANK_LINES.split(text):
        lines = tuple(
            tuple(OcrWord(w) for w in line.split()) for line in raw_para.split("\n") if line.split()
        )
        if lines:
            paragraphs.append(lines)
    return OcrPage(tuple(paragraphs))
