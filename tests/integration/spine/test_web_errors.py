"""Every refusal is an RFC 9457 problem, and a refused complaint publishes nothing."""

import uuid

import pytest

from schemas import SubmissionReceived, decode_event, topics
from tests.integration.spine.conftest import WebIntake
from tests.support import end_offsets, read_until

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b'{"text": "unfinished', "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": {"channel": "web"}}, 422),
        ({"json": {"text": "   "}}, 422),
        ({"json": {"text": "x", "channel": "carrier pigeon"}}, 422),
        ({"json": {"text": "x", "unknown": 1}}, 422),
        ({"json": ["not", "an", "object"]}, 422),
        ({"data": b"text=hello", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"json": {"text": "x" * 70_000}}, 413),
        ({"json": {"text": "ok"}, "headers": {"Authorization": "Bearer wrong"}}, 401),
        ({"json": {"text": "ok"}, "headers": {"Authorization": ""}}, 401),
    ],
)
async def test_bad_requests_get_problem_details(
    web_intake: WebIntake,
    kwargs: dict,
    status: int,  # type: ignore[type-arg]
) -> None:
    got, headers, body = await web_intake.post("/v1/complaints", **kwargs)
    assert got == status, body
    assert headers["Content-Type"].startswith(PROBLEM)
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in str(body)


async def test_field_errors_point_into_the_body(web_intake: WebIntake) -> None:
    _, _, body = await web_intake.post(
        "/v1/complaints", json={"text": "ok", "location": {"coordinates": {"lat": 200, "lon": 0}}}
    )
    assert body["errors"][0]["pointer"] == "/location/coordinates/lat"


async def test_unknown_routes_are_404_problems(web_intake: WebIntake) -> None:
    async with web_intake.session.get(web_intake.url + "/no/such/thing") as r:
        assert r.status == 404
        assert r.headers["Content-Type"].startswith(PROBLEM)


async def test_refused_complaints_publish_nothing(
    web_intake: WebIntake, kafka_bootstrap: str
) -> None:
    marker = uuid.uuid4().hex
    start = await end_offsets(kafka_bootstrap, topics.INTAKE)
    bad = [
        {"json": {"text": f"{marker}", "channel": "telegraph"}},
        {"json": {"text": f"{marker}"}, "headers": {"Authorization": "Bearer nope"}},
        {"data": f'{{"text": "{marker}"'.encode(), "headers": {"Content-Type": "application/json"}},
    ]
    for kwargs in bad:
        status, _, _ = await web_intake.post("/v1/complaints", **kwargs)
        assert 400 <= status < 500
    sentinel = f"sentinel {marker}"
    status, _, _ = await web_intake.post("/v1/complaints", json={"text": sentinel})
    assert status == 202

    def texts(rs: list) -> list[str]:  # type: ignore[type-arg]
        out = []
        for r in rs:
            event = decode_event(r.value)
            if isinstance(event, SubmissionReceived) and marker in event.data.text:
                out.append(event.data.text)
        return out

    records = await read_until(kafka_bootstrap, start, lambda rs: sentinel in texts(rs))
    assert texts(records) == [sentinel]
