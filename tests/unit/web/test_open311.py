"""Open311 GeoReport v2 as pure data, on the specification's own examples."""

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ingestors.web.multipart import parse_form
from ingestors.web.open311 import (
    Open311Invalid,
    PostedRequest,
    complaint_from_fields,
    fields_from_json,
    loads_lenient,
    render,
    request_view,
    services,
    statuses_for,
)
from ingestors.web.receipts import Receipt
from ingestors.web.status import CaseRow
from processors.bodies import load_bodies
from processors.taxonomy import load_taxonomy

CATEGORIES = {c.code: c for c in load_taxonomy()}
BODIES = {b.id: b for b in load_bodies()}
T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_the_spec_s_invalid_json_example_reads_with_codes_as_text(shared_data: Path) -> None:
    text = (
        shared_data / "open311" / "spec_examples" / "services_spec_INVALID_json.txt"
    ).read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    found = loads_lenient(text)
    assert [s["service_code"] for s in found] == ["001", "002", "003"]
    assert found[0]["metadata"] is True
    assert loads_lenient('{"a": "x 001", "b": 0, "c": -0.5, "d": [007, 1]}') == {
        "a": "x 001",
        "b": 0,
        "c": -0.5,
        "d": ["007", 1],
    }
    assert loads_lenient('{"s": "quote \\" 001"}') == {"s": 'quote " 001'}


def test_the_spec_s_example_post_becomes_a_complaint(shared_data: Path) -> None:
    body = (shared_data / "open311" / "spec_examples" / "post_request_body.form").read_bytes()
    complaint, details, code = complaint_from_fields(
        parse_form(body.strip()), categories=CATEGORIES, aliases={}
    )
    assert code == "001"
    assert complaint.text == "A large sinkhole is destroying the street"
    assert complaint.channel == "app"
    assert complaint.citizen is not None and complaint.citizen.name == "john smith"
    assert complaint.location is not None and complaint.location.address == "1234 5th street"
    assert complaint.category_hint is None
    assert details["open311_attribute[WHISPAWN]"] == "123456"
    assert details["open311_device_id"] == "tt222111"
    assert "api_key" not in str(details) and "xyz" not in details.values()


def test_aliases_and_our_own_codes_name_categories() -> None:
    fields = [("service_code", "26"), ("address_string", "Via Roma 1")]
    complaint, _, _ = complaint_from_fields(
        fields, categories=CATEGORIES, aliases={"26": "pulizia_strade"}
    )
    assert complaint.category_hint == "pulizia_strade"
    assert complaint.text == "[Pulizia delle strade]" or complaint.text.startswith("[")
    own, _, _ = complaint_from_fields(
        [("service_code", "lampioni"), ("lat", "45.46"), ("long", "9.19")],
        categories=CATEGORIES,
        aliases={},
    )
    assert own.category_hint == "lampioni"
    assert own.location is not None and own.location.coordinates is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ([("address_string", "x")], "service_code"),
        ([("service_code", "1")], "lat"),
        ([("service_code", "1"), ("lat", "north"), ("long", "9")], "lat"),
        ([("service_code", "1"), ("lat", "45")], "lat"),
        ([("service_code", "1"), ("lat", "145"), ("long", "9")], "lat"),
        ([("service_code", "1"), ("address_id", "7"), ("email", "no-at-sign")], "email"),
    ],
)
def test_incomplete_requests_say_which_field(fields: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(Open311Invalid) as caught:
        complaint_from_fields(fields, categories=CATEGORIES, aliases={})
    assert field in [f for f, _ in caught.value.errors]


def test_json_requests_flatten_attributes() -> None:
    fields = fields_from_json({"service_code": 5, "attribute": {"A": 1}, "flag": True, "x": None})
    assert fields == [("service_code", "5"), ("attribute[A]", "1"), ("flag", "true"), ("x", "")]
    with pytest.raises(Open311Invalid):
        fields_from_json([1, 2])
    with pytest.raises(Open311Invalid):
        fields_from_json({"lat": [1, 2]})


def test_services_are_the_taxonomy_grouped_by_body() -> None:
    found = services(list(CATEGORIES.values()), BODIES, locale="en")
    assert len(found) == 39
    assert {s.group for s in found} == {b.name for b in BODIES.values()}
    assert all(s.type == "realtime" and not s.metadata for s in found)


def test_cases_and_receipts_as_service_requests_without_personal_data() -> None:
    case = CaseRow("CASE-AAAA-BBBB-CCCC", "resolved", "illuminazione", "lampioni", T0, T0, T0)
    view = request_view("SP-AAAA-BBBB-CCCC", case, None, bodies=BODIES, categories=CATEGORIES)
    assert view is not None
    assert (view.status, view.status_notes, view.service_code) == ("closed", "resolved", "lampioni")
    assert view.agency_responsible == BODIES["illuminazione"].name
    assert view.description is None and view.address is None and view.lat is None
    receipt = Receipt("SP-AAAA-BBBB-CCCC", "app", "001", T0)
    early = request_view("SP-AAAA-BBBB-CCCC", None, receipt, bodies=BODIES, categories=CATEGORIES)
    assert early is not None and (early.status, early.service_code) == ("open", "001")
    assert request_view("SP-X", None, None, bodies=BODIES, categories=CATEGORIES) is None


def test_status_filters() -> None:
    assert statuses_for("") is None
    assert set(statuses_for("closed") or []) == {"resolved", "rejected", "closed"}
    assert "received" in (statuses_for("open, closed") or [])
    with pytest.raises(Open311Invalid):
        statuses_for("pending")


def test_the_post_answer_has_the_spec_s_xml_shape(shared_data: Path) -> None:
    expected = ET.parse(shared_data / "open311" / "spec_examples" / "post_response.xml").getroot()
    ours = ET.fromstring(
        render(
            [PostedRequest(service_request_id="SP-1", service_notice="n")],
            fmt="xml",
            root="service_requests",
            item="request",
        )
    )
    assert [e.tag for e in ours.iter()] == [e.tag for e in expected.iter()]
    as_json = json.loads(
        render([PostedRequest(service_request_id="SP-1")], fmt="json", root="", item="")
    )
    expected_json = json.loads(
        (shared_data / "open311" / "spec_examples" / "post_response.json").read_text()
    )
    assert set(as_json[0]) == set(expected_json[0])
