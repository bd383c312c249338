"""`make faults`: Sportello under a steady load on a private Kafka broker and PostgreSQL
cluster (never the shared ones: they are killed here), through five faults one at a time;
after each, zero accepted complaints lost, zero duplicate cases or rows, every SLA alert
once, and the time to recover. Prints a table of the faults survived.

    .venv/bin/python -m bench.faults [--only worker,broker,postgres,intake,scale]
        [--rate 5] [--before-s 15] [--after-s 30] [--outage-s 10] [--clock-rate 1000]

Environment: FAULTS_ONLY, FAULTS_RATE, FAULTS_CLOCK_RATE give the same. The services run
under `sportello run` (web, smtp, worker, sink) plus a second supervised worker, as an
operator would scale out; the workers' SLA clock runs `--clock-rate` times faster, so SLA
deadlines pass while the faults happen. Writes `<out>/faults.json` and `<out>/faults.md`
and the services' logs under `<out>/logs/`; exits 1 if a fault was not survived.
Everything started is stopped at the end, on failure or Ctrl-C too.
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.faults.scenarios import FAULTS
from bench.faults.suite import Suite, Timing
from bench.harness.observe import stored
from bench.harness.procs import Processes
from bench.harness.report import FaultResult, fault_table
from bench.harness.stack import Pipeline, PrivateStack
from processors.sla.clock import ScaledClock

REPO = Path(__file__).resolve().parents[2]


def parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "var" / "faults")
    p.add_argument("--only", default=env("FAULTS_ONLY", ",".join(FAULTS)))
    p.add_argument("--rate", type=float, default=float(env("FAULTS_RATE", "5")))
    p.add_argument("--before-s", type=float, default=15.0)
    p.add_argument("--after-s", type=float, default=30.0)
    p.add_argument("--outage-s", type=float, default=10.0)
    p.add_argument("--drain-s", type=float, default=150.0)
    p.add_argument("--clock-rate", type=float, default=float(env("FAULTS_CLOCK_RATE", "1000")))
    p.add_argument("--workers", type=int, default=2)
    return p


def write(out: Path, text: str, results: list[FaultResult]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "faults.md").write_text(text)
    (out / "faults.json").write_text(
        json.dumps([asdict(r) for r in results], indent=1, default=str)
    )


async def later(result: FaultResult, dsn: str) -> FaultResult:
    """`result`, noting how many of the submissions it lost were stored by the end of the
    suite (a later rebalance read them after all): lost at its check, still."""
    if result.verdict is None or not result.verdict.lost:
        return result
    found = await stored(dsn, list(result.verdict.lost))
    arrived = {t for tracking_ids in found.cases.values() for t in tracking_ids}
    late = len(arrived & set(result.verdict.lost))
    note = f"{result.note}; {late} of the {len(result.verdict.lost)} lost stored by the end"
    return replace(result, note=note.lstrip("; "))


def alive(pipeline: Pipeline) -> str:
    """Which supervised services are not running now (empty when all are)."""
    running = pipeline.service_pids()
    wanted = ["web", "smtp", "worker", "sink", *(s.name for s in pipeline.extra)]
    return ", ".join(w for w in wanted if w not in running)


async def main() -> int:
    args = parser().parse_args()
    keys = [k for k in args.only.split(",") if k]
    unknown = [k for k in keys if k not in FAULTS]
    if unknown:
        print(f"unknown faults {unknown}; known: {', '.join(FAULTS)}", file=sys.stderr)
        return 2
    out: Path = args.out
    shutil.rmtree(out / "logs", ignore_errors=True)
    started = datetime.now(UTC)
    timing = Timing(args.rate, args.before_s, args.after_s, args.outage_s, args.drain_s)
    results: list[FaultResult] = []
    with Processes(out / "logs") as procs:
        stack = PrivateStack(procs, out / "run")
        pipeline: Pipeline | None = None
        try:
            print("starting a private Kafka broker and PostgreSQL cluster…", flush=True)
            await stack.start()
            origin = datetime.now(UTC)
            pipeline = Pipeline(
                stack.bootstrap, stack.dsn, out / "run", procs,
                f"faults-{uuid.uuid4().hex[:8]}", clock_rate=args.clock_rate,
                clock_origin=origin.isoformat(), tick_s=1.0,
            )  # fmt: skip
            print(f"broker {stack.bootstrap}, PostgreSQL {stack.dsn}; starting the services "
                  f"({args.workers} workers, SLA clock x{args.clock_rate:g})")  # fmt: skip
            await pipeline.start(workers=args.workers)
            suite = Suite(stack, pipeline, ScaledClock(args.clock_rate, origin), args.clock_rate,
                          timing)  # fmt: skip
            for key in keys:
                name, fault = FAULTS[key]
                print(f"\n=== {name} (load {args.rate:g}/s)", flush=True)
                t = time.monotonic()
                result = await suite.run(name, fault)
                down = alive(pipeline)
                if down:
                    note = f"{result.note}; not running after it: {down}".lstrip("; ")
                    result = replace(result, note=note)
                results.append(result)
                print(f"    → {result.result()} ({time.monotonic() - t:.0f} s)", flush=True)
            results = [await later(r, stack.dsn) for r in results]
        finally:
            if pipeline is not None:
                await pipeline.stop()
            await stack.close()
            shutil.rmtree(out / "run", ignore_errors=True)
    table = fault_table(results)
    notes = "".join(f"- {r.fault}: {r.note}\n" for r in results if r.note)
    survived = sum(r.survived for r in results)
    text = (
        f"# Sportello faults, {started:%Y-%m-%d %H:%M} UTC\n\n"
        f"{os.cpu_count()} CPUs shared with other jobs (load average {os.getloadavg()[0]:.1f} "
        f"at the end); steady load {args.rate:g} submissions/s (70% web, 30% e-mail), "
        f"{args.workers} workers, SLA clock x{args.clock_rate:g}.\n\n{table}\n\n"
        f"{survived} of {len(results)} faults survived.\n" + (f"\n{notes}" if notes else "")
    )
    write(out, text, results)
    print("\n" + text)
    return 0 if survived == len(results) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
