"""Multipart and form bodies parsed from bytes, checked against aiohttp's own writer."""

import asyncio

import pytest
from aiohttp import MultipartWriter, payload
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestors.web.multipart import BodyError, Part, parse_form, parse_multipart


def written(parts: list[tuple[str, bytes, str | None]], boundary: str) -> bytes:
    """What aiohttp's client sends for these parts."""
    writer = MultipartWriter("form-data", boundary=boundary)
    for name, content, filename in parts:
        part = writer.append_payload(payload.BytesPayload(content))
        if filename is None:
            part.set_content_disposition("form-data", name=name)
        else:
            part.set_content_disposition("form-data", name=name, filename=filename)

    class Sink:
        def __init__(self) -> None:
            self.data = b""

        async def write(self, chunk: bytes) -> None:
            self.data += chunk

    sink = Sink()
    asyncio.run(writer.write(sink))  # type: ignore[arg-type]
    return sink.data


MB = "multipart/form-data; boundary=b"

# Names aiohttp's client writes as they are (it percent-encodes others; browsers do not).
names = st.text(st.sampled_from("abcXYZ019-._~"), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(names, st.binary(max_size=300), st.one_of(st.none(), names)), max_size=5),
    st.sampled_from(["b", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "x-y_z.1"]),
)
def test_whatever_aiohttp_writes_we_read_back(
    parts: list[tuple[str, bytes, str | None]], boundary: str
) -> None:
    body = written(parts, boundary)
    got = parse_multipart(body, f"multipart/form-data; boundary={boundary}")
    assert [(p.name, p.content, p.filename) for p in got] == parts


def test_a_browser_style_body() -> None:
    body = (
        b"preamble\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="text"\r\n\r\nBuca\r\nprofonda\r\n'
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="attachments"; filename="foto.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n"
        b"--XyZ--\r\nepilogue"
    )
    assert parse_multipart(body, 'multipart/form-data; boundary="XyZ"') == [
        Part("text", b"Buca\r\nprofonda"),
        Part("attachments", b"\x89PNG\r\n--X", "foto.png", "image/png"),
    ]


def test_browsers_send_utf8_file_names() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="attachments"; filename="via '
        + "Garibaldi à.png".encode()
        + b'"\r\n\r\nx\r\n--b--'
    )
    [part] = parse_multipart(body, "multipart/form-data; boundary=b")
    assert part.filename == "via Garibaldi à.png"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b--", "multipart/form-data"),
        (b"--b--", "multipart/form-data; boundary="),
        (b"nothing here", "multipart/form-data; boundary=b"),
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx",
            "multipart/form-data; boundary=b",
        ),
        (b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
        (
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            "multipart/form-data; boundary=b",
        ),
        (b"--bjunk", "multipart/form-data; boundary=b"),
        (b"--b\r\nno colon line\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
    ],
)
def test_malformed_bodies_are_body_errors(body: bytes, content_type: str) -> None:
    with pytest.raises(BodyError):
        parse_multipart(body, content_type)


def test_too_many_parts() -> None:
    one = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'
    with pytest.raises(BodyError, match="more than 3"):
        parse_multipart(one * 5 + b"--b--", "multipart/form-data; boundary=b", max_parts=3)


def test_form_encoded_bodies() -> None:
    assert parse_form(b"a=1&attribute%5BX%5D=caf%C3%A9&b=&c=x+y") == [
        ("a", "1"),
        ("attribute[X]", "café"),
        ("b", ""),
        ("c", "x y"),
    ]
    with pytest.raises(BodyError):
        parse_form(b"\xff\xfe")
    with pytest.raises(BodyError):
        parse_form(b"&".join([b"a=1"] * 20), max_fields=10)
