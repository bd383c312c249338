"""Idempotency decisions, fingerprints, status views and the OpenAPI document."""

import hashlib
import json
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from ingestors.web.complaint_request import (
    ComplaintRequest,
    fingerprint,
    idempotency_ref,
    submission_event,
    to_submission,
)
from ingestors.web.openapi import document
from ingestors.web.receipts import KeyConflict, KeyRow, Receipt, Replay, judge
from ingestors.web.status import CaseRow, HistoryRow, status_view
from processors.bodies import load_bodies
from processors.taxonomy import load_taxonomy
from schemas import BlobRef, Channel, SubmissionReceived, decode_event, tracking_id_for

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
BODIES = {b.id: b for b in load_bodies()}
CATEGORIES = {c.code: c for c in load_taxonomy()}


def test_what_a_request_finds_under_its_key() -> None:
    accepted = KeyRow("fp", "SP-1", "accepted", T0)
    assert judge(accepted, "fp") == Replay("SP-1")
    assert judge(accepted, "other") == KeyConflict("different_request")
    pending = KeyRow("fp", "SP-1", "pending", T0)
    assert judge(pending, "fp") == KeyConflict("in_progress")
    assert judge(pending, "other") == KeyConflict("different_request")


def test_fingerprints_ignore_spelling_and_see_attachments() -> None:
    a = ComplaintRequest.model_validate_json('{"text": "x", "channel": "app"}')
    b = ComplaintRequest.model_validate_json('{ "channel":"app",  "text":" x "}')
    canonical = a.model_dump_json().encode()
    assert canonical == b.model_dump_json().encode()
    blob = BlobRef(sha256="a" * 64, media_type="image/png", size=1)
    assert fingerprint("POST /v1", canonical) != fingerprint("POST /v1", canonical, [blob])
    assert fingerprint("POST /v1", canonical) != fingerprint("POST /open311", canonical)


def test_keys_are_namespaced_by_client() -> None:
    request = ComplaintRequest(text="x")
    one = to_submission(request, idempotency_ref=idempotency_ref("a", "k", ""), received_at=T0)
    two = to_submission(request, idempotency_ref=idempotency_ref("b", "k", ""), received_at=T0)
    assert one.submission_id != two.submission_id
    assert idempotency_ref("a", None, "ff") == "req:ff"


def test_status_views_carry_no_personal_data() -> None:
    case = CaseRow("CASE-AAAA-BBBB-CCCC", "assigned", "verde", "alberi", T0, T0, T0)
    history = [
        HistoryRow(T0, "sportello.case.updated", "received", None),
        HistoryRow(T0, "sportello.case.updated", "assigned", "verde"),
        HistoryRow(T0, "sportello.sla.warning", None, None),
    ]
    view = status_view(
        "SP-AAAA-BBBB-CCCC", case, history, None, bodies=BODIES, categories=CATEGORIES
    )
    assert view is not None
    assert view.body is not None and view.body.name == BODIES["verde"].name
    assert view.category is not None and view.category.name_en == CATEGORIES["alberi"].name_en
    assert [h.status for h in view.history] == ["received", "assigned", None]
    assert set(view.model_dump()) == {
        "tracking_id",
        "case_id",
        "status",
        "body",
        "category",
        "received_at",
        "updated_at",
        "deadline_at",
        "history",
    }
    early = status_view(
        "SP-AAAA-BBBB-CCCC",
        None,
        [],
        Receipt("SP-AAAA-BBBB-CCCC", "web", None, T0),
        bodies=BODIES,
        categories=CATEGORIES,
    )
    assert early is not None and early.status == "received" and early.case_id is None
    assert status_view("SP-X", None, [], None, bodies=BODIES, categories=CATEGORIES) is None


def test_the_openapi_document_is_built_from_the_models() -> None:
    doc = document("http://127.0.0.1:8080")
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    assert schemas["ComplaintRequest"]["additionalProperties"] is False
    assert set(schemas["ComplaintRequest"]["properties"]) == set(ComplaintRequest.model_fields)
    text = json.dumps(doc)
    for ref in set(__import__("re").findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in schemas, ref


def _tracking_id_as_first_written(channel: Channel, ref: str) -> str:
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digest = hashlib.sha256(f"{channel.value}\x00{ref}".encode()).digest()
    number = int.from_bytes(digest[:8], "big") >> 4
    chars = "".join(crockford[(number >> shift) & 31] for shift in range(55, -1, -5))
    return f"SP-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


@given(st.sampled_from(list(Channel)), st.text())
def test_tracking_numbers_are_those_they_always_were(channel: Channel, ref: str) -> None:
    """The table look-up gives every reference the number the first version gave it: the
    numbers citizens already hold keep naming their complaints."""
    assert tracking_id_for(channel, ref) == _tracking_id_as_first_written(channel, ref)


COMPLAINTS = st.fixed_dictionaries(
    {"text": st.text(min_size=1).filter(str.strip)},
    optional={
        "channel": st.sampled_from(["web", "app", "contact_centre"]),
        "subject": st.text(max_size=50),
        "language": st.sampled_from(["it", "en", "fr-CH"]),
        "citizen": st.fixed_dictionaries({}, optional={"name": st.text(max_size=20)}),
        "location": st.fixed_dictionaries(
            {}, optional={"address": st.text(max_size=30), "district": st.text(max_size=10)}
        ),
        "category_hint": st.text(max_size=20),
        "operator_id": st.text(max_size=20),
    },
)


@given(COMPLAINTS, st.booleans())
def test_the_event_is_built_in_one_pass_as_it_was_in_two(raw: dict, keyed: bool) -> None:  # type: ignore[type-arg]
    try:
        request = ComplaintRequest.model_validate(raw)
    except ValidationError:
        assume(False)
    ref = idempotency_ref("app", "k" if keyed else None, "ab" * 16)
    details: dict[str, str | int | float | bool] = {"source": "test", "pages": 2}
    blob = BlobRef(sha256="a" * 64, media_type="image/png", size=1)
    tracking_id = tracking_id_for(Channel(request.channel), ref)
    event = submission_event(
        request,
        idempotency_ref=ref,
        tracking_id=tracking_id,
        received_at=T0,
        event_id="e1",
        source="/ingestors/web",
        attachments=[blob],
        channel_details=details,
    )
    two_steps = SubmissionReceived.new(
        to_submission(
            request,
            idempotency_ref=ref,
            received_at=T0,
            attachments=[blob],
            channel_details=details,
        ),
        source="/ingestors/web",
        subject=tracking_id,
        time=T0,
        event_id="e1",
    )
    assert event == two_steps
    assert decode_event(event.to_json()) == event
