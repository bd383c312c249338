"""Every refusal is an RFC 9457 problem with the right status, and publishes nothing."""

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ingestors.web.auth import CLIENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.integration.web.conftest import (
    PROBLEM,
    WebIntake,
    black_hole,
    intake_start,
    settle_then_count,
    web_intake_running,
)

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def assert_problem(status: int, headers: dict[str, str], body: Any, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"].startswith(PROBLEM)
    assert body["status"] == expected
    assert body["title"] and body["detail"]
    assert "Traceback" not in str(body)


def multipart(complaint: bytes, files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("complaint", complaint.decode(), content_type="application/json")
    for name, content in files:
        form.add_field("attachments", content, filename=name, content_type="image/png")
    return form


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b'{"text": "unfinished', "headers": JSON}, 400),
        ({"json": {"text": "ok"}, "headers": {"Idempotency-Key": "x" * 300}}, 400),
        ({"json": {"channel": "web"}}, 422),
        ({"json": {"text": "   "}}, 422),
        ({"json": {"text": "x", "channel": "carrier pigeon"}}, 422),
        ({"json": {"text": "x", "unknown": 1}}, 422),
        ({"json": ["not", "an", "object"]}, 422),
        ({"json": {"text": "x", "citizen": {"email": "not an address"}}}, 422),
        ({"data": b"text=hello", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"data": b"text=hello"}, 415),  # no Content-Type at all
        ({"json": {"text": "x" * 70_000}}, 413),
        ({"json": {"text": "ok"}, "headers": {"Authorization": "Bearer wrong"}}, 401),
        ({"json": {"text": "ok"}, "headers": {"Authorization": ""}}, 401),
        ({"json": {"text": "ok"}, "headers": {"Authorization": "Basic c3BvcnRlbGxv"}}, 401),
    ],
)
async def test_bad_requests_get_problem_details(
    web_intake: WebIntake, kwargs: dict[str, Any], status: int
) -> None:
    assert_problem(*await web_intake.post("/v1/complaints", **kwargs), status)


async def test_field_errors_point_into_the_body(web_intake: WebIntake) -> None:
    _, _, body = await web_intake.post(
        "/v1/complaints",
        json={"text": "ok", "location": {"coordinates": {"lat": 200, "lon": 0}}},
    )
    assert body["errors"][0]["pointer"] == "/location/coordinates/lat"
    _, _, body = await web_intake.post(
        "/v1/complaints", data=multipart(b'{"text": "ok", "language": "Italiano"}', [])
    )
    assert body["errors"][0]["pointer"] == "/complaint/language"


async def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(
    web_intake: WebIntake,
) -> None:
    async def chunks() -> Any:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1024

    status, headers, body = await web_intake.post("/v1/complaints", data=chunks(), headers=JSON)
    assert_problem(status, headers, body, 413)


@pytest.mark.parametrize(
    ("files", "what"),
    [
        ([("big.png", b"\x89PNG" + b"\0" * 120_000)], "an attachment over its limit"),
        ([(f"{i}.png", b"\x89PNG" + b"\0" * 90_000) for i in range(3)], "an upload over its limit"),
    ],
)
async def test_uploads_over_the_limits_are_413(
    web_intake: WebIntake, files: list[tuple[str, bytes]], what: str
) -> None:
    status, headers, body = await web_intake.post(
        "/v1/complaints", data=multipart(b'{"text": "foto"}', files)
    )
    assert_problem(status, headers, body, 413)


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary at all",
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",  # no Content-Disposition
        b"--b\r\nContent-Disposition: form-data; name=complaint\r\n\r\n{}",  # never closed
    ],
)
async def test_unreadable_multipart_is_400(web_intake: WebIntake, body: bytes) -> None:
    status, headers, problem = await web_intake.post(
        "/v1/complaints", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert_problem(status, headers, problem, 400)


async def test_more_attachments_than_allowed_is_a_field_error(web_intake: WebIntake) -> None:
    files = [(f"{i}.png", b"\x89PNG") for i in range(3)]
    status, headers, body = await web_intake.post(
        "/v1/complaints", data=multipart(b'{"text": "foto"}', files)
    )
    assert_problem(status, headers, body, 422)
    assert body["errors"][0]["pointer"] == "/attachments"


async def test_a_multipart_body_needs_its_complaint_part(web_intake: WebIntake) -> None:
    form = aiohttp.FormData()
    form.add_field("attachments", b"x", filename="a.txt")
    form.add_field("surprise", b"y", filename="b.txt")
    status, headers, body = await web_intake.post("/v1/complaints", data=form)
    assert_problem(status, headers, body, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/complaint", "/surprise"}


async def test_unknown_routes_and_methods(web_intake: WebIntake) -> None:
    status, headers, body = await web_intake.get("/no/such/thing")
    assert_problem(status, headers, body, 404)
    status, headers, body = await web_intake.get("/v1/complaints/SP-0000-0000-0000")
    assert_problem(status, headers, body, 404)
    status, headers, body = await web_intake.get("/v1/complaints/not-a-number")
    assert_problem(status, headers, body, 404)
    async with web_intake.session.delete(web_intake.url + "/v1/complaints") as r:
        assert r.status == 405
        assert r.headers["Content-Type"].startswith(PROBLEM)
        assert "POST" in r.headers["Allow"]


async def test_signed_requests_must_match_and_be_fresh(web_intake: WebIntake) -> None:
    now = str(int(time.time()))
    cases = [
        {CLIENT_HEADER: "development", TIMESTAMP_HEADER: now, SIGNATURE_HEADER: "sha256=00"},
        {CLIENT_HEADER: "development", TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "x"},
        {CLIENT_HEADER: "nobody", TIMESTAMP_HEADER: now, SIGNATURE_HEADER: "sha256=00"},
    ]
    for headers in cases:
        async with web_intake.session.post(
            web_intake.url + "/v1/complaints", json={"text": "ok"}, headers=headers
        ) as r:
            assert r.status == 401
            assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_rate_limits_are_per_client_with_retry_after(kafka_bootstrap: str) -> None:
    keys = {"client-a": "key-a-0123456789", "client-b": "key-b-0123456789"}
    async with web_intake_running(
        kafka_bootstrap,
        api_keys=keys,
        rate_limit_per_s=0.01,
        rate_limit_burst=2,
        key=keys["client-a"],
    ) as intake:
        # The limit is checked before the body is read: invalid bodies spend tokens too.
        statuses = [(await intake.post("/v1/complaints", json={}))[0] for _ in range(3)]
        assert statuses == [422, 422, 429]
        status, headers, body = await intake.post("/v1/complaints", json={})
        assert_problem(status, headers, body, 429)
        assert int(headers["Retry-After"]) >= 1
        intake.key = keys["client-b"]
        assert (await intake.post("/v1/complaints", json={}))[0] == 422


async def test_broker_unavailable_is_503_with_retry_after(
    kafka_bootstrap: str, marker: str
) -> None:
    server, address = await black_hole()
    try:
        async with web_intake_running(address, publish_timeout_s=0.5, retry_after_s=9) as intake:
            status, headers, body = await intake.post(
                "/v1/complaints", json={"text": f"never stored {marker}"}
            )
            assert_problem(status, headers, body, 503)
            assert headers["Retry-After"] == "9"
            assert "tracking_id" not in body
    finally:
        server.close()


async def test_database_unavailable_refuses_keyed_requests_only(
    kafka_bootstrap: str, marker: str
) -> None:
    server, address = await black_hole()
    host, port = address.split(":")
    dsn = f"postgresql://sportello:sportello@{host}:{port}/sportello"
    start = await intake_start(kafka_bootstrap)
    try:
        async with web_intake_running(
            kafka_bootstrap, pg_dsn=dsn, retry_after_s=4, store_timeout_s=0.5
        ) as intake:
            status, headers, body = await intake.post(
                "/v1/complaints",
                json={"text": f"keyed {marker}"},
                headers={"Idempotency-Key": marker},
            )
            assert_problem(status, headers, body, 503)
            assert headers["Retry-After"] == "4"
            # Without a key there is nothing to check first: Kafka's ack is enough.
            status, _, body = await intake.post(
                "/v1/complaints", json={"text": f"sentinel {marker}"}
            )
            assert status == 202, body
            assert (await intake.get(f"/v1/complaints/{body['tracking_id']}"))[0] == 503
    finally:
        server.close()
    found = await settle_then_count(kafka_bootstrap, start, marker, f"sentinel {marker}")
    assert [s.data.text for s in found] == [f"sentinel {marker}"]


async def test_refused_complaints_publish_nothing(
    web_intake: WebIntake, kafka_bootstrap: str, marker: str
) -> None:
    start = await intake_start(kafka_bootstrap)
    bad: list[dict[str, Any]] = [
        {"json": {"text": marker, "channel": "telegraph"}},
        {"json": {"text": marker}, "headers": {"Authorization": "Bearer nope"}},
        {"data": f'{{"text": "{marker}"'.encode(), "headers": JSON},
        {"data": f"text={marker}".encode(), "headers": {"Content-Type": "text/plain"}},
        {"data": multipart(f'{{"text": "{marker}"}}'.encode(), [("a", b"1")] * 3)},
    ]
    for kwargs in bad:
        status, _, _ = await web_intake.post("/v1/complaints", **kwargs)
        assert 400 <= status < 500
    sentinel = f"sentinel {marker}"
    status, _, _ = await web_intake.post("/v1/complaints", json={"text": sentinel})
    assert status == 202
    found = await settle_then_count(kafka_bootstrap, start, marker, sentinel)
    assert [s.data.text for s in found] == [sentinel]


async def test_no_garbage_gets_a_server_error(web_intake: WebIntake, blob_root: Path) -> None:
    """Random bytes under every media type and to every door: never a 5xx."""
    rng = random.Random(3)
    doors = ["/v1/complaints", "/open311/v2/requests.json", "/open311/v2/requests.xml", "/"]
    types = [
        "application/json",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/json; charset=latin-1",
    ]
    seeds = [b'{"text": "a"}', b"--xyz\r\n", b"a=b&attribute[x]=1", b"\xff\xfe", b"[]", b"{}"]

    async def one(i: int) -> int:
        body = rng.choice(seeds) + bytes(rng.getrandbits(8) for _ in range(rng.randrange(64)))
        status, _, _ = await web_intake.post(
            rng.choice(doors), data=body, headers={"Content-Type": rng.choice(types)}
        )
        return status

    statuses = await asyncio.gather(*(one(i) for i in range(120)))
    assert all(s < 500 for s in statuses), statuses
