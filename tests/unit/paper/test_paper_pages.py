"""Opening scans without OCR: kinds, text layers, page counts, and what cannot be read."""

from pathlib import Path

import pytest
from PIL import Image

from ingestors.ocr import DocumentKind, UnreadableDocument, has_text_layer, sniff_kind
from ingestors.ocr.pages import inspect_document, render_page
from ingestors.ocr.synthetic import encode, image_pdf, text_pdf, tiff_pages
from ingestors.ocr.synthetic import render_page as draw


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return draw(["Lampione spento in via Roma"], width=600, font_px=24)


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_sniffing_by_content() -> None:
    assert sniff_kind(b"%PDF-1.7\n") is DocumentKind.PDF
    assert sniff_kind(b"junk before\n%PDF-1.4") is DocumentKind.PDF
    assert sniff_kind(b"II*\x00rest") is DocumentKind.TIFF
    assert sniff_kind(b"MM\x00*rest") is DocumentKind.TIFF
    assert sniff_kind(b"\x89PNG\r\n\x1a\nrest") is DocumentKind.PNG
    assert sniff_kind(b"\xff\xd8\xff\xe0") is DocumentKind.JPEG
    assert sniff_kind(b"GIF89a") is None
    assert sniff_kind(b"") is None


def test_pdf_with_and_without_text_layer(tmp_path: Path, page: Image.Image) -> None:
    info = inspect_document(
        write(tmp_path, "t.pdf", text_pdf([["Buca in via Garibaldi 14, pericolosa"], []]))
    )
    assert info.kind is DocumentKind.PDF
    assert info.page_count == 2
    assert "Garibaldi" in info.text_layers[0]
    assert has_text_layer(info.text_layers[0], min_chars=16)
    assert not has_text_layer(info.text_layers[1], min_chars=16)
    scanned = inspect_document(write(tmp_path, "s.pdf", image_pdf([page, page, page])))
    assert scanned.page_count == 3
    assert scanned.text_layers == ("", "", "")
    assert not scanned.direct


def test_rendered_pdf_page_is_a_pnm_at_the_asked_resolution(
    tmp_path: Path, page: Image.Image
) -> None:
    path = write(tmp_path, "s.pdf", image_pdf([page], dpi=100))
    pnm = render_page(path, DocumentKind.PDF, 0, 200)
    assert pnm.startswith(b"P5")
    with Image.open(__import__("io").BytesIO(pnm)) as image:
        assert image.width == pytest.approx(page.width * 2, abs=2)


def test_multipage_fax_tiff(tmp_path: Path, page: Image.Image) -> None:
    for compression in ("group3", "group4"):
        path = write(
            tmp_path, f"{compression}.tif", tiff_pages([page] * 3, compression=compression)
        )
        info = inspect_document(path)
        assert (info.kind, info.page_count, info.direct) == (DocumentKind.TIFF, 3, False)
        assert render_page(path, DocumentKind.TIFF, 2, 300).startswith(b"P4")  # bilevel


def test_single_images_are_read_directly(tmp_path: Path, page: Image.Image) -> None:
    for name, data in [
        ("p.png", encode(page, "PNG")),
        ("p.jpg", encode(page, "JPEG")),
        ("p.tif", tiff_pages([page])),
    ]:
        info = inspect_document(write(tmp_path, name, data))
        assert info.page_count == 1
        assert info.direct
    cmyk = inspect_document(write(tmp_path, "c.jpg", encode(page.convert("CMYK"), "JPEG")))
    assert not cmyk.direct  # converted to grey for Tesseract


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.pdf", lambda p: b"", "empty_file"),
        (
            "corrupt.pdf",
            lambda p: b"%PDF-1.7\n1 0 obj <</Type /Catalog" + bytes(200),
            "unreadable_pdf",
        ),
        ("truncated.pdf", lambda p: image_pdf([p])[:300], "unreadable_pdf"),
        ("zero-pages.pdf", lambda p: text_pdf([]), "no_pages"),
        (
            "truncated.tif",
            lambda p: tiff_pages([p, p], compression="raw")[:5000],
            "unreadable_image",
        ),
        ("truncated.png", lambda p: encode(p, "PNG")[:400], "unreadable_image"),
        ("header-only.jpg", lambda p: b"\xff\xd8\xff\xe0" + bytes(20), "unreadable_image"),
        ("word.docx", lambda p: b"PK\x03\x04 not a scan", "unsupported_format"),
    ],
)
def test_unreadable_documents_have_a_reason(
    tmp_path: Path, page: Image.Image, name: str, make: object, reason: str
) -> None:
    data = make(page)  # type: ignore[operator]
    with pytest.raises(UnreadableDocument) as caught:
        inspect_document(write(tmp_path, name, data))
    assert caught.value.reason == reason
    assert caught.value.detail


def test_unreadable_document_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(UnreadableDocument("no_pages", "the PDF has no pages")))
    assert (error.reason, error.detail) == ("no_pages", "the PDF has no pages")
