"""Property tests of the OCR readers: any input gives a document or `OcrFormatError`, and
documents written in each format read back as they were."""

from xml.sax.saxutils import quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestors.ocr import (
    OcrDocument,
    OcrFormat,
    OcrFormatError,
    OcrPage,
    OcrWord,
    read_ocr,
)

READERS = list(OcrFormat)


def read_or_refuse(fmt: OcrFormat, data: bytes) -> OcrDocument | None:
    try:
        document = read_ocr(fmt, data)
    except OcrFormatError:
        return None
    assert isinstance(document, OcrDocument)
    document.text  # noqa: B018 - the text must be computable too
    return document


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_any_bytes_read_or_refused(data: bytes) -> None:
    for fmt in READERS:
        read_or_refuse(fmt, data)


TAGS = st.sampled_from(
    [
        "<div class='ocr_page' title='bbox 0 0 9 9'>",
        "<p class='ocr_par'>",
        "<span class='ocr_line'>",
        "<span class='ocrx_word' title='bbox 1 1 2 2; x_wconf 93'>",
        "<span class=ocrx_word title='x_wconf -5'>",
        "</span>",
        "</p>",
        "</div>",
        "<br/>",
        "<!--",
        "-->",
        "<![CDATA[",
        "<?xml version='1.0'?>",
        "<!DOCTYPE html>",
        "&amp;",
        "&#xD800;",
        "&#99999999;",
        "<",
        ">",
        "<alto xmlns='http://www.loc.gov/standards/alto/ns-v3#'>",
        "<Page>",
        "<TextBlock>",
        "<TextLine>",
        "<String CONTENT='via' WC='0.9'/>",
        "<String CONTENT='x' WC='nan'/>",
        "<HYP CONTENT='-'/>",
        "</TextLine>",
        "</TextBlock>",
        "</Page>",
        "</alto>",
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t96\tvia\n",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\tinf\t\n",
        "1\t2\t0\t0\t0\t0\t0\t0\t1\t1\t-1\n",
        "\t",
        "\n",
        "\f",
        "\x00",
    ]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(TAGS, st.text(max_size=12)), max_size=40))
def test_near_miss_documents_read_or_refused(parts: list[str]) -> None:
    data = "".join(parts).encode("utf-8", errors="surrogatepass")
    for fmt in READERS:
        read_or_refuse(fmt, data)


# -- round trips ----------------------------------------------------------------------

WORD_TEXT = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd", "Po"), blacklist_characters="&<>\"'\\"
    ),
    min_size=1,
    max_size=12,
)
CONFIDENCE = st.integers(min_value=0, max_value=100).map(float)
WORD = st.builds(OcrWord, WORD_TEXT, CONFIDENCE)
LINE = st.lists(WORD, min_size=1, max_size=6).map(tuple)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=4).map(tuple)
PAGE = st.lists(PARAGRAPH, min_size=1, max_size=3).map(lambda ps: OcrPage(tuple(ps)))
DOCUMENT = st.lists(PAGE, min_size=1, max_size=3).map(lambda ps: OcrDocument(tuple(ps)))


def to_hocr(document: OcrDocument) -> bytes:
    out = ["<?xml version='1.0' encoding='UTF-8'?><html><body>"]
    for n, page in enumerate(document.pages, 1):
        out.append(f"<div class='ocr_page' id='page_{n}' title='bbox 0 0 100 100'>")
        for para in page.paragraphs:
            out.append("<p class='ocr_par'>")
            for line in para:
                out.append("<span class='ocr_line' title='bbox 0 0 1 1'>")
                for word in line:
                    out.append(
                        f"<span class='ocrx_word' title='bbox 0 0 1 1; x_wconf "
                        f"{word.confidence:.0f}'>{word.text}</span> "
                    )
                out.append("</span>\n")
            out.append("</p>")
        out.append("</div>")
    out.append("</body></html>")
    return "".join(out).encode()


def to_alto(document: OcrDocument, namespace: str) -> bytes:
    out = [f"<alto xmlns='{namespace}'><Layout>"]
    for page in document.pages:
        out.append("<Page><PrintSpace>")
        for para in page.paragraphs:
            out.append("<TextBlock>")
            for line in para:
                out.append("<TextLine>")
                for word in line:
                    wc = (word.confidence or 0) / 100
                    out.append(f"<String CONTENT={quoteattr(word.text)} WC='{wc}'/><SP/>")
                out.append("</TextLine>")
            out.append("</TextBlock>")
        out.append("</PrintSpace></Page>")
    out.append("</Layout></alto>")
    return "".join(out).encode()


def to_tsv(document: OcrDocument) -> bytes:
    rows = [
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
        "\tconf\ttext"
    ]
    for p, page in enumerate(document.pages, 1):
        rows.append(f"1\t{p}\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t")
        for b, para in enumerate(page.paragraphs, 1):
            for li, line in enumerate(para, 1):
                for w, word in enumerate(line, 1):
                    rows.append(
                        f"5\t{p}\t{b}\t1\t{li}\t{w}\t0\t0\t1\t1\t{word.confidence}\t{word.text}"
                    )
    return ("\n".join(rows) + "\n").encode()


def to_text(document: OcrDocument) -> bytes:
    return "".join(page.text + "\f" for page in document.pages).encode()


def shape(document: OcrDocument) -> list[list[list[list[tuple[str, float | None]]]]]:
    return [
        [[[(w.text, w.confidence) for w in line] for line in para] for para in page.paragraphs]
        for page in document.pages
    ]


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENT)
def test_hocr_round_trip(document: OcrDocument) -> None:
    assert shape(read_ocr(OcrFormat.HOCR, to_hocr(document))) == shape(document)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=DOCUMENT,
    namespace=st.sampled_from(
        [
            "http://www.loc.gov/standards/alto/ns-v2#",
            "http://www.loc.gov/standards/alto/ns-v3#",
            "http://www.loc.gov/standards/alto/ns-v4#",
        ]
    ),
)
def test_alto_round_trip(document: OcrDocument, namespace: str) -> None:
    read = read_ocr(OcrFormat.ALTO, to_alto(document, namespace))
    assert [
        [[[w.text for w in line] for line in para] for para in page.paragraphs]
        for page in read.pages
    ] == [
        [[[w.text for w in line] for line in para] for para in page.paragraphs]
        for page in document.pages
    ]
    for got, want in zip(read.words(), document.words(), strict=True):
        assert got.confidence is not None
        assert want.confidence is not None
        assert abs(got.confidence - want.confidence) < 1e-6


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENT)
def test_tsv_round_trip(document: OcrDocument) -> None:
    assert shape(read_ocr(OcrFormat.TSV, to_tsv(document))) == shape(document)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENT)
def test_text_round_trip(document: OcrDocument) -> None:
    assert read_ocr(OcrFormat.TEXT, to_text(document)).text == document.text
