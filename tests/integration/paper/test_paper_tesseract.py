"""Real Tesseract (ita+eng) on pages drawn at test time, skewed and noised, and on the
real scanned form of shared/data/ocr."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from ingestors.ocr import (
    DocumentReader,
    OcrPage,
    PageSource,
    TesseractPool,
    UnreadableDocument,
    has_readable_text,
    summarize,
)
from ingestors.ocr.synthetic import encode, image_pdf, render_page, tiff_pages

pytestmark = pytest.mark.integration

LINES = [
    "Segnalazione: lampione spento",
    "in via Garibaldi 14, Bologna.",
    "Chiedo un intervento urgente.",
]
EXPECTED = [
    "Segnalazione",
    "lampione",
    "spento",
    "via",
    "Garibaldi",
    "Bologna",
    "Chiedo",
    "intervento",
    "urgente",
]


def recall(expected: list[str], text: str) -> float:
    words = {w.strip(".,:;").lower() for w in text.split()}
    return sum(1 for w in expected if w.lower() in words) / len(expected)


@pytest.fixture(scope="module")
def scanned_page() -> Image.Image:
    return render_page(LINES, width=900, font_px=30, skew_deg=1.2, noise=0.004, blur=0.5, seed=7)


@pytest.fixture(scope="module")
async def reader() -> AsyncIterator[DocumentReader]:
    async with DocumentReader(TesseractPool(), render_dpi=200) as reader:
        yield reader


async def test_pool_reads_a_skewed_noisy_page(scanned_page: Image.Image) -> None:
    pool = TesseractPool()
    page = await pool.recognize(encode(scanned_page, "PNG"))
    assert recall(EXPECTED, page.text) >= 0.85, page.text
    summary = summarize(page.words())
    assert summary.mean is not None
    assert summary.mean > 70


async def test_pool_runs_no_more_than_its_workers(scanned_page: Image.Image) -> None:
    pool = TesseractPool(workers=2)
    png = encode(scanned_page, "PNG")
    seen: list[int] = []

    async def sample() -> None:
        while True:
            seen.append(pool.running)
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    pages = await asyncio.gather(*(pool.recognize(png) for _ in range(4)))
    sampler.cancel()
    assert max(seen) == 2
    assert len({p.text for p in pages}) == 1  # the same page reads the same every time


async def test_blank_page_has_no_readable_text() -> None:
    blank = render_page([], width=800, noise=0.002, seed=1)
    page = await TesseractPool().recognize(encode(blank, "PNG"))
    assert not has_readable_text(page.words(), min_confidence=30)


async def test_tesseract_error_is_an_unreadable_document(tmp_path: Path) -> None:
    pool = TesseractPool()
    with pytest.raises(UnreadableDocument) as caught:
        await pool.recognize(b"this is no image at all")
    assert caught.value.reason == "ocr_failed"


async def test_the_real_scanned_form(reader: DocumentReader, shared_data: Path) -> None:
    document = await reader.read(shared_data / "ocr" / "modulo_scan.png")
    truth = (shared_data / "ocr" / "modulo_groundtruth.txt").read_text(encoding="utf-8")
    found = document.document.text.split()
    expected = truth.split()
    hits = sum(1 for w in expected if w in found)
    assert hits / len(expected) >= 0.95
    assert [p.source for p in document.pages] == [PageSource.OCR]


async def test_multipage_fax_tiff_and_scanned_pdf(
    reader: DocumentReader, scanned_page: Image.Image, tmp_path: Path
) -> None:
    second = render_page(["Seconda pagina: Firma Maria Rossi"], width=900, font_px=30, seed=2)
    fax = tmp_path / "fax.tif"
    fax.write_bytes(tiff_pages([scanned_page, second], compression="group4"))
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(image_pdf([scanned_page, second], dpi=100))
    for path in (fax, pdf):
        document = await reader.read(path)
        assert len(document.pages) == 2
        assert all(p.source is PageSource.OCR for p in document.pages)
        first, last = (p.page for p in document.pages)
        assert isinstance(first, OcrPage)
        assert recall(EXPECTED, first.text) >= 0.85, (path.name, first.text)
        assert "Firma" in last.text, (path.name, last.text)


def test_tesseract_is_installed_with_both_languages() -> None:
    assert shutil.which("tesseract")
