"""Hypothesis: no bytes at all, random or mangled from real mail, make the reader, the
decision or the event building raise."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestors.smtp.assemble import Assembler, AssemblyConfig
from ingestors.smtp.fax import load_gateways
from ingestors.smtp.fax_ocr import OcrConfig
from ingestors.smtp.intake import Envelope, Fate, interpret
from ingestors.smtp.mime import parse_message
from schemas.events import decode_event
from tests.unit.smtp.corpus import corpus_files

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
GATEWAYS = load_gateways()
ENVELOPE = Envelope("someone@example.org", ("reclami@sportello.local",))
REAL = [p.read_bytes() for p in corpus_files() if p.stat().st_size < 200_000]
_BLOBS = Path(tempfile.mkdtemp(prefix="sportello-fuzz-blobs-"))
# No gateways: OCR of fuzzed pages would only measure Tesseract's patience.
ASSEMBLER = Assembler(AssemblyConfig(_BLOBS, (), OcrConfig()))

MIME_NOISE = st.sampled_from(
    [
        b"--",
        b"\r\n",
        b"\n",
        b"=?utf-8?b?",
        b"?=",
        b"boundary=",
        b"Content-Type: multipart/mixed",
        b"charset=x-unknown",
        b"\xff\xfe",
        b"=\r\n",
        b"*0*=utf-8''%C3",
        b"\x00",
        b":",
        b"<",
        b">",
    ]
)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["cut", "insert", "flip", "truncate", "repeat"]))
        if op == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "insert":
            noise = draw(st.one_of(MIME_NOISE, st.binary(max_size=40)))
            data[at:at] = noise
        elif op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
    return bytes(data)


def _check(raw: bytes) -> None:
    mail = parse_message(raw)
    mail.text.encode("utf-8")
    for _name, value in mail.headers:
        value.encode("utf-8")
    reading = interpret(raw, ENVELOPE, received_at=NOW, gateways=GATEWAYS)
    assert reading.ref
    prepared = ASSEMBLER.prepare(raw, ENVELOPE, NOW)
    assert prepared.fate in Fate
    assert prepared.reason != "invalid_submission", prepared.detail
    if prepared.payload is not None:
        event = decode_event(prepared.payload)
        assert event.id


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(mangled())
def test_mangled_real_mail_never_raises(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(
    st.text(max_size=200),
    st.text(max_size=2000),
    st.sampled_from(["utf-8", "iso-8859-1", "x-unknown", "shift_jis", "", "utf-7"]),
)
def test_any_text_in_any_charset_survives(subject: str, body: str, charset: str) -> None:
    encoded = body.encode(charset if charset in {"utf-8", "shift_jis"} else "utf-8", "replace")
    raw = (
        f"From: x@y.example\r\nSubject: {subject}\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n\r\n"
    ).encode("utf-8", "surrogatepass") + encoded
    _check(raw)
