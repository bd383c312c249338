"""The postal channel's pure parts: letters by stem, manifests, postmark policy."""

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestors.inbox.units import Rejection
from ingestors.ocr import OcrDocument, OcrFormat, OcrPage, OcrWord, read_text
from ingestors.postal import (
    ManifestError,
    PostalManifest,
    PostalPlanner,
    PostalPolicy,
    ReceiptPolicy,
    build_postal_submission,
    legal_receipt,
    parse_manifest,
)
from schemas.blob import BlobRef
from schemas.submission import Channel, Submission, tracking_id_for

ROME = ZoneInfo("Europe/Rome")
SHA = "fedcba9876543210" * 4
RAW = BlobRef(sha256=SHA, media_type="text/html", size=10, filename="L1.hocr")
ARRIVED = datetime(2024, 3, 5, 10, 15, tzinfo=UTC)


def test_planner_groups_outputs_by_stem_best_first() -> None:
    plan = PostalPlanner().plan(
        ["L1.txt", "L1.hocr", "L1.json", "L1-p1.tif", "L2.tsv", "L2.xml", "L3.json", "x.pdf"]
    )
    assert [(u.key, u.main, u.companions) for u in plan.units] == [
        ("L1", "L1.hocr", ("L1.txt", "L1.json")),
        ("L2", "L2.xml", ("L2.tsv",)),
    ]
    assert plan.unclaimed == ("L1-p1.tif", "L3.json", "x.pdf")


def test_manifest_valid() -> None:
    manifest = parse_manifest(
        json.dumps(
            {
                "batch_id": "2024-03-05-A",
                "postmark_date": "2024-03-01",
                "received_date": "2024-03-05",
                "sender": {"name": "Maria Rossi", "address": "Via Garibaldi 14\n40121 Bologna"},
                "pages": ["L1-p1.tif", "L1-p2.tif"],
            }
        ).encode()
    )
    assert manifest.postmark_date == date(2024, 3, 1)
    assert manifest.pages == ("L1-p1.tif", "L1-p2.tif")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not json", "Invalid JSON"),
        (b'{"postmark_date": 1709251200}', "postmark_date"),
        (b'{"postmark_date": "2024-02-30"}', "postmark_date"),
        (b'{"pages": "L1.tif"}', "pages"),
        (b'{"pages": [""]}', "pages.0"),
        (b'{"sender": {"street": "x"}}', "sender.street"),
        (b'{"envelope": {}}', "envelope"),
    ],
)
def test_manifest_invalid(data: bytes, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        parse_manifest(data)


def outcome_of(data: bytes) -> object:
    """What parse_manifest makes of `data`: a model, or the documented error (anything else
    propagates and fails the test)."""
    try:
        return parse_manifest(data)
    except ManifestError as exc:
        return exc


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "batch_id": JSON,
        "postmark_date": st.dates().map(str) | st.text(max_size=12) | JSON,
        "received_date": st.dates().map(str) | JSON,
        "sender": st.fixed_dictionaries({}, optional={"name": JSON, "address": JSON}) | JSON,
        "pages": st.lists(st.text(max_size=20), max_size=4) | JSON,
    },
)


@given(value=JSON | FIELDS)
def test_any_json_is_a_manifest_or_a_manifest_error(value: Any) -> None:
    try:
        data = json.dumps(value).encode()
    except ValueError:
        return
    assert isinstance(outcome_of(data), PostalManifest | ManifestError)


@given(data=st.binary(max_size=300))
def test_any_bytes_are_a_manifest_or_a_manifest_error(data: bytes) -> None:
    assert isinstance(outcome_of(data), PostalManifest | ManifestError)


def test_postmark_counts_when_the_policy_says_so() -> None:
    receipt = legal_receipt(
        ReceiptPolicy.POSTMARK,
        postmark=date(2024, 3, 1),
        received=date(2024, 3, 4),
        file_time=ARRIVED,
        tz=ROME,
    )
    assert receipt.legal_receipt_at == datetime(2024, 3, 1, tzinfo=ROME)
    assert receipt.basis == "postmark"
    by_arrival = legal_receipt(
        ReceiptPolicy.RECEIVED,
        postmark=date(2024, 3, 1),
        received=date(2024, 3, 4),
        file_time=ARRIVED,
        tz=ROME,
    )
    assert by_arrival.legal_receipt_at == datetime(2024, 3, 4, tzinfo=ROME)
    assert by_arrival.basis == "received_date"


def test_implausible_dates_are_not_used() -> None:
    late_postmark = legal_receipt(
        ReceiptPolicy.POSTMARK, postmark=date(2024, 3, 9), received=None, file_time=ARRIVED, tz=ROME
    )
    assert late_postmark.legal_receipt_at == ARRIVED
    assert late_postmark.basis == "file_time"
    assert late_postmark.note is not None
    assert "postmark" in late_postmark.note
    future_receipt = legal_receipt(
        ReceiptPolicy.RECEIVED, postmark=None, received=date(2024, 4, 1), file_time=ARRIVED, tz=ROME
    )
    assert future_receipt.legal_receipt_at == ARRIVED
    assert future_receipt.note is not None


def test_no_manifest_means_the_file_time() -> None:
    receipt = legal_receipt(
        ReceiptPolicy.POSTMARK, postmark=None, received=None, file_time=ARRIVED, tz=ROME
    )
    assert (receipt.legal_receipt_at, receipt.basis) == (ARRIVED, "file_time")


def build(
    document: OcrDocument, manifest: PostalManifest | None, **policy: Any
) -> Submission | Rejection:
    return build_postal_submission(
        sha256=SHA,
        document=document,
        ocr_format=OcrFormat.HOCR,
        manifest=manifest,
        raw=RAW,
        attachments=(),
        file_name="L1.hocr",
        received_at=ARRIVED,
        policy=PostalPolicy(tz=ROME, **policy),
    )


def words(*pairs: tuple[str, float | None]) -> OcrDocument:
    line = tuple(OcrWord(t, c) for t, c in pairs)
    return OcrDocument((OcrPage(((line,),)),))


def test_letter_submission_with_manifest() -> None:
    manifest = parse_manifest(
        b'{"batch_id": "B7", "postmark_date": "2024-03-01",'
        b' "sender": {"name": "Maria Rossi", "address": "Via Garibaldi 14"}}'
    )
    submission = build(words(("Buca", 95.0), ("in", 91.0), ("via", 93.0)), manifest)
    assert isinstance(submission, Submission)
    assert submission.submission_id == tracking_id_for(Channel.POSTAL, SHA)
    assert submission.channel is Channel.POSTAL
    assert submission.legal_receipt_at == datetime(2024, 3, 1, tzinfo=ROME)
    assert submission.received_at == ARRIVED
    assert submission.citizen is not None
    assert submission.citizen.name == "Maria Rossi"
    details = submission.channel_details
    assert details["ocr_confidence"] == 93.0
    assert details["needs_review"] is False
    assert details["envelope_sender_address"] == "Via Garibaldi 14"
    assert details["batch_id"] == "B7"
    assert details["legal_receipt_basis"] == "postmark"


def test_low_confidence_letter_needs_review_and_text_has_none() -> None:
    low = build(words(("Bvca", 41.0), ("irn", 52.0), ("vla", 60.0)), None)
    assert isinstance(low, Submission)
    assert low.channel_details["needs_review"] is True
    assert low.channel_details["review_reason"] == "low_ocr_confidence"
    plain = build(read_text(b"Gentile sindaco, la strada"), None)
    assert isinstance(plain, Submission)
    assert "ocr_confidence" not in plain.channel_details
    assert plain.channel_details["needs_review"] is False


def test_empty_letter_is_refused() -> None:
    refused = build(read_text(b"  \n\f  "), None)
    assert isinstance(refused, Rejection)
    assert refused.reason == "no_text"
