"""Read a scanned document (PDF, TIFF, PNG, JPEG) into text: its text layer, or OCR.

`DocumentReader` owns the worker processes that open and render documents and the
`TesseractPool` that reads page images. Pages of one document are read in parallel; at
most twice as many pages as there are Tesseract slots are rendered ahead, so a 300-page
PDF does not sit in memory as 300 rendered pages.
"""

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from ingestors.ocr.model import OcrDocument, OcrPage, OcrUnavailable
from ingestors.ocr.pages import (
    DocumentInfo,
    DocumentKind,
    init_worker,
    inspect_document,
    render_page,
)
from ingestors.ocr.plaintext import text_page
from ingestors.ocr.tesseract import TesseractPool

T = TypeVar("T")


class PageSource(StrEnum):
    TEXT_LAYER = "text_layer"
    OCR = "ocr"


@dataclass(frozen=True)
class ReadPage:
    source: PageSource
    page: OcrPage


@dataclass(frozen=True)
class ReadDocument:
    kind: DocumentKind
    pages: tuple[ReadPage, ...]

    @property
    def document(self) -> OcrDocument:
        return OcrDocument(tuple(p.page for p in self.pages))

    def count(self, source: PageSource) -> int:
        return sum(1 for p in self.pages if p.source is source)


def has_text_layer(text: str, *, min_chars: int) -> bool:
    """A PDF page carries its own text if it has at least `min_chars` letters or digits.

    A scanner that stamps a page with a few words ("Scanned 2024-03-05") leaves the body as
    an image; such a page is still read with OCR.
    """
    return sum(1 for ch in text if ch.isalnum()) >= min_chars


class DocumentReader:
    """Worker processes are started with `spawn`, which imports the main module again: a
    program using this class must guard its entry point with `if __name__ == "__main__":`.

    Usage::

        async with DocumentReader(TesseractPool()) as reader:
            result = await reader.read(Path("scan.pdf"))
            result.document.text

    Raises `UnreadableDocument` for a file that cannot be read (its `reason` is stable),
    `OcrUnavailable` when the machinery failed and the same file should be tried again.
    """

    def __init__(
        self,
        tesseract: TesseractPool,
        *,
        render_dpi: int = 300,
        min_text_layer_chars: int = 16,
        workers: int | None = None,
    ) -> None:
        self.tesseract = tesseract
        self._render_dpi = render_dpi
        self._min_text_chars = min_text_layer_chars
        self._workers = workers or tesseract.workers
        self._executor: ProcessPoolExecutor | None = None
        self._ahead = asyncio.Semaphore(2 * tesseract.workers)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes; pages they are rendering are abandoned."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the service has threads (watcher, Kafka client) by now.
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
            )
        return self._executor

    async def _in_worker(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), fn, *args)
        except BrokenProcessPool as exc:
            # A worker died (killed, or a decoder crashed it). Start afresh next time; the
            # file is tried again, and a file that keeps killing workers is given up on by
            # the caller's attempt count.
            self.close()
            raise OcrUnavailable(f"a document worker process died: {exc}") from exc

    async def inspect(self, path: Path) -> DocumentInfo:
        return await self._in_worker(inspect_document, str(path))

    async def read(self, path: Path) -> ReadDocument:
        info = await self.inspect(path)
        pages = await asyncio.gather(
            *(self._read_page(path, info, index) for index in range(info.page_count))
        )
        return ReadDocument(info.kind, tuple(pages))

    async def _read_page(self, path: Path, info: DocumentInfo, index: int) -> ReadPage:
        layer = info.text_layers[index]
        if has_text_layer(layer, min_chars=self._min_text_chars):
            return ReadPage(PageSource.TEXT_LAYER, text_page(layer))
        if info.direct:
            page = await self.tesseract.recognize(path, dpi=None)
            return ReadPage(PageSource.OCR, page)
        async with self._ahead:
            image = await self._in_worker(
                render_page, str(path), info.kind, index, self._render_dpi
            )
            dpi = self._render_dpi if info.kind is DocumentKind.PDF else info.dpi
            page = await self.tesseract.recognize(image, dpi=dpi)
        return ReadPage(PageSource.OCR, page)
