"""Benchmark: sustained POST /v1/complaints (validation, idempotency, Kafka acks=all round
trip, receipt in PostgreSQL) beside a do-nothing handler on the same aiohttp app, same
middleware, same process, in the same run.

    .venv/bin/python bench/bench_web.py [--seconds 8] [--connections 32]

The server (`--serve`) and the load generator (`--load`) run as separate processes on
loopback; every run is bounded in time. The load generator is a minimal keep-alive HTTP/1.1
client on raw asyncio streams, cheaper per request than the server it measures. It needs
the local Kafka and PostgreSQL (`make services`); it publishes real complaints.

Read the throughput ratio with the machine's other load in mind: the do-nothing handler
needs both cores (the server's thread and the load generator each keep one busy), while
POST /v1/complaints is bound by the server's one thread, with a core left over for the load
generator, Kafka and PostgreSQL. Other processes on the machine therefore slow the baseline
more than the real handler, and the ratio *rises* on a busy machine (runs beside other work
have shown 29-55% where a quiet run shows about 20%). The ratio of server CPU per request
("noop/it") moves much less with the machine's load.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.procs import cpu_seconds
from bench.harness.report import Row, emit

REPO = Path(__file__).resolve().parents[1]

KEY = "bench-key-0123456789"
# The complaints go to a topic of their own: the same broker round trip (acks=all), without
# feeding thousands of benchmark complaints to the pipeline's workers.
BENCH_TOPIC = "sportello.bench.intake"


def wait_healthy(port: int) -> None:
    """Until the server on `port` answers /healthz (at most about 20 s)."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


def serve(port: int, on_ready: Callable[[], None] | None = None) -> None:
    """The real web intake with one extra route, /bench/noop, on the same app; `on_ready`
    runs in the server's loop once it listens (profile_web.py starts its profiler there)."""
    from aiohttp import web

    from ingestors.web.app import build_app
    from ingestors.web.settings import WebSettings
    from runtime.gctuning import tune_for_serving
    from runtime.publisher import Publisher
    from runtime.shutdown import wait_for_shutdown
    from runtime.topics import declared_topics, ensure_topics
    from schemas import topics

    async def noop(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"tracking_id": "SP-0000-0000-0000"}, status=202)

    async def main() -> None:
        settings = WebSettings(
            web_port=port,
            api_keys={"bench": KEY},
            rate_limit_per_s=1e9,
            rate_limit_burst=1_000_000_000,
            var_dir=Path(os.environ.get("BENCH_VAR", "var")),
        )
        publisher = Publisher(settings.kafka_bootstrap, client_id="bench-web")
        await publisher.start()
        [spec] = [
            s for s in declared_topics([], partitions=6, replication=1) if s.name == topics.INTAKE
        ]
        await ensure_topics(
            settings.kafka_bootstrap,
            [replace(spec, name=BENCH_TOPIC, config={**spec.config, "retention.ms": "600000"})],
        )
        app = build_app(settings, publisher, intake_topic=BENCH_TOPIC)
        app.router.add_post("/bench/noop", noop)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        tune_for_serving()  # as `python -m ingestors.web` does
        if on_ready is not None:
            on_ready()
        await wait_for_shutdown()
        await runner.cleanup()
        await publisher.stop()

    asyncio.run(main())


def _request(path: str, body: bytes, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def _connection(
    port: int,
    path: str,
    keyed: bool,
    deadline: float,
    warm_until: float,
    lane: int,
    out: dict[str, Any],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while (now := time.perf_counter()) < deadline:
            i += 1
            body = json.dumps({"text": f"Buca in viale Monza {lane}-{i}", "channel": "web"})
            extra = f"Idempotency-Key: bench-{os.getpid()}-{lane}-{i}\r\n" if keyed else ""
            writer.write(_request(path, body.encode(), extra))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            done = time.perf_counter()
            out["all"] += 1
            if now >= warm_until:
                out["latencies"].append(done - now)
                out["statuses"][status] = out["statuses"].get(status, 0) + 1
    finally:
        writer.close()


def load(port: int, path: str, seconds: float, connections: int, keyed: bool) -> None:
    """Drive `path` for `seconds` (after a 1 s warm-up) and print the figures as JSON."""
    out: dict[str, Any] = {"latencies": [], "statuses": {}, "all": 0}

    async def main() -> None:
        start = time.perf_counter()
        warm_until = start + 1.0
        deadline = warm_until + seconds
        await asyncio.gather(
            *(
                _connection(port, path, keyed, deadline, warm_until, n, out)
                for n in range(connections)
            )
        )

    asyncio.run(main())
    lat = sorted(out["latencies"])
    print(
        json.dumps(
            {
                "requests": len(lat),
                "rps": len(lat) / seconds,
                "p50_ms": 1000 * statistics.median(lat) if lat else None,
                "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else None,
                "statuses": out["statuses"],
                "all_requests": out["all"],
            }
        )
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_load(port: int, path: str, seconds: float, connections: int, keyed: bool) -> Any:
    args = [sys.executable, __file__, "--load", str(port), path, str(seconds), str(connections)]
    if keyed:
        args.append("--keyed")
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int)
    parser.add_argument("--load", nargs=4)
    parser.add_argument("--keyed", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.load:
        port, path, seconds, connections = args.load
        load(int(port), path, float(seconds), int(connections), args.keyed)
        return

    port = _free_port()
    env = dict(os.environ, SPORTELLO_LOG_LEVEL="WARNING", BENCH_VAR="/tmp/sportello-bench-var")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env)
    runs = [
        ("do-nothing handler", "/bench/noop", False),
        ("POST /v1/complaints", "/v1/complaints", False),
        ("  with Idempotency-Key", "/v1/complaints", True),
    ]
    results: dict[str, list[Any]] = {name: [] for name, _, _ in runs}
    try:
        wait_healthy(port)
        # Interleaved rounds, so that a change in the machine's load hits every run alike,
        # each round in another order, so that no run always comes first after the start
        # or right after the keyed run's writes (PostgreSQL and Kafka still busy with them).
        for n in range(args.rounds):
            for name, path, keyed in runs[n % len(runs) :] + runs[: n % len(runs)]:
                cpu = cpu_seconds(server.pid)
                r = _run_load(port, path, args.seconds, args.connections, keyed)
                r["cpu_us"] = 1e6 * (cpu_seconds(server.pid) - cpu) / max(1, r["all_requests"])
                results[name].append(r)
    finally:
        server.terminate()
        server.wait(timeout=30)
        asyncio.run(_forget_bench_receipts())

    def med(name: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[name]))

    base = med("do-nothing handler", "rps")
    base_cpu = med("do-nothing handler", "cpu_us")
    print(
        f"\n{args.connections} connections, {args.rounds} interleaved rounds of "
        f"{args.seconds:g} s, loopback, {os.cpu_count()} CPUs shared by server, load "
        "generator, Kafka and PostgreSQL; medians of the rounds\n"
    )
    print(
        f"{'':24} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'vs noop':>8} "
        f"{'server CPU/req':>15} {'noop/it':>8}"
    )
    for name, rs in results.items():
        rps = med(name, "rps")
        cpu = med(name, "cpu_us")
        statuses: dict[str, int] = {}
        for r in rs:
            for code, n in r["statuses"].items():
                statuses[code] = statuses.get(code, 0) + n
        print(
            f"{name:24} {rps:7.0f} {med(name, 'p50_ms'):7.2f} {med(name, 'p99_ms'):7.2f} "
            f"{rps / base:8.0%} {cpu:12.0f} µs {base_cpu / cpu:8.0%}  {statuses}"
        )
    print(
        "\nvs noop: throughput against the do-nothing handler in the same rounds; noop/it: "
        "the same in server CPU per request, which the machine's other load disturbs less."
    )
    emit(
        Row("web", name.strip(), f"{med(name, 'rps'):,.0f} req/s, p99 {med(name, 'p99_ms'):.0f} ms",
            f"do-nothing handler {base:,.0f} req/s", med(name, "rps") / base, "≥ 50%")
        for name in results if name != "do-nothing handler"
    )  # fmt: skip


async def _forget_bench_receipts() -> None:
    import asyncpg

    from runtime.settings import CommonSettings

    conn = await asyncpg.connect(CommonSettings().pg_dsn.get_secret_value())
    try:
        await conn.execute("delete from web_intake_receipts where client_id = 'bench'")
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
