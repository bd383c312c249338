"""The scan channel's pure parts: planning, the operator's sidecar, the submission."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestors.inbox.units import Rejection
from ingestors.ocr import DocumentKind, OcrPage, OcrWord, PageSource, ReadDocument, ReadPage
from ingestors.ocr.plaintext import text_page
from ingestors.scans import (
    ScanPlanner,
    ScanPolicy,
    ScanSidecar,
    SidecarError,
    build_scan_submission,
    parse_sidecar,
)
from schemas.blob import BlobRef
from schemas.submission import Channel, Submission, tracking_id_for

SHA = "0123456789abcdef" * 4
RAW = BlobRef(sha256=SHA, media_type="application/pdf", size=10, filename="modulo.pdf")
WHEN = datetime(2024, 3, 12, 9, 30, tzinfo=UTC)


def test_planner_pairs_scans_with_sidecars() -> None:
    plan = ScanPlanner().plan(
        ["b.pdf", "a.png", "a.png.json", "orphan.pdf.json", "noext", "notes.txt"]
    )
    assert [(u.main, u.companions) for u in plan.units] == [
        ("a.png", ("a.png.json",)),
        ("b.pdf", ()),
        ("noext", ()),
        ("notes.txt", ()),
    ]
    assert plan.unclaimed == ("orphan.pdf.json",)


def test_sidecar_valid() -> None:
    sidecar = parse_sidecar(
        json.dumps(
            {
                "operator_id": "op-117",
                "desk": "Municipio 3, sportello 2",
                "citizen": {"name": "Maria Rossi", "phone": "+39 051 234 5678"},
                "district": "Municipio 3",
                "language": "it",
            }
        ).encode()
    )
    assert sidecar.operator_id == "op-117"
    assert sidecar.citizen is not None
    assert sidecar.citizen.phone == "+39 051 234 5678"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "Invalid JSON"),
        (b"{", "EOF"),
        (b"[]", "(document)"),
        (b'{"desk": "x"}', "operator_id"),
        (b'{"operator_id": "op", "colour": "red"}', "colour"),
        (b'{"operator_id": "op", "citizen": {"email": "not-an-email"}}', "citizen.email"),
        (b'{"operator_id": ""}', "operator_id"),
        (b'{"operator_id": "op", "language": "Italian"}', "language"),
        (b"\xff\xfe{}", "Invalid JSON"),
        (b"[" * 100_000, "larger than"),
    ],
)
def test_sidecar_invalid(data: bytes, problem: str) -> None:
    with pytest.raises(SidecarError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_sidecar(data)


def outcome_of(data: bytes) -> object:
    """What parse_sidecar makes of `data`: a model, or the documented error (anything else
    propagates and fails the test)."""
    try:
        return parse_sidecar(data)
    except SidecarError as exc:
        return exc


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "operator_id": st.text(max_size=120) | JSON,
        "desk": st.text(max_size=120) | JSON,
        "citizen": st.fixed_dictionaries(
            {}, optional={"name": st.text(max_size=10), "email": st.text(max_size=20) | JSON}
        )
        | JSON,
        "district": JSON,
        "language": st.sampled_from(["it", "en", "ita", "IT", ""]) | JSON,
        "extra": JSON,
    },
)


@given(value=JSON | FIELDS)
def test_any_json_is_a_sidecar_or_a_sidecar_error(value: Any) -> None:
    try:
        data = json.dumps(value).encode()
    except ValueError:
        return
    assert isinstance(outcome_of(data), ScanSidecar | SidecarError)


@given(data=st.binary(max_size=300))
def test_any_bytes_are_a_sidecar_or_a_sidecar_error(data: bytes) -> None:
    assert isinstance(outcome_of(data), ScanSidecar | SidecarError)


def read_document(*pages: ReadPage) -> ReadDocument:
    return ReadDocument(DocumentKind.PDF, pages)


def ocr_page(*words: tuple[str, float]) -> ReadPage:
    line = tuple(OcrWord(text, conf) for text, conf in words)
    return ReadPage(PageSource.OCR, OcrPage(((line,),)))


def build(document: ReadDocument, sidecar: ScanSidecar | None = None) -> Submission | Rejection:
    return build_scan_submission(
        sha256=SHA,
        document=document,
        sidecar=sidecar,
        file_name="modulo.pdf",
        raw=RAW,
        received_at=WHEN,
        policy=ScanPolicy(min_word_confidence=30, review_below=70),
    )


def test_submission_from_a_mixed_pdf_with_sidecar() -> None:
    document = read_document(
        ReadPage(PageSource.TEXT_LAYER, text_page("Segnalazione: lampione spento")),
        ocr_page(("in", 90.0), ("via", 92.0), ("Roma", 88.0)),
        ReadPage(PageSource.OCR, OcrPage()),
    )
    sidecar = ScanSidecar(
        operator_id="op-117", desk="Desk 2", district="Municipio 3", language="it"
    )
    submission = build(document, sidecar)
    assert isinstance(submission, Submission)
    assert submission.submission_id == tracking_id_for(Channel.SCAN, SHA)
    assert submission.idempotency_ref == SHA
    assert submission.channel is Channel.SCAN
    assert submission.text == "Segnalazione: lampione spento\n\nin via Roma"
    assert submission.received_at == submission.legal_receipt_at == WHEN
    assert submission.operator_id == "op-117"
    assert submission.language == "it"
    assert submission.location is not None
    assert submission.location.district == "Municipio 3"
    assert submission.raw == RAW
    assert submission.channel_details == {
        "file_name": "modulo.pdf",
        "media_type": "application/pdf",
        "pages": 3,
        "ocr_pages": 2,
        "text_layer_pages": 1,
        "blank_pages": 1,
        "ocr_words": 3,
        "ocr_confidence": 90.0,
        "needs_review": False,
        "desk": "Desk 2",
    }


def test_low_confidence_is_flagged_for_review() -> None:
    submission = build(read_document(ocr_page(("buca", 55.0), ("strada", 60.0))))
    assert isinstance(submission, Submission)
    assert submission.channel_details["needs_review"] is True
    assert submission.channel_details["ocr_confidence"] == 57.5


def test_blank_or_noise_only_pages_are_refused() -> None:
    assert build(read_document(ReadPage(PageSource.OCR, OcrPage()))) == Rejection(
        "no_text", "no readable text on 1 page(s): blank or not a text"
    )
    noise = build(read_document(ocr_page((".", 95.0), ("~", 40.0), ("Ww", 12.0))))
    assert isinstance(noise, Rejection)
    assert noise.reason == "no_text"


def test_long_text_is_cut_and_said_so() -> None:
    long_page = ReadPage(PageSource.TEXT_LAYER, text_page("parola " * 20_000))
    submission = build(read_document(long_page))
    assert isinstance(submission, Submission)
    assert len(submission.text) == 100_000
    assert submission.channel_details["text_truncated"] is True
