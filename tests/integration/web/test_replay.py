"""A signed request is accepted once: the same signature again is a 401 problem, unless it is
a retry with the same Idempotency-Key (answered as before) or its first use was refused."""

import json
import time
from typing import Any

import aiohttp
import pytest

from ingestors.web.auth import CLIENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.integration.web.conftest import (
    PROBLEM,
    intake_start,
    settle_then_count,
    web_intake_running,
)

pytestmark = pytest.mark.integration

KEY = "replay-signing-key-0123456789"


def signed(body: bytes, *, key: str | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        CLIENT_HEADER: "portale",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(KEY.encode(), timestamp, "POST", "/v1/complaints", body),
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    async with session.post(url + "/v1/complaints", data=body, headers=headers) as r:
        return r.status, dict(r.headers), await r.json(content_type=None)


async def test_a_replayed_signature_is_refused_and_publishes_nothing(
    kafka_bootstrap: str, marker: str
) -> None:
    start = await intake_start(kafka_bootstrap)
    async with web_intake_running(kafka_bootstrap, api_keys={"portale": KEY}) as intake:
        session, url = intake.session, intake.url

        # Without a key: the first is accepted, the very same request again is refused.
        body = json.dumps({"text": f"Firmato una volta {marker}"}).encode()
        headers = signed(body)
        first = await post(session, url, body, headers)
        assert first[0] == 202, first
        again = await post(session, url, body, headers)
        assert again[0] == 401
        assert again[1]["Content-Type"].startswith(PROBLEM)
        assert "replay" in again[2]["detail"]

        # With a key: the client's retry gets the first answer; another key is a replay.
        body = json.dumps({"text": f"Firmato con chiave {marker}"}).encode()
        headers = signed(body, key=f"k-{marker}")
        keyed = await post(session, url, body, headers)
        assert keyed[0] == 202, keyed
        retry = await post(session, url, body, headers)
        assert retry[0] == 202
        assert retry[1]["Idempotent-Replayed"] == "true"
        assert retry[2] == keyed[2]
        other_key = await post(session, url, body, {**headers, "Idempotency-Key": f"x-{marker}"})
        assert other_key[0] == 401
        no_key = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
        assert (await post(session, url, body, no_key))[0] == 401

        # A request refused for what it says changed nothing: sent again it gets the same
        # refusal, not a 401.
        invalid = json.dumps({"text": f"Firmato {marker}", "channel": "piccione"}).encode()
        headers = signed(invalid)
        assert (await post(session, url, invalid, headers))[0] == 422
        assert (await post(session, url, invalid, headers))[0] == 422

        sentinel = f"sentinel-{marker}"
        body = json.dumps({"text": f"Fine {sentinel}"}).encode()
        assert (await post(session, url, body, signed(body)))[0] == 202

    found = await settle_then_count(kafka_bootstrap, start, marker, sentinel)
    texts = sorted(s.data.text for s in found if sentinel not in s.data.text)
    assert texts == [f"Firmato con chiave {marker}", f"Firmato una volta {marker}"]
