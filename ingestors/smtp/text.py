"""Turning whatever bytes and markup a mail carries into clean Unicode text.

Real mail declares charsets Python does not know (`X-UNKNOWN`, `unknown-8bit`), declares the
wrong one, or none at all; HTML bodies come without a plain alternative. These helpers never
raise: they fall back step by step and always return a string that JSON can carry (no lone
surrogates), so a complaint is never lost to its encoding.
"""

import codecs
import html
import re
from html.parser import HTMLParser

# Names seen in real mail that Python's codec registry does not resolve by itself.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-gbk": "gbk",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "iso-2022-jp-ms": "iso2022_jp_ext",
}

_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Remove what cannot be serialized as UTF-8 (lone surrogates from `surrogateescape`)."""
    if _SURROGATES.search(text) is None:
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    return decode_bytes(raw, None)


def resolve_charset(declared: str | None) -> str | None:
    """The codec name for a declared charset, or None when Python cannot decode it."""
    if not declared:
        return None
    name = declared.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None


def decode_bytes(raw: bytes, declared: str | None) -> str:
    """Decode `raw` with its declared charset, falling back to UTF-8 and then Windows-1252.

    ASCII-only content (the most common case) decodes the same under every fallback; for
    eight-bit content with an unknown or wrong label, UTF-8 is tried first because it almost
    never decodes text that is not UTF-8, and cp1252 (a Latin-1 superset) never fails.
    """
    codec = resolve_charset(declared)
    if codec is not None and codec != "ascii":
        try:
            return clean_decoded(raw.decode(codec))
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    try:
        return clean_decoded(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if codec is not None and codec != "utf-8":
        try:
            return clean_decoded(raw.decode(codec, "replace"))
        except (LookupError, ValueError):
            pass
    return clean_decoded(raw.decode("cp1252", "replace"))


def clean_decoded(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl"),
        *("dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3"),
        *("h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre"),
        *("section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body: no markup, scripts or styles; paragraphs,
    line breaks and list items kept as lines. Never raises on broken markup."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError, IndexError):
        # html.parser is lenient but has raised on pathological input in some versions;
        # the text gathered so far is still the best reading there is.
        pass
    text = "".join(parser.parts)
    if not parser.parts:
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return tidy(text)


def tidy(text: str) -> str:
    """Normalise line ends, strip trailing blanks and collapse runs of empty lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    blank = 0
    for line in lines:
        if not line.strip():
            blank += 1
            if blank > 1:
                continue
            line = ""
        else:
            blank = 0
        out.append(line)
    return "\n".join(out).strip()
