"""End to end: ~1 KB complaints through the whole pipeline (web and SMTP intakes → Kafka →
worker → Kafka → sink → PostgreSQL), open loop at 25/50/75/100% of its measured maximum,
beside a bare aiokafka produce→consume loop and a bare consume→parse→produce loop run
before and after it in the same invocation.

    .venv/bin/python -m bench.bench_pipeline [--bootstrap HOST:PORT --dsn DSN]
        [--fractions 25,50,75,100 | --rates 30,45,60] [--burst 1500] [--step-s 30]
        [--warm-up-s 5] [--soak-s 0]

Without `--bootstrap`/`--dsn` it starts a private broker and PostgreSQL cluster of its own
(never the shared ones); with them, they must be private too. The services run under
`sportello run` with an app id of their own.

1. Maximum: a burst of `--burst` submissions sent faster than the pipeline takes them; the
   rate at which the middle 80% of them were routed and stored.
2. Steps: each fraction of that maximum for `--step-s` seconds, open loop; the first
   `--warm-up-s` are not measured. Reported: the rate routed in the window, the backlog
   when sending stopped, and ingest→routed and ingest→database latency p50/p99/p99.9
   (ingest: the intake's timestamp in the event's envelope; see `harness/observe.py`).
   Sustained throughput is the highest step whose lag stayed under `--max-lag-s`.
3. Soak (`--soak-s` > 0): half the sustained rate for that long, every service's resident
   memory sampled every `--sample-s`; growth after the first fifth, and Faust's
   stalled-consumer warnings.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_sorting import bare_loop, city_mix, publish
from bench.bench_sorting import end_offsets as intake_offsets
from bench.harness import stats
from bench.harness.procs import Processes
from bench.harness.report import Row, emit
from bench.harness.stack import Pipeline, PrivateStack
from bench.harness.steps import Soak, StepResult, maximum, soak, step
from bench.kafka_baselines import aiokafka_loop, fresh_topic
from schemas import topics


async def bare(bootstrap: str, records: int, submissions: int) -> tuple[float, float]:
    """(records/s of the bare aiokafka produce→consume loop on 1 KB records, submissions/s
    of the bare consume→parse→produce loop of `bench_sorting`)."""
    loop = await aiokafka_loop(bootstrap, await fresh_topic(bootstrap, "loop"), records, 1024)
    tag = uuid.uuid4().hex[:10]
    start = await intake_offsets(bootstrap, topics.INTAKE)
    await publish(bootstrap, city_mix(submissions, tag))
    seconds = await bare_loop(bootstrap, start, submissions)
    return loop, submissions / seconds


def describe(s: StepResult) -> str:
    parts = [
        f"routed {s.routed_per_s:,.1f}/s, stored {s.stored_per_s:,.1f}/s",
        f"backlog at end {s.backlog_at_end}" + ("" if s.drained else " (did not drain)"),
    ]
    if s.to_routed:
        parts.append(f"ingest→routed {s.to_routed.text()}")
    if s.to_database:
        parts.append(f"ingest→database {s.to_database.text()}")
    return "; ".join(parts)


def cell(s: StepResult) -> str:
    """A step in a table cell: rate, backlog, latencies p50/p99/p99.9."""
    parts = [f"routed {s.routed_per_s:,.1f}/s, backlog {s.backlog_at_end}"]
    if not s.drained:
        parts[0] += " (not drained)"
    if s.to_routed:
        parts.append(f"ingest→routed {s.to_routed.short()}")
    if s.to_database:
        parts.append(f"→database {s.to_database.short()} (n={s.to_database.count})")
    return "; ".join(parts)


def step_rows(steps: list[tuple[float, StepResult]], loop_rate: float) -> list[Row]:
    rows = []
    for fraction, s in steps:
        goal = "p99 ingest→routed < 50 ms" if fraction == 0.5 else ""
        rows.append(
            Row("pipeline", f"open loop at {fraction:.0%} of maximum ({s.offered_per_s:,.1f}/s)",
                cell(s), f"bare aiokafka loop {loop_rate:,.0f}/s",
                s.routed_per_s / loop_rate, goal,
                values={"routed_per_s": s.routed_per_s, "backlog": s.backlog_at_end,
                        "p99_routed_ms": s.to_routed.p99_ms if s.to_routed else None,
                        "p99_database_ms": s.to_database.p99_ms if s.to_database else None})
        )  # fmt: skip
    return rows


def soak_rows(result: Soak, warm_up_s: float) -> list[Row]:
    rows = []
    for name, growth in result.growth(warm_up_s).items():
        series = result.rss[name]
        first, last = series[0][1] / 2**20, series[-1][1] / 2**20
        rows.append(
            Row("soak", f"{name} RSS over {result.seconds:.0f} s at {result.rate:,.1f}/s",
                f"{first:,.0f} → {last:,.0f} MiB", "after the first fifth",
                ratio_text="n/a" if growth is None else f"{growth:+.1%}",
                goal="growth < 10%" if name in ("web", "smtp", "worker", "sink") else "",
                values={"growth": growth})
        )  # fmt: skip
    rows.append(
        Row("soak", "stalled-consumer warnings (Faust)", str(len(result.stalled)),
            f"timers woke up late: {result.late_timers}", goal="0")
    )  # fmt: skip
    return rows


async def run(args: argparse.Namespace, bootstrap: str, dsn: str, workdir: Path) -> None:
    fractions = [float(f) / 100 for f in args.fractions.split(",")]
    loop_a, parse_a = await bare(bootstrap, args.bare_records, args.bare_submissions)
    print(f"bare loops (before): aiokafka produce→consume {loop_a:,.0f} records/s; "
          f"consume→parse→produce {parse_a:,.0f} submissions/s", flush=True)  # fmt: skip
    with Processes(workdir / "logs") as procs:
        app_id = f"bench-pipeline-{uuid.uuid4().hex[:6]}"
        pipeline = Pipeline(bootstrap, dsn, workdir, procs, app_id)
        try:
            await pipeline.start()
            top = await maximum(pipeline, args.burst, args.burst_rate, drain_s=args.drain_s)
            print(f"maximum: {top.submissions:,} submissions sent at {args.burst_rate:,.0f}/s: "
                  f"routed {top.routed_per_s:,.1f}/s, stored {top.stored_per_s:,.1f}/s",
                  flush=True)  # fmt: skip
            steps: list[tuple[float, StepResult]] = []
            rates = (
                [float(r) for r in args.rates.split(",")]
                if args.rates
                else [max(1.0, f * top.per_s) for f in fractions]
            )
            for rate in rates:
                fraction = rate / top.per_s
                s = await step(pipeline, rate, args.step_s, args.warm_up_s, args.drain_s)
                steps.append((fraction, s))
                print(f"  {fraction:4.0%} = {rate:7,.1f}/s: {describe(s)}", flush=True)
            best = stats.sustained([s.step() for _, s in steps], args.max_lag_s)
            soaked = None
            if args.soak_s > 0:
                rate = 0.5 * (best.offered_per_s if best else top.per_s)
                print(f"soak: {rate:,.1f}/s for {args.soak_s:.0f} s", flush=True)
                soaked = await soak(pipeline, rate, args.soak_s, args.sample_s, {})
        finally:
            await pipeline.stop()
    loop_b, parse_b = await bare(bootstrap, args.bare_records, args.bare_submissions)
    print(f"bare loops (after): aiokafka produce→consume {loop_b:,.0f} records/s; "
          f"consume→parse→produce {parse_b:,.0f} submissions/s")  # fmt: skip
    loop_rate, parse_rate = statistics.mean([loop_a, loop_b]), statistics.mean([parse_a, parse_b])
    sustained_rate = best.routed_per_s if best else 0.0
    rows = [
        Row("pipeline", "maximum (a backlog waiting), routed",
            f"{top.routed_per_s:,.1f} submissions/s (stored {top.stored_per_s:,.1f}/s)",
            f"bare consume→parse→produce {parse_rate:,.0f}/s", top.per_s / parse_rate),
        Row("pipeline", "sustained (highest rate with bounded lag)",
            f"{sustained_rate:,.1f} submissions/s" if best else "none kept up",
            f"bare aiokafka produce→consume {loop_rate:,.0f} records/s",
            sustained_rate / loop_rate, "≥ 25%",
            values={"sustained_per_s": sustained_rate, "bare_loop_per_s": loop_rate}),
        *step_rows(steps, loop_rate),
    ]  # fmt: skip
    if soaked is not None:
        rows += soak_rows(soaked, args.soak_s / 5)
    print()
    for row in rows:
        ratio = row.ratio_text or (f"{row.ratio:.1%}" if row.ratio is not None else "")
        print(f"{row.bench}: {row.what}: {row.figure} | {row.baseline} | {ratio} | {row.goal}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    emit(rows)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", help="a private broker (default: start one)")
    p.add_argument("--dsn", help="a private PostgreSQL database, migrated")
    p.add_argument("--fractions", default="25,50,75,100")
    # Fixed rates instead of fractions: to compare two builds at the same load, since the
    # burst's maximum moves with the machine's mood.
    p.add_argument("--rates", help="steps at these submissions/s, e.g. 30,45,60")
    p.add_argument("--burst", type=int, default=1500)
    p.add_argument("--burst-rate", type=float, default=400.0)
    p.add_argument("--step-s", type=float, default=30.0)
    p.add_argument("--warm-up-s", type=float, default=5.0)
    p.add_argument("--drain-s", type=float, default=90.0)
    p.add_argument("--max-lag-s", type=float, default=5.0)
    p.add_argument("--bare-records", type=int, default=20_000)
    p.add_argument("--bare-submissions", type=int, default=2000)
    p.add_argument("--soak-s", type=float, default=0.0)
    p.add_argument("--sample-s", type=float, default=10.0)
    return p


async def main() -> None:
    args = parser().parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        workdir = Path(tmp)
        if args.bootstrap and args.dsn:
            await run(args, args.bootstrap, args.dsn, workdir)
            return
        with Processes(workdir / "logs") as procs:
            stack = PrivateStack(procs, workdir)
            started = time.perf_counter()
            try:
                await stack.start()
                print(f"private broker {stack.bootstrap}, PostgreSQL {stack.dsn} "
                      f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
                await run(args, stack.bootstrap, stack.dsn, workdir)
            finally:
                await stack.close()


if __name__ == "__main__":
    asyncio.run(main())
