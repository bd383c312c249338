"""What every OCR reader returns, and the errors of the OCR package.

A document is pages of paragraphs of lines of words; each word may carry the recognizer's
confidence on a 0-100 scale (hOCR `x_wconf`, TSV `conf`, ALTO `WC` x 100). Readers of the
different formats all produce this one shape, so the code that decides what to do with a
letter or a scan never looks at a format again.

Errors:

    SportelloError
    ├── OcrFormatError        the bytes are not a readable hOCR/ALTO/TSV/text file
    ├── UnreadableDocument    a scan (PDF, TIFF, PNG, JPEG) cannot be read; has a stable reason
    └── OcrUnavailable        retriable: Tesseract or the worker pool is not working right now
"""

from collections.abc import Iterator
from dataclasses import dataclass

from runtime.errors import SportelloError


class OcrFormatError(SportelloError):
    """The input is not a readable file of the format it was given as.

    Every reader in this package raises this, and only this, for bad input."""


class UnreadableDocument(SportelloError):
    """A document that will never be read, whatever we retry: the file's fault, not ours.

    `reason` is a stable code for dead letters (e.g. `unreadable_pdf`, `no_pages`,
    `unreadable_image`, `ocr_failed`); `detail` is for the operator.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class OcrUnavailable(SportelloError):
    """Tesseract is missing, was killed, or the worker pool broke: try the same file later."""

    retriable = True


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float | None = None
    """0-100, or None when the format or the producer gave none."""


Line = tuple[OcrWord, ...]
Paragraph = tuple[Line, ...]


@dataclass(frozen=True)
class OcrPage:
    paragraphs: tuple[Paragraph, ...] = ()

    @property
    def text(self) -> str:
        """Words joined by spaces, lines by newlines, paragraphs by a blank line."""
        return "\n\n".join(
            "\n".join(" ".join(w.text for w in line) for line in para) for para in self.paragraphs
        )

    def words(self) -> Iterator[OcrWord]:
        for para in self.paragraphs:
            for line in para:
                yield from line


@dataclass(frozen=True)
class OcrDocument:
    pages: tuple[OcrPage, ...] = ()

    @property
    def text(self) -> str:
        """The pages' text, separated by a blank line; empty pages leave no trace."""
        return "\n\n".join(t for t in (p.text for p in self.pages) if t)

    def words(self) -> Iterator[OcrWord]:
        for page in self.pages:
            yield from page.words()


@dataclass(frozen=True)
class ConfidenceSummary:
    words: int
    """All words read."""
    scored_words: int
    """Words that carried a confidence."""
    mean: float | None
    """Mean confidence of the scored words (0-100), None when none was scored."""


def summarize(words: Iterator[OcrWord] | tuple[OcrWord, ...]) -> ConfidenceSummary:
    """Count words and average their confidences (the figure a person checks against)."""
    count = 0
    scored = 0
    total = 0.0
    for word in words:
        count += 1
        if word.confidence is not None:
            scored += 1
            total += word.confidence
    return ConfidenceSummary(count, scored, round(total / scored, 2) if scored else None)


def has_readable_text(words: Iterator[OcrWord], *, min_confidence: float) -> bool:
    """True if any word has a letter or digit and is not below `min_confidence`.

    Tesseract reads specks of noise on a blank page as a few punctuation marks or
    low-confidence fragments; such a page has nothing a person wrote on it.
    """
    return any(
        any(ch.isalnum() for ch in w.text)
        and (w.confidence is None or w.confidence >= min_confidence)
        for w in words
    )


def clamp_confidence(value: float) -> float | None:
    """A confidence on 0-100, or None if it is not a usable number (NaN, -1, out of range)."""
    if value != value or value < 0 or value > 100:  # value != value: NaN
        return None
    return value
