"""hOCR (HTML with `ocr_page`, `ocr_par`, `ocr_line`, `ocrx_word` classes) from any producer.

Read with the standard library's forgiving HTML parser rather than an XML parser: hOCR is
often XHTML (Tesseract 4/5), but older producers write plain HTML with unclosed tags, and an
HTML parser fetches no DTD and expands no entities but the HTML ones. Confidences come from
`x_wconf` in the `title` properties (0-100).
"""

from html.parser import HTMLParser

from ingestors.ocr._decode import decode_text
from ingestors.ocr.model import (
    Line,
    OcrDocument,
    OcrFormatError,
    OcrPage,
    OcrWord,
    Paragraph,
    clamp_confidence,
)

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_PAGE = frozenset({"ocr_page"})
_PAR = frozenset({"ocr_par", "ocr_carea"})
_LINE = frozenset({"ocr_line", "ocr_textfloat", "ocr_header", "ocr_caption", "ocrx_line"})
_WORD = frozenset({"ocrx_word", "ocr_word"})


def parse_title(title: str) -> dict[str, str]:
    """hOCR properties: `bbox 1 2 3 4; x_wconf 96` -> {"bbox": "1 2 3 4", "x_wconf": "96"}."""
    props: dict[str, str] = {}
    for part in title.split(";"):
        key, _, value = part.strip().partition(" ")
        if key:
            props[key] = value.strip()
    return props


def _confidence(title: str | None) -> float | None:
    if not title:
        return None
    raw = parse_title(title).get("x_wconf")
    if raw is None:
        return None
    try:
        return clamp_confidence(float(raw))
    except ValueError:
        return None


class _Builder:
    """Collects words into lines, paragraphs and pages as the elements open and close."""

    def __init__(self) -> None:
        self.pages: list[list[Paragraph]] = []
        self.paragraphs: list[Line] = []
        self.line: list[OcrWord] = []
        self.seen_hocr = False

    def end_line(self) -> None:
        if self.line:
            self.paragraphs.append(tuple(self.line))
            self.line = []

    def end_paragraph(self) -> None:
        self.end_line()
        if self.paragraphs:
            if not self.pages:
                self.pages.append([])
            self.pages[-1].append(tuple(self.paragraphs))
            self.paragraphs = []

    def start_page(self) -> None:
        self.end_paragraph()
        self.pages.append([])

    def document(self) -> OcrDocument:
        self.end_paragraph()
        return OcrDocument(tuple(OcrPage(tuple(p)) for p in self.pages))


class _HocrParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Builder()
        # Open elements: (tag, role) where role is page/par/line/word/None.
        self._stack: list[tuple[str, str | None]] = []
        self._word_text: list[str] | None = None
        self._word_conf: float | None = None
        # Text of a line that has no word elements (some producers stop at line level).
        self._line_text: list[str] | None = None
        self._line_has_words = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        attr = dict(attrs)
        classes = set((attr.get("class") or "").split())
        role: str | None = None
        if classes & _PAGE:
            role = "page"
            self.out.start_page()
        elif classes & _WORD:
            role = "word"
            if self._word_text is None:
                self._word_text = []
                self._word_conf = _confidence(attr.get("title"))
                self._line_has_words = True
        elif classes & _LINE:
            role = "line"
            self._flush_line()  # an unclosed line before this one ends here
            self._line_text = []
            self._line_has_words = False
        elif classes & _PAR:
            role = "par"
            self.out.end_paragraph()
        if role is not None:
            self.out.seen_hocr = True
        self._stack.append((tag, role))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self._stack):
            return  # a stray end tag: ignore, as browsers do
        while self._stack:
            open_tag, role = self._stack.pop()
            self._close(role)
            if open_tag == tag:
                break

    def _close(self, role: str | None) -> None:
        if role == "word" and self._word_text is not None:
            if not any(r == "word" for _, r in self._stack):
                text = " ".join("".join(self._word_text).split())
                if text:
                    self.out.line.append(OcrWord(text, self._word_conf))
                self._word_text = None
        elif role == "line":
            self._flush_line()
        elif role in ("par", "page"):
            self.out.end_paragraph()

    def _flush_line(self) -> None:
        if not self._line_has_words and self._line_text:
            for token in "".join(self._line_text).split():
                self.out.line.append(OcrWord(token))
        self._line_text = None
        self.out.end_line()

    def handle_data(self, data: str) -> None:
        if self._word_text is not None:
            self._word_text.append(data)
        elif self._line_text is not None:
            self._line_text.append(data)

    def finish(self) -> OcrDocument:
        while self._stack:
            _, role = self._stack.pop()
            self._close(role)
        return self.out.document()


def read_hocr(data: bytes) -> OcrDocument:
    """Read hOCR. Raises `OcrFormatError` if the input has no hOCR element at all."""
    parser = _HocrParser()
    try:
        parser.feed(decode_text(data))
        parser.close()
    except (ValueError, AssertionError, RecursionError) as exc:
        # html.parser is forgiving, but a few malformed inputs still trip its asserts.
        raise OcrFormatError(f"not readable as HTML: {exc}") from None
    document = parser.finish()
    if not parser.out.seen_hocr:
        raise OcrFormatError("not hOCR: no ocr_page, ocr_par, ocr_line or ocrx_word element")
    return document
