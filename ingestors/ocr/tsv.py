"""Tesseract TSV output (`tesseract img out tsv`).

Twelve tab-separated columns, a header line, one row per layout element; level 5 rows are
words, with `conf` on 0-100 (-1 for rows that are not words). Pages, blocks, paragraphs and
lines are told apart by their numbers, so no row order is assumed beyond "words of one line
are in reading order".
"""

from ingestors.ocr._decode import decode_text
from ingestors.ocr.model import OcrDocument, OcrFormatError, OcrPage, OcrWord, clamp_confidence

HEADER = (
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "text",
)
_WORD_LEVEL = 5


def read_tsv(data: bytes) -> OcrDocument:
    """Read Tesseract TSV. Raises `OcrFormatError` if the header or a number is wrong."""
    lines = decode_text(data).replace("\r\n", "\n").split("\n")
    if tuple(lines[0].strip().split("\t")) != HEADER:
        raise OcrFormatError("not Tesseract TSV: the header line is missing or different")
    # page -> (block, par) -> line -> words, all in first-seen order
    pages: dict[int, dict[tuple[int, int], dict[int, list[OcrWord]]]] = {}
    for number, row in enumerate(lines[1:], start=2):
        if not row.strip():
            continue
        cols = row.split("\t")
        if len(cols) < 11 or len(cols) > 12:
            raise OcrFormatError(f"line {number}: {len(cols)} columns, expected 12")
        try:
            level, page, block, par, line = (int(c) for c in cols[:5])
            conf = float(cols[10])
        except ValueError as exc:
            raise OcrFormatError(f"line {number}: not a number ({exc})") from None
        if level == 1:
            pages.setdefault(page, {})
        if level != _WORD_LEVEL:
            continue
        text = cols[11].strip() if len(cols) == 12 else ""
        if not text:
            continue
        words = pages.setdefault(page, {}).setdefault((block, par), {}).setdefault(line, [])
        words.append(OcrWord(text, clamp_confidence(conf)))
    return OcrDocument(
        tuple(
            OcrPage(
                tuple(
                    tuple(tuple(words) for words in par_lines.values())
                    for par_lines in pages[page_no].values()
                )
            )
            for page_no in sorted(pages)
        )
    )
