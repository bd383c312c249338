"""Open311 GeoReport v2 against the real intake, with the specification's own examples."""

import json
import re
import uuid
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from schemas import Channel
from tests.integration.web.conftest import (
    WebIntake,
    intake_start,
    published,
    web_intake_running,
)

pytestmark = pytest.mark.integration

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def spec_request(shared_data: Path) -> tuple[str, dict[str, str], bytes]:
    """The spec's example POST, as its .http file writes it: path, headers and body."""
    raw = (shared_data / "open311" / "spec_examples" / "post_request.http").read_text()
    lines = raw.splitlines()
    blank = lines.index("")
    body = "\n".join(lines[blank + 1 :]).strip().encode()
    lines = lines[:blank]
    method, target, _ = lines[0].split()
    assert method == "POST"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return target, headers, body


async def test_the_spec_s_example_post_is_accepted_as_the_spec_describes(
    kafka_bootstrap: str, shared_data: Path
) -> None:
    target, headers, body = spec_request(shared_data)
    path = target.replace("/dev/v2/", "/open311/v2/")  # the city's base URL is ours to choose
    marker = uuid.uuid4().hex
    start = await intake_start(kafka_bootstrap)
    # The example's api_key is "xyz": give that key to a client.
    async with web_intake_running(kafka_bootstrap, api_keys={"example-app": "xyz"}) as intake:
        status, got_headers, text = await intake.post(
            path,
            data=body,
            headers={
                "Authorization": "",  # the key is in the form, as the example has it
                "Content-Type": headers["Content-Type"],
                "Idempotency-Key": marker,
            },
        )
    assert status == 201, text
    assert got_headers["Content-Type"].startswith("text/xml")
    answer = ET.fromstring(text)
    # The shape of the spec's post_response.xml: service_requests/request with these fields.
    expected = ET.parse(shared_data / "open311" / "spec_examples" / "post_response.xml")
    assert answer.tag == expected.getroot().tag == "service_requests"
    [request] = answer.findall("request")
    assert [c.tag for c in request] == [c.tag for c in expected.getroot().find("request")]
    request_id = request.findtext("service_request_id")
    assert request_id and re.fullmatch(r"SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", request_id)
    assert request.findtext("service_notice")
    assert request.findtext("account_id") == ""

    [event] = await published(
        kafka_bootstrap,
        start,
        "smit333@sfgov.edu",
        until=lambda s: any(e.data.submission_id == request_id for e in s),
    ) or [None]
    assert event is not None and event.data.submission_id == request_id
    s = event.data
    assert s.channel == Channel.APP
    assert s.text == "A large sinkhole is destroying the street"
    assert s.citizen is not None
    assert (s.citizen.name, s.citizen.email, s.citizen.phone) == (
        "john smith",
        "smit333@sfgov.edu",
        "111111111",
    )
    assert s.location is not None and s.location.coordinates is not None
    assert s.location.address == "1234 5th street"
    assert (s.location.coordinates.lat, s.location.coordinates.lon) == (37.76524078, -122.4212043)
    assert s.channel_details["open311_service_code"] == "001"  # leading zeros kept
    assert s.channel_details["open311_attribute[WHISPAWN]"] == "123456"
    assert s.channel_details["open311_attribute[WHISDORN]"] == "COISL001"
    assert s.channel_details["open311_media_url"].startswith("http://farm3.static.flickr.com/")
    assert s.category_hint is None  # 001 is no category of ours: the classifier decides


async def test_numeric_codes_of_a_former_system_map_onto_categories(
    kafka_bootstrap: str, shared_data: Path, marker: str
) -> None:
    services = json.loads(
        (shared_data / "open311" / "services_bloomington_newhaven.json").read_text()
    )["bloomington_services"]
    trash = next(s for s in services if s["service_name"] == "Trash")
    start = await intake_start(kafka_bootstrap)
    async with web_intake_running(
        kafka_bootstrap, open311_service_aliases={trash["service_code"]: "abbandono_rifiuti"}
    ) as intake:
        # A JSON client writing the code as the spec's example does: a bare number.
        body = (
            f'{{"api_key": "{intake.key}", "service_code": {trash["service_code"]}, '
            f'"lat": 45.4642, "long": 9.19, "description": "Sacchi in strada {marker}", '
            f'"attributes": {{"SURFACE": "brick"}}}}'
        )
        status, _, answer = await intake.post(
            "/open311/v2/requests.json", data=body, headers={"Content-Type": "application/json"}
        )
    assert status == 201, answer
    [event] = await published(kafka_bootstrap, start, marker, until=bool)
    assert event.data.submission_id == answer[0]["service_request_id"]
    assert event.data.category_hint == "abbandono_rifiuti"
    assert event.data.channel_details["open311_attribute[SURFACE]"] == "brick"


async def test_the_spec_s_invalid_json_numbers_are_read(web_intake: WebIntake) -> None:
    body = f'{{"api_key": "{web_intake.key}", "service_code": 001, "address_string": "Via Roma 1"}}'
    status, _, answer = await web_intake.post(
        "/open311/v2/requests.json", data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 201, answer


async def test_services_and_definitions(web_intake: WebIntake) -> None:
    status, _, services = await web_intake.get("/open311/v2/services.json")
    assert status == 200
    assert len(services) == 39
    pothole = next(s for s in services if s["service_code"] == "buche_stradali")
    assert pothole["service_name"] == "Buche e dissesti stradali"
    assert pothole["type"] == "realtime" and pothole["metadata"] is False
    status, _, english = await web_intake.get("/open311/v2/services.json?locale=en")
    assert next(s for s in english if s["service_code"] == "buche_stradali")["service_name"] == (
        "Potholes and road damage"
    )
    status, headers, xml = await web_intake.get("/open311/v2/services.xml")
    assert headers["Content-Type"].startswith("text/xml")
    assert len(ET.fromstring(xml).findall("service")) == 39
    status, _, definition = await web_intake.get("/open311/v2/services/buche_stradali.json")
    assert (status, definition) == (200, {"service_code": "buche_stradali", "attributes": []})
    status, _, error = await web_intake.get("/open311/v2/services/nonexistent.json")
    assert status == 404
    assert error == [{"code": 404, "description": "no service has this service_code"}]


async def test_requests_tokens_and_their_errors(web_intake: WebIntake, marker: str) -> None:
    status, _, posted = await web_intake.post(
        "/open311/v2/requests.json",
        data={
            "api_key": web_intake.key,
            "service_code": "lampioni",
            "address_string": "Via Padova 44",
            "description": f"Lampione spento {marker}",
        },
    )
    assert status == 201, posted
    request_id = posted[0]["service_request_id"]
    status, _, [found] = await web_intake.get(f"/open311/v2/requests/{request_id}.json")
    assert status == 200
    assert found["service_request_id"] == request_id
    assert found["status"] == "open"
    assert found["description"] is None  # the citizen's words stay inside
    status, _, listed = await web_intake.get(
        "/open311/v2/requests.json",
        params={"service_request_id": f"{request_id},SP-0000-0000-0000"},
    )
    assert [r["service_request_id"] for r in listed] == [request_id]
    status, _, recent = await web_intake.get("/open311/v2/requests.json?status=open")
    assert status == 200 and request_id in {r["service_request_id"] for r in recent}
    status, _, [token] = await web_intake.get(f"/open311/v2/tokens/{request_id}.json")
    assert token == {"service_request_id": request_id, "token": request_id}

    assert (await web_intake.get("/open311/v2/requests/SP-0000-0000-0000.json"))[0] == 404
    status, _, error = await web_intake.get("/open311/v2/requests.json?status=maybe")
    assert status == 400 and error[0]["code"] == 400
    status, _, error = await web_intake.get("/open311/v2/requests.json?start_date=yesterday")
    assert status == 400
    async with web_intake.session.post(
        web_intake.url + "/open311/v2/requests.json",
        data={"api_key": "wrong", "service_code": "x", "lat": "1", "long": "2"},
    ) as r:
        status, error = r.status, await r.json()
    assert status == 403 and error == [{"code": 403, "description": "the api_key is not valid"}]
    status, _, error = await web_intake.post(
        "/open311/v2/requests.json", data={"api_key": web_intake.key, "description": "where?"}
    )
    assert status == 400
    assert "service_code" in error[0]["description"] and "location" in error[0]["description"]
    status, headers, error = await web_intake.post(
        "/open311/v2/requests.xml", data=b"<xml/>", headers={"Content-Type": "text/xml"}
    )
    assert status == 415 and headers["Content-Type"].startswith("text/xml")
    assert ET.fromstring(error).find("error/code").text == "415"
