"""Where the web intake's CPU goes under load: the server of bench_web.py under cProfile.

    .venv/bin/python bench/profile_web.py [--path /v1/complaints] [--seconds 8] [--keyed]

Starts the same server as `bench_web.py --serve` in this process with cProfile on, drives
`--path` from a separate load process (bench_web.py --load), profiling from the moment the
server listens (start-up excluded), and prints the functions with
the most own CPU time and the most CPU time below them, in microseconds per request.
cProfile's own overhead inflates small Python functions; compare runs with each other, not
with the benchmark's figures. Needs the local Kafka and PostgreSQL, like the benchmark.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_web  # noqa: E402


def _drive(port: int, args: argparse.Namespace, out: dict[str, object]) -> None:
    bench_web.wait_healthy(port)
    load = [sys.executable, bench_web.__file__, "--load", str(port), args.path]
    load += [str(args.seconds), str(args.connections)] + (["--keyed"] if args.keyed else [])
    done = subprocess.run(load, capture_output=True, text=True, timeout=args.seconds + 60)
    out["load"] = json.loads(done.stdout.strip().splitlines()[-1])
    os.kill(os.getpid(), 15)  # wait_for_shutdown ends the server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/v1/complaints")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--keyed", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--callers", help="also print the callers of functions matching this")
    args = parser.parse_args()
    os.environ.setdefault("BENCH_VAR", "/tmp/sportello-bench-var")
    port = bench_web._free_port()
    out: dict[str, object] = {}
    threading.Thread(target=_drive, args=(port, args, out), daemon=True).start()
    # CPU time of this thread, not wall time: on a shared machine a preempted call would
    # otherwise be charged for the other processes' time.
    profiler = cProfile.Profile(time.thread_time)
    try:
        bench_web.serve(port, on_ready=profiler.enable)
    finally:
        profiler.disable()
        asyncio.run(bench_web._forget_bench_receipts())
    if args.callers:
        pstats.Stats(profiler).sort_stats("tottime").print_callers(args.callers)
    load = out["load"]
    assert isinstance(load, dict)
    per = 1e6 / max(1, int(load["all_requests"]))
    print(json.dumps(load))
    for order in ("tottime", "cumtime"):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats(order).print_stats(args.top)
        print(f"\n--- by {order}, µs per request ({load['all_requests']} requests)")
        for line in text.getvalue().splitlines():
            cols = line.split(None, 5)
            if len(cols) == 6 and cols[0].replace("/", "").isdigit() and cols[1] != "function":
                ncalls, tot, _, cum, _, where = cols
                where = where.replace(str(REPO) + "/", "").split("site-packages/")[-1]
                calls = int(ncalls.split("/")[0]) * per / 1e6
                print(
                    f"{float(tot) * per:8.1f} own {float(cum) * per:8.1f} cum "
                    f"{calls:6.2f} calls/req  {where}"
                )


if __name__ == "__main__":
    main()
