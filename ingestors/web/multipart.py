"""Request bodies as data: `multipart/form-data` and form-encoded bodies parsed from bytes.

Pure and total: any bytes give either parts/fields or a `BodyError` saying what is wrong.
Bodies are read whole (within the configured limit) before parsing because an HMAC
signature covers the raw body, so a streaming parser would gain nothing.
"""

import re
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qsl


class BodyError(ValueError):
    """The body cannot be read as its media type says."""


@dataclass(frozen=True)
class Part:
    """One part of a multipart body."""

    name: str
    content: bytes = field(repr=False)
    filename: str | None = None
    content_type: str = "text/plain"


_HEADER_LINE = re.compile(rb"^([!-9;-~]+):[ \t]*(.*?)[ \t]*$")


def media_type(content_type: str) -> str:
    """`text/html; charset=utf-8` → `text/html`."""
    return content_type.split(";", 1)[0].strip().lower()


def _params(header_value: str) -> tuple[str, dict[str, str]]:
    msg = Message()
    msg["content-type"] = header_value
    params = {k.lower(): v for k, v in msg.get_params(failobj=[], header="content-type")[1:]}
    return media_type(header_value), params


def boundary_of(content_type: str) -> str:
    _, params = _params(content_type)
    boundary = params.get("boundary", "")
    if not 1 <= len(boundary) <= 200:
        raise BodyError("multipart body without a valid boundary parameter")
    return boundary


def _disposition(value: str) -> tuple[str | None, str | None]:
    msg = Message()
    msg["content-disposition"] = value
    name = msg.get_param("name", header="content-disposition")
    filename = msg.get_filename()
    return (
        name if isinstance(name, str) else None,
        filename if isinstance(filename, str) else None,
    )


def _header_text(value: bytes) -> str:
    # Browsers send file names as raw UTF-8 (HTML's form encoding); old clients Latin-1.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _part(raw: bytes) -> Part:
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        if raw.startswith(b"\r\n"):  # a part with no headers at all
            head, content = b"", raw[2:]
        else:
            raise BodyError("a multipart part has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        if not line:
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            raise BodyError("a multipart part has a malformed header line")
        headers[match.group(1).decode("ascii").lower()] = _header_text(match.group(2))
    disposition = headers.get("content-disposition", "")
    if media_type(disposition) != "form-data":
        raise BodyError("every part needs 'Content-Disposition: form-data'")
    name, filename = _disposition(disposition)
    if name is None:
        raise BodyError("a multipart part has no name")
    return Part(
        name=name,
        content=content,
        filename=filename,
        content_type=media_type(headers.get("content-type", "text/plain")) or "text/plain",
    )


def parse_multipart(body: bytes, content_type: str, *, max_parts: int = 100) -> list[Part]:
    """The parts of a `multipart/form-data` body (RFC 7578), in order."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    start = body.find(delimiter)
    if start < 0 or (start > 0 and body[start - 2 : start] != b"\r\n"):
        raise BodyError("the multipart body does not start with its boundary")
    parts: list[Part] = []
    position = start + len(delimiter)
    while True:
        if body[position : position + 2] == b"--":
            return parts
        if body[position : position + 2] != b"\r\n":
            raise BodyError("a multipart boundary is not followed by a line break")
        end = body.find(b"\r\n" + delimiter, position + 2)
        if end < 0:
            raise BodyError("the multipart body ends before its closing boundary")
        parts.append(_part(body[position + 2 : end]))
        if len(parts) > max_parts:
            raise BodyError(f"more than {max_parts} parts")
        position = end + 2 + len(delimiter)


def parse_form(body: bytes, *, max_fields: int = 1000) -> list[tuple[str, str]]:
    """The fields of an `application/x-www-form-urlencoded` body, in order, as UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError("the form body is not UTF-8") from exc
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=max_fields
        )
    except ValueError as exc:
        raise BodyError(str(exc)) from exc


def decode_text(part: Part) -> str:
    try:
        return part.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"the part {part.name!r} is not UTF-8 text") from exc
