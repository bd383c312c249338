"""ALTO XML (v1 CCS namespace, v2, v3, v4, or no namespace), as OCR engines and mailrooms write it.

Parsed with defusedxml: entity expansion and DTDs are refused, so a crafted file cannot
blow up memory or reach the network. Elements are matched by local name, which makes the
namespace version irrelevant: `Page` > `TextBlock` (a paragraph) > `TextLine` > `String`
(`CONTENT`, confidence `WC` on 0-1), with `HYP` marking a hyphen at the end of a line.
"""

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ingestors.ocr.model import (
    Line,
    OcrDocument,
    OcrFormatError,
    OcrPage,
    OcrWord,
    Paragraph,
    clamp_confidence,
)

KNOWN_NAMESPACES = (
    "http://www.loc.gov/standards/alto/ns-v2#",
    "http://www.loc.gov/standards/alto/ns-v3#",
    "http://www.loc.gov/standards/alto/ns-v4#",
    "http://schema.ccs-gmbh.com/ALTO",
    "",
)


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    return tag.rsplit("}", 1)[-1]


def _confidence(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return clamp_confidence(float(raw) * 100)
    except ValueError:
        return None


def _line(element: Element) -> Line:
    words: list[OcrWord] = []
    for child in element:
        name = _local(child.tag)
        if name == "String":
            text = " ".join((child.get("CONTENT") or "").split())
            if text:
                words.append(OcrWord(text, _confidence(child.get("WC"))))
        elif name == "HYP" and words:
            hyphen = child.get("CONTENT") or "-"
            last = words[-1]
            words[-1] = OcrWord(last.text + hyphen, last.confidence)
    return tuple(words)


def _block(element: Element) -> Paragraph:
    lines = (_line(el) for el in element.iter() if _local(el.tag) == "TextLine")
    return tuple(line for line in lines if line)


def _page(element: Element) -> OcrPage:
    blocks = (_block(el) for el in element.iter() if _local(el.tag) == "TextBlock")
    return OcrPage(tuple(block for block in blocks if block))


def read_alto(data: bytes) -> OcrDocument:
    """Read ALTO XML. Raises `OcrFormatError` if it is not well-formed, safe ALTO."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError, RecursionError) as exc:
        raise OcrFormatError(f"not readable XML: {type(exc).__name__}: {exc}") from None
    if _local(root.tag) != "alto":
        raise OcrFormatError(f"not ALTO: the root element is <{_local(root.tag) or '?'}>")
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace not in KNOWN_NAMESPACES:
        raise OcrFormatError(f"not a known ALTO namespace: {namespace[:200]!r}")
    pages = tuple(_page(el) for el in root.iter() if _local(el.tag) == "Page")
    return OcrDocument(pages)
