"""What one reading of the dashboard costs, beside what the metrics stream's own work costs.

    .venv/bin/python bench/bench_dashboard.py [--dsn postgresql://…] [--rounds 20]

Read-only, against a store that exists (by default the local one, `SPORTELLO_PG_DSN`). One
dashboard reading (`read_overview`: the minute window and seven day windows in one snapshot)
beside the baseline of one day window (`compute_figures`), which every sink computes at
each metrics round anyway; and rendering the page from it. The dashboard reads the store once
per `SPORTELLO_DASHBOARD_REFRESH_S` (15 s) per web process, however many people watch.
"""

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingestors.web.dashboard_page import dashboard_page  # noqa: E402
from ingestors.web.dashboard_sections import Names  # noqa: E402
from runtime.settings import CommonSettings  # noqa: E402
from schemas.metrics import WindowSize  # noqa: E402
from sinks.postgres.figures import compute_figures  # noqa: E402
from sinks.postgres.overview import read_overview  # noqa: E402
from sinks.postgres.windows import window_at  # noqa: E402

TZ = "Europe/Rome"


async def main(dsn: str, rounds: int) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        counts = await pool.fetchrow(
            "select (select count(*) from submissions) as s, (select count(*) from cases) as c,"
            " (select count(*) from case_versions) as v, (select count(*) from case_events) as e"
        )
        print(
            f"store: {counts['s']} submissions, {counts['c']} cases, {counts['v']} versions,"
            f" {counts['e']} events"
        )
        now = datetime.now(UTC)
        day = window_at(WindowSize.DAY, now, ZoneInfo(TZ))
        base, full, render = [], [], []
        for _ in range(rounds):
            t = time.perf_counter()
            async with pool.acquire() as conn:
                await compute_figures(conn, day, TZ)
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            overview = await read_overview(pool, now, timezone=TZ)
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            html = dashboard_page(overview, Names())
            render.append(time.perf_counter() - t)
        b, f, r = (statistics.median(x) * 1000 for x in (base, full, render))
        print(f"one day window (baseline): median {b:.1f} ms")
        print(f"dashboard reading, 8 windows: median {f:.1f} ms ({f / b:.1f}x the baseline)")
        print(f"rendering the page: median {r:.2f} ms, {len(html)} bytes")
    finally:
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", default=CommonSettings().pg_dsn.get_secret_value())
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.dsn, args.rounds))
