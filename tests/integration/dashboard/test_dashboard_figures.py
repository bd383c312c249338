"""The dashboard's figures equal the metrics stream's for the same periods, after a known batch
of complaints: on the page as loaded, in its JSON, and in its live updates, which follow the
store as it changes. No personal data reaches it."""

import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from sinks.postgres.overview import Overview, period_totals
from tests.integration.dashboard.batch import (
    Clock,
    MetricsStream,
    dashboard_running,
    load_batch,
    next_event,
    personal_data,
    store_extra,
)
from tests.integration.record.histories import Request
from tests.unit.dashboard.pages import assert_shows, expected, shown

pytestmark = pytest.mark.integration


async def test_the_page_shows_the_metrics_of_its_periods_and_follows_the_store(
    store: asyncpg.Pool, requests_311: list[Request], kafka_bootstrap: str, tmp_path: Path
) -> None:
    batch = await load_batch(store, requests_311)
    stream = MetricsStream(store)
    now, days = await stream.figures(batch.at)
    assert days[-1].received > 400 and days[-1].dead_letters > 5, "a busy day"
    assert now.open_backlog > 100 and now.triage_queue > 10
    want = expected(now, days)

    async with (
        dashboard_running(
            store, Clock(batch.at), bootstrap=kafka_bootstrap, var_dir=tmp_path
        ) as url,
        aiohttp.ClientSession() as http,
    ):
        async with http.get(url + "/dashboard") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/html")
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
            page = await r.text()
        assert_shows(page, want)
        assert not [s for s in personal_data(batch) if s in page]

        async with http.get(url + "/dashboard/figures.json") as r:
            overview = Overview.model_validate_json(await r.read())
        assert overview.now == now
        assert overview.today == days[-1]
        assert list(overview.days) == days
        assert overview.week == period_totals(days)

        for name in ("dashboard.css", "dashboard.js"):
            async with http.get(f"{url}/dashboard/static/{name}") as r:
                assert r.status == 200 and len(await r.read()) > 500
        async with http.get(url + "/dashboard/static/..%2Fapp.py") as r:
            assert r.status == 404

        async with http.get(url + "/dashboard/events") as events:
            assert events.headers["Content-Type"].startswith("text/event-stream")
            name, data = await next_event(events)
            assert name == "figures"
            first = json.loads(data)
            assert first["at"] == batch.at.isoformat()
            assert shown(first["html"]) == shown(page)

            # A complaint reaches the store: the open page is told, without a reload.
            await store_extra(store, batch)
            channel = batch.extra.published[0][1].data.channel.value
            for _ in range(50):
                name, data = await next_event(events)
                later = shown(json.loads(data)["html"])
                if later["today.received"] != shown(page)["today.received"]:
                    break
            else:
                raise AssertionError("no update showed the new complaint")
    before = shown(page)
    assert int(later["today.received"]) == int(before["today.received"]) + 1
    key = f"today.received_by_channel.{channel}"
    assert int(later[key]) == int(before.get(key, "0")) + 1
    assert int(later["week.received"]) == int(before["week.received"]) + 1
    # ...and the page still equals the stream, now that the stream has the new complaint too.
    now, days = await stream.figures(batch.at)
    assert_shows(json.loads(data)["html"], expected(now, days))


async def test_without_the_store_the_page_says_so(kafka_bootstrap: str, tmp_path: Path) -> None:
    # A pool towards a port where nothing listens.
    pool = asyncpg.create_pool("postgresql://x:y@127.0.0.1:9/none", min_size=0)
    await pool
    try:
        async with (
            dashboard_running(
                pool, Clock(datetime.now(UTC)), bootstrap=kafka_bootstrap, var_dir=tmp_path
            ) as url,
            aiohttp.ClientSession() as http,
        ):
            async with http.get(url + "/dashboard") as r:
                assert r.status == 503
                assert "Retry-After" in r.headers
                text = await r.text()
            assert "database" in text and shown(text) == {}
            async with http.get(url + "/dashboard/figures.json") as r:
                assert r.status == 503
                assert r.headers["Content-Type"] == "application/problem+json"
            async with http.get(url + "/dashboard/events") as events:
                name, _ = await next_event(events)
                assert name == "unavailable"
    finally:
        await pool.close()
