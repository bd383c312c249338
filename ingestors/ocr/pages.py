"""Scanned documents as pages: what kind a file is, its text layer, and page images for OCR.

`inspect_document` and `render_page` do the CPU-heavy, crash-prone part (PDFium, image
decoders) and are meant to run in worker processes (see `DocumentReader`): PDFium is not
thread-safe, and a decoder that misbehaves on a crafted file takes down a worker, not the
service. Both raise `UnreadableDocument` with a stable reason for a file that cannot be read.
"""

import io
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from ingestors.ocr.model import UnreadableDocument

# PDFium's FPDF_GetLastError code for a missing or wrong password (fpdfview.h).
_PDF_ERR_PASSWORD = 4
_MAX_SCAN_BYTES = 16 * 1024 * 1024
_MAX_RENDER_PIXELS = 60_000_000
"""A page rendered bigger than this (a poster at 300 dpi) is rendered at a lower dpi."""


class DocumentKind(StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.TIFF: "image/tiff",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
}

# Image modes Leptonica reads straight from a file; others are converted to grey first.
_DIRECT_MODES = frozenset({"1", "L", "P", "RGB", "RGBA", "LA"})


def sniff_kind(head: bytes) -> DocumentKind | None:
    """The kind of document by its first bytes (file names lie; magic numbers rarely do)."""
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024]):
        return DocumentKind.PDF
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return DocumentKind.TIFF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    return None


@dataclass(frozen=True)
class DocumentInfo:
    kind: DocumentKind
    text_layers: tuple[str, ...]
    """One entry per page: the PDF page's own text, '' for images and image-only pages."""
    direct: bool
    """A one-page image Tesseract can read as it is, without converting it first."""
    dpi: int | None = None

    @property
    def page_count(self) -> int:
        return len(self.text_layers)


def init_worker() -> None:
    """Worker-process initializer.

    Ctrl-C in a terminal reaches the whole process group; the parent decides when workers
    stop, so they ignore SIGINT. And a worker outlives a parent killed with SIGKILL (every
    worker holds the task queue's write end, so it never reads EOF): a watchdog thread
    ends it once its parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, name="parent-watchdog", daemon=True).start()


def inspect_document(path: str) -> DocumentInfo:
    """Read the whole document once: its kind, pages, and PDF text layers.

    Every image frame is decoded, so a truncated TIFF or JPEG fails here, before any OCR.
    """
    with open(path, "rb") as file:
        head = file.read(1024)
    kind = sniff_kind(head)
    if kind is None:
        if not head:
            raise UnreadableDocument("empty_file", "the file has no content")
        raise UnreadableDocument(
            "unsupported_format", f"not a PDF, TIFF, PNG or JPEG (starts with {head[:8]!r})"
        )
    if kind is DocumentKind.PDF:
        return _inspect_pdf(path)
    return _inspect_image(path, kind)


def _open_pdf(path: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == _PDF_ERR_PASSWORD:
            raise UnreadableDocument("encrypted_pdf", "the PDF needs a password") from None
        if _empty_page_tree(path):
            raise UnreadableDocument("no_pages", "the PDF has no pages") from None
        raise UnreadableDocument("unreadable_pdf", str(exc)) from None


_PAGES_COUNT_0 = re.compile(
    rb"/Type\s*/Pages\b[^>]*?/Count\s+0\b|/Count\s+0\b[^>]*?/Type\s*/Pages\b"
)
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![s\w])")


def _empty_page_tree(path: str) -> bool:
    """PDFium refuses a document whose page tree is empty, and its error code for that is
    not reliable (a stale code from an earlier file); so look for `/Count 0` on the page
    tree and no page object in the file itself."""
    with open(path, "rb") as file:
        data = file.read(_MAX_SCAN_BYTES)
    return bool(_PAGES_COUNT_0.search(data)) and not _PAGE_OBJECT.search(data)


def _inspect_pdf(path: str) -> DocumentInfo:
    document = _open_pdf(path)
    try:
        if len(document) == 0:
            raise UnreadableDocument("no_pages", "the PDF has no pages")
        layers = []
        for index in range(len(document)):
            try:
                page = document[index]
                textpage = page.get_textpage()
                layers.append(textpage.get_text_bounded())
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument("unreadable_pdf", f"page {index + 1}: {exc}") from None
        return DocumentInfo(DocumentKind.PDF, tuple(layers), direct=False)
    finally:
        document.close()


def _image_error(kind: DocumentKind, exc: BaseException) -> UnreadableDocument:
    if isinstance(exc, Image.DecompressionBombError):
        return UnreadableDocument("image_too_large", str(exc))
    return UnreadableDocument("unreadable_image", f"{kind.value}: {type(exc).__name__}: {exc}")


def _inspect_image(path: str, kind: DocumentKind) -> DocumentInfo:
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            modes = set()
            for index in range(frames):
                image.seek(index)
                image.load()
                modes.add(image.mode)
                if image.width < 1 or image.height < 1:
                    raise ValueError("an empty frame")
            dpi = _dpi_of(image)
    except UnreadableDocument:
        raise
    except Exception as exc:  # Pillow's decoders raise many types on corrupt data
        raise _image_error(kind, exc) from None
    if frames < 1:
        raise UnreadableDocument("no_pages", "the image has no frames")
    direct = frames == 1 and modes <= _DIRECT_MODES
    return DocumentInfo(kind, ("",) * frames, direct=direct, dpi=dpi)


def _dpi_of(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 30 <= value <= 2400 else None


def render_page(path: str, kind: DocumentKind, index: int, dpi: int) -> bytes:
    """One page as a PNM image (grey, or bilevel for fax-style pages) for Tesseract's stdin.

    PNM because it costs nothing to encode and Leptonica reads it from memory; `dpi` is
    the resolution PDFs are rendered at (images keep their own pixels).
    """
    if kind is DocumentKind.PDF:
        image = _render_pdf_page(path, index, dpi)
    else:
        try:
            with Image.open(path) as source:
                source.seek(index)
                image = source.copy() if source.mode in ("1", "L") else source.convert("L")
        except Exception as exc:  # as in _inspect_image
            raise _image_error(kind, exc) from None
    out = io.BytesIO()
    image.save(out, format="PPM")
    return out.getvalue()


def _render_pdf_page(path: str, index: int, dpi: int) -> Image.Image:
    document = _open_pdf(path)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = dpi / 72
        pixels = width * scale * height * scale
        if pixels > _MAX_RENDER_PIXELS:
            scale *= (_MAX_RENDER_PIXELS / pixels) ** 0.5
        try:
            bitmap = page.render(scale=scale, grayscale=True)
        except pdfium.PdfiumError as exc:
            raise UnreadableDocument("unreadable_pdf", f"page {index + 1}: {exc}") from None
        image: Image.Image = bitmap.to_pil().convert("L")
        return image
    finally:
        document.close()


def media_type_of(path: Path) -> str | None:
    """The media type of a document file by its content, or None if not a known kind."""
    with path.open("rb") as file:
        kind = sniff_kind(file.read(1024))
    return kind.media_type if kind else None
