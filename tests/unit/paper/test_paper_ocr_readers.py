"""The OCR output readers on real files: Tesseract 5 (hOCR, ALTO v3, TSV, text) and
Tesseract 3 (hOCR with x_wconf, ALTO v2), compared with the form's ground truth."""

from pathlib import Path

import pytest

from ingestors.ocr import (
    OcrFormat,
    OcrFormatError,
    format_for_name,
    read_alto,
    read_hocr,
    read_ocr,
    read_text,
    read_tsv,
    summarize,
)
from ingestors.ocr.tsv import HEADER


def recall(expected: list[str], text: str) -> float:
    """Share of the expected words (in order-free multiset terms) found in `text`."""
    found = text.split()
    hits = 0
    for word in expected:
        if word in found:
            found.remove(word)
            hits += 1
    return hits / len(expected)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("modulo_scan.hocr", OcrFormat.HOCR),
        ("modulo_scan.xml", OcrFormat.ALTO),
        ("modulo_scan.tsv", OcrFormat.TSV),
        ("modulo_scan.txt", OcrFormat.TEXT),
    ],
)
def test_tesseract5_outputs_contain_the_forms_words(
    ocr_data: Path, groundtruth_words: list[str], name: str, fmt: OcrFormat
) -> None:
    assert format_for_name(name) is fmt
    document = read_ocr(fmt, (ocr_data / name).read_bytes())
    assert len(document.pages) == 1
    # One character in 602 is wrong ("Strade" for "strade"): one word of 93 may differ.
    assert recall(groundtruth_words, document.text) >= 92 / 93
    assert "Rossi Maria Grazia" in document.text
    assert "è spento e la sera la strada è completamente al buio." in document.text


def test_lines_and_paragraphs_follow_the_page(ocr_data: Path) -> None:
    text = read_hocr((ocr_data / "modulo_scan.hocr").read_bytes()).text
    lines = text.split("\n")
    assert lines[0] == "COMUNE DI ESEMPIO - UFFICIO RELAZIONI CON IL PUBBLICO"
    assert "Telefono: 051 234 5678" in lines
    assert "\n\nOggetto: buche e lampione spento in via Garibaldi\n\n" in text


def test_confidences_agree_across_formats(ocr_data: Path) -> None:
    hocr = summarize(read_hocr((ocr_data / "modulo_scan.hocr").read_bytes()).words())
    alto = summarize(read_alto((ocr_data / "modulo_scan.xml").read_bytes()).words())
    tsv = summarize(read_tsv((ocr_data / "modulo_scan.tsv").read_bytes()).words())
    text = summarize(read_text((ocr_data / "modulo_scan.txt").read_bytes()).words())
    assert hocr.words == alto.words == tsv.words == text.words == 93
    assert hocr.mean == alto.mean  # x_wconf 96 and WC 0.96 are the same rounding
    assert hocr.mean is not None
    assert tsv.mean is not None
    assert abs(hocr.mean - tsv.mean) < 1.0  # TSV keeps the decimals
    assert text.mean is None
    assert text.scored_words == 0


def test_tesseract3_hocr_has_x_wconf(ocr_data: Path) -> None:
    document = read_hocr(
        (ocr_data / "wetzel_1901" / "wetzel_reisebegleiter_1901_0021.hocr").read_bytes()
    )
    summary = summarize(document.words())
    assert summary.words == summary.scored_words == 211
    assert summary.mean is not None
    assert 75 < summary.mean < 90
    assert "Schachteln und Packete, die man tnit sich führt," in document.text
    first = next(document.words())
    assert (first.text, first.confidence) == ("..-15-.", 71.0)


def test_alto_v2_without_confidences_reads_the_same_words(ocr_data: Path) -> None:
    folder = ocr_data / "wetzel_1901"
    alto = read_alto((folder / "wetzel_reisebegleiter_1901_0021.alto").read_bytes())
    hocr = read_hocr((folder / "wetzel_reisebegleiter_1901_0021.hocr").read_bytes())
    assert [w.text for w in alto.words()] == [w.text for w in hocr.words()]
    assert summarize(alto.words()).mean is None


def test_alto_v4_and_no_namespace(ocr_data: Path) -> None:
    v3 = (ocr_data / "modulo_scan.xml").read_bytes()
    v4 = v3.replace(b"standards/alto/ns-v3#", b"standards/alto/ns-v4#")
    bare = v3.replace(b'xmlns="http://www.loc.gov/standards/alto/ns-v3#"', b"")
    expected = read_alto(v3).text
    assert read_alto(v4).text == expected
    assert read_alto(bare).text == expected


def test_alto_hyphen_and_unknown_namespace() -> None:
    alto = b"""<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page>
      <TextBlock><TextLine><String CONTENT="mar" WC="0.5"/><HYP CONTENT="-"/></TextLine>
      <TextLine><String CONTENT="ciapiede" WC="1.5"/></TextLine></TextBlock>
      </Page></Layout></alto>"""
    words = list(read_alto(alto).words())
    assert [(w.text, w.confidence) for w in words] == [("mar-", 50.0), ("ciapiede", None)]
    with pytest.raises(OcrFormatError, match="namespace"):
        read_alto(alto.replace(b"loc.gov/standards/alto/ns-v4#", b"example.org/alto"))
    with pytest.raises(OcrFormatError, match="root element"):
        read_alto(b"<html><body>no</body></html>")


def test_alto_refuses_entities() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY a "aaaaaaaaaa">
      <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><alto><Layout><Page><TextBlock><TextLine>
      <String CONTENT="&b;"/></TextLine></TextBlock></Page></Layout></alto>"""
    with pytest.raises(OcrFormatError):
        read_alto(bomb)


def test_hocr_as_old_html_with_unclosed_tags_and_line_level_only() -> None:
    html = b"""<html><body><div class=ocr_page title="bbox 0 0 10 10">
      <p class=ocr_par><span class=ocr_line>Lampione   spento<br>
      <span class=ocr_line>in via Roma
      </div>"""
    document = read_hocr(html)
    assert document.text == "Lampione spento\nin via Roma"


def test_hocr_confidence_and_entities() -> None:
    html = (
        b"<div class='ocr_page'><span class='ocr_line'>"
        b"<span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 42'>Caff&egrave;</span>"
        b"<span class='ocrx_word' title='x_wconf abc'>&amp;</span>"
        b"</span></div>"
    )
    words = list(read_hocr(html).words())
    assert [(w.text, w.confidence) for w in words] == [("Caffè", 42.0), ("&", None)]


def test_hocr_refuses_plain_html() -> None:
    with pytest.raises(OcrFormatError, match="not hOCR"):
        read_hocr(b"<html><body><p>Gentile sindaco</p></body></html>")


def test_tsv_pages_paragraphs_and_errors() -> None:
    header = "	".join(HEADER)
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t91.5\tBuca",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tprofonda",
        "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t70\tFirma",
        "5\t2\t1\t1\t1\t1\t0\t0\t1\t1\t60\tPagina",
        "5\t2\t1\t1\t1\t2\t0\t0\t1\t1\t-1\t ",
    ]
    document = read_tsv("\n".join([header, *rows, ""]).encode())
    assert [p.text for p in document.pages] == ["Buca profonda\n\nFirma", "Pagina"]
    assert summarize(document.words()).mean == pytest.approx((91.5 + 80 + 70 + 60) / 4, abs=0.01)
    with pytest.raises(OcrFormatError, match="header"):
        read_tsv(b"level\tpage\n")
    with pytest.raises(OcrFormatError, match="not a number"):
        read_tsv((header + "\nfive\t1\t1\t1\t1\t1\t0\t0\t1\t1\t9\tx").encode())


def test_text_pages_and_encodings() -> None:
    document = read_text(b"Pagina uno\r\n\r\nsecondo paragrafo\fPagina due\f")
    assert [p.text for p in document.pages] == ["Pagina uno\n\nsecondo paragrafo", "Pagina due"]
    assert read_text("perché".encode("cp1252")).text == "perché"
    assert read_text("\ufeffcittà".encode()).text == "città"
    assert read_text("città".encode("utf-16")).text == "città"
