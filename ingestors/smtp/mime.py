"""The pure MIME reader: raw message bytes in, a `ParsedMail` out, and never an exception.

`parse_message(raw)` reads what a person would read in a mail client: the headers decoded
(RFC 2047 encoded words, RFC 6532 UTF-8, any charset), one text body (HTML turned into text
when there is no plain alternative), and every other part as an `Attachment` (RFC 2231
filenames, inline images included). Malformed mail is read as far as it can be: a multipart
whose boundary is missing or wrong is re-split on the boundary lines actually present (where
`email.policy.default`'s `get_content()` would raise `KeyError`), an unknown charset falls back
to UTF-8 or Windows-1252 (where it would raise `LookupError`). What was repaired is listed in
`ParsedMail.repairs`, so the operator can see the reading was not a clean one.
"""

import email.header
import email.utils
import mimetypes
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from ingestors.smtp.text import clean, decode_bytes, html_to_text, tidy

MAX_DEPTH = 20
# compat32 builds the same MIME tree as policy.default, but keeps headers as raw strings
# instead of parsing every one through the header registry (several times slower, and the
# source of the exceptions this module exists to avoid); headers are decoded below.
_PARSER = BytesParser(policy=policy.compat32)
_MSGID = re.compile(r"<[^<>\s]+>")
_BOUNDARY_LINE = re.compile(rb"^--([^\s][^\r\n]{0,199}?)(--)?[ \t]*\r?$", re.MULTILINE)
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_OBSOLETE_HEADER = re.compile(rb"[!-9;-~]+[ \t]+:")
_OBSOLETE_FIELD = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched"})


@dataclass(frozen=True)
class Attachment:
    """A non-body part: its decoded bytes, media type and the sender's file name."""

    content: bytes
    media_type: str
    filename: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """Everything Sportello reads from one message. Strings are clean Unicode."""

    headers: tuple[tuple[str, str], ...]
    text: str
    attachments: tuple[Attachment, ...] = ()
    html_only: bool = False
    repairs: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default=())

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), decoded, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)

    @property
    def message_id(self) -> str | None:
        value = self.header("message-id")
        if value is None:
            return None
        found = _MSGID.search(value)
        token = found.group(0) if found else value.strip()
        return token or None

    @property
    def subject(self) -> str | None:
        value = self.header("subject")
        return " ".join(value.split()) if value and value.strip() else None

    @property
    def sender(self) -> tuple[str | None, str | None]:
        """(display name, address) of `From`, either possibly None."""
        value = self.header("from")
        if not value:
            return None, None
        name, address = email.utils.parseaddr(value)
        return (name.strip() or None), (address.strip() or None)

    @property
    def date(self) -> datetime | None:
        value = self.header("date")
        if not value:
            return None
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    @property
    def in_reply_to(self) -> tuple[str, ...]:
        return tuple(_MSGID.findall(" ".join(self.header_all("in-reply-to"))))

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(_MSGID.findall(" ".join(self.header_all("references"))))

    @property
    def content_type(self) -> str:
        value = self.header("content-type") or "text/plain"
        return value.split(";", 1)[0].strip().lower() or "text/plain"


def parse_message(raw: bytes) -> ParsedMail:
    """Read one RFC 5322 message. Never raises on any input bytes."""
    message = _PARSER.parsebytes(raw)
    reader = _Reader()
    if not message.keys() and _OBSOLETE_HEADER.match(raw):
        # RFC 5322 section 4.5 allows blanks before the colon; the email package does not.
        head, sep, body = (
            raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
        )
        message = _PARSER.parsebytes(_OBSOLETE_FIELD.sub(rb"\1:", head) + sep + body)
        reader.repairs.append("obsolete_header_syntax")
    headers = tuple(_decoded_headers(message))
    reader.walk(message, depth=0)
    text = tidy("\n\n".join(t for t in reader.texts if t.strip()))
    return ParsedMail(
        headers=headers,
        text=text,
        attachments=tuple(reader.attachments),
        html_only=reader.html_only and not reader.plain_seen,
        repairs=tuple(dict.fromkeys(reader.repairs)),
        defects=tuple(sorted(reader.defects)),
    )


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in `value`, whatever charsets they name."""
    if "=?" not in value:
        return clean(value)
    try:
        return clean(str(email.header.make_header(email.header.decode_header(value))))
    except Exception:  # noqa: S110 — email.header raises several types
        pass
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return clean(value)
    out = []
    for chunk, charset in chunks:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return clean(" ".join(out))


def _decoded_headers(message: Message) -> list[tuple[str, str]]:
    out = []
    for name, raw in message.raw_items():
        key = clean(str(name)).strip().lower()
        out.append((key, _header_value(raw)))
    return out


def _header_value(raw: object) -> str:
    if not isinstance(raw, str):  # compat32 hands back a Header for undecodable bytes
        raw = str(raw)
    if re.search("[\udc80-\udcff]", raw):
        # RFC 6532: raw UTF-8 (or, in older mail, raw Latin-1) in the header itself.
        raw = decode_bytes(raw.encode("ascii", "surrogateescape"), None)
    return " ".join(decode_words(_UNFOLD.sub(" ", raw)).split())


class _Reader:
    """Walks the MIME tree once, gathering body texts and attachments."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.attachments: list[Attachment] = []
        self.repairs: list[str] = []
        self.defects: Counter[str] = Counter()
        self.html_only = False
        self.plain_seen = False

    def walk(self, part: Message, depth: int) -> None:
        self.defects.update(type(d).__name__ for d in getattr(part, "defects", ()))
        if depth > MAX_DEPTH:
            self.repairs.append("mime_too_deep")
            return
        ctype = _safe_content_type(part)
        if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
            self._attach(_message_bytes(part), ctype, _filename(part), inline=False)
            return
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            self._broken_multipart(part, ctype, depth)
            return
        self._leaf(part, ctype)

    def _alternative(self, children: list[Message], depth: int) -> None:
        readings: list[_Reader] = []
        for child in children:
            sub = _Reader()
            sub.walk(child, depth + 1)
            readings.append(sub)
            self.attachments.extend(sub.attachments)
            self.repairs.extend(sub.repairs)
            self.defects.update(sub.defects)
        with_text = [r for r in readings if any(t.strip() for t in r.texts)]
        plain = [r for r in with_text if r.plain_seen]
        chosen = (plain or with_text)[0] if with_text else None
        if chosen is not None:
            self.texts.extend(chosen.texts)
            self.plain_seen = self.plain_seen or chosen.plain_seen
            self.html_only = self.html_only or chosen.html_only

    def _leaf(self, part: Message, ctype: str) -> None:
        disposition = _safe(part.get_content_disposition) or ""
        filename = _filename(part)
        payload = _payload(part)
        if ctype in _BODY_TYPES and disposition != "attachment" and not filename:
            text = decode_bytes(payload, _charset(part))
            if ctype == "text/html":
                self.texts.append(html_to_text(text))
                self.html_only = True
            elif ctype == "text/enriched":
                self.texts.append(tidy(re.sub(r"<[^>]*>", "", text)))
                self.plain_seen = True
            else:
                self.texts.append(tidy(text))
                self.plain_seen = True
            return
        if not payload and not filename:
            return
        self._attach(payload, ctype, filename, inline=disposition == "inline")

    def _attach(self, content: bytes, ctype: str, filename: str | None, *, inline: bool) -> None:
        media_type = ctype
        if filename and ctype in {"application/octet-stream", "text/plain"}:
            guessed, _ = mimetypes.guess_type(filename)
            media_type = guessed or ctype
        self.attachments.append(Attachment(content, media_type, filename, inline))

    def _broken_multipart(self, part: Message, ctype: str, depth: int) -> None:
        body = _payload(part)
        counts = Counter(m.group(1) for m in _BOUNDARY_LINE.finditer(body))
        if counts:
            boundary = counts.most_common(1)[0][0]
            self.repairs.append("boundary_guessed")
            # The declared subtype may itself be the broken part (seen: a stray 0xFF byte).
            subtype = ctype if _MULTIPART_TYPE.fullmatch(ctype) else "multipart/mixed"
            header = f'Content-Type: {subtype}; boundary="{boundary.decode("latin-1")}"\r\n\r\n'
            rebuilt = _PARSER.parsebytes(header.encode("latin-1") + body)
            if rebuilt.is_multipart():
                for child in rebuilt.get_payload():
                    if isinstance(child, Message):
                        self.walk(child, depth + 1)
                return
        self.repairs.append("multipart_read_as_text")
        self.texts.append(tidy(decode_bytes(body, _charset(part))))
        self.plain_seen = True


_MULTIPART_TYPE = re.compile(r"multipart/[a-z0-9][a-z0-9.+-]*")


def _safe_content_type(part: Message) -> str:
    try:
        return clean(part.get_content_type()).lower()
    except Exception:
        return "text/plain"


def _safe(getter: object) -> str | None:
    try:
        value = getter()  # type: ignore[operator]
    except Exception:
        return None
    return clean(value) if isinstance(value, str) else None


def _charset(part: Message) -> str | None:
    try:
        value = part.get_content_charset()
    except Exception:
        return None
    return clean(value) if isinstance(value, str) else None


def _payload(part: Message) -> bytes:
    try:
        value = part.get_payload(decode=True)
    except Exception:
        value = None
    if isinstance(value, bytes):
        return value
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
        if isinstance(name, str) and "\ufffd" in name:
            name = _filename_from_raw_bytes(part) or name
    except Exception:
        name = None
    if not isinstance(name, str) or not name.strip():
        return None
    name = decode_words(clean(name))
    name = re.split(r"[\\/]", name)[-1].strip().replace("\x00", "")
    return name[:255] or None


def _filename_from_raw_bytes(part: Message) -> str | None:
    # compat32 turns a parameter with raw 8-bit bytes (name=ciële.txt in UTF-8, common in
    # real mail) into replacement characters; decode the raw header and read it again.
    fixed = Message()
    for key, raw in part.raw_items():
        if key.lower() in {"content-disposition", "content-type"} and isinstance(raw, str):
            fixed[key] = decode_bytes(raw.encode("ascii", "surrogateescape"), None)
    name = fixed.get_filename()
    return name if isinstance(name, str) else None


def _message_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        for pol in (policy.default, policy.compat32):
            try:
                return inner[0].as_bytes(policy=pol)
            except Exception:  # noqa: S112 — try the next policy
                continue
        return b""
    return _payload(part)


__all__ = ["Attachment", "ParsedMail", "decode_words", "parse_message"]
