"""`make bench`: every benchmark under bench/, against a private Kafka broker and PostgreSQL
cluster started for the run, into one results file and one Markdown table.

    .venv/bin/python -m bench.run_all [--out var/bench] [--soak-s 600]

Each benchmark is its own script (`bench_*.py`, `kafka_baselines.py`, `bench_pipeline.py`)
that runs its baseline beside its measured run and prints both; run here as a child
process, it also hands its rows back (`harness.report.emit`). Sizes are chosen so the
whole run takes about ten minutes on two cores; change them with environment variables:

    BENCH_ONLY=web,smtp          only these (names below)
    BENCH_SKIP=ocr_intake        all but these
    BENCH_<NAME>_ARGS="..."      a benchmark's arguments instead of the defaults below
                                 ({bootstrap} and {dsn} name the private services)
    BENCH_TIMEOUT_S=900          longest a benchmark may take
    SOAK=1 / BENCH_SOAK_S=600    add the soak to the pipeline benchmark

Writes `<out>/results.json` and `<out>/results.md` (and every benchmark's output beside
them, in `<out>/logs/`), and prints the table. Everything started is stopped at the end,
on failure or Ctrl-C too.
"""

import argparse
import asyncio
import json
import os
import shlex
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.harness.procs import Processes
from bench.harness.report import RESULT_ENV, Row, bench_table
from bench.harness.stack import PrivateStack

REPO = Path(__file__).resolve().parents[1]

# name, module, default arguments
BENCHES: list[tuple[str, str, str]] = [
    ("kafka", "bench.kafka_baselines", "--bootstrap {bootstrap} --records 100000 --rounds 2"),
    ("web", "bench.bench_web", "--seconds 3 --rounds 3 --connections 32"),
    ("smtp", "bench.bench_smtp", "--kafka {bootstrap} --messages 600"),
    ("sink", "bench.bench_sink", "--bootstrap {bootstrap} --copies 2 --seconds 10 --rate 200"),
    ("classify", "bench.bench_classify", "--texts 1000"),
    ("dedup", "bench.bench_dedup", "--submissions 2000"),
    ("sla_tick", "bench.bench_sla_tick", "--cases 1000000"),
    ("sla_recovery", "bench.bench_sla_recovery",
     "--bootstrap {bootstrap} --cases 50000 --tick-cases 0"),
    ("sorting", "bench.bench_sorting", "--bootstrap {bootstrap} --submissions 600"),
    ("ocr_intake", "bench.bench_ocr_intake", "--kafka {bootstrap} --pages 6 --rounds 2"),
    ("pipeline", "bench.bench_pipeline",
     "--bootstrap {bootstrap} --dsn {dsn} --burst 800 --step-s 30 --warm-up-s 5"),
]  # fmt: skip


@dataclass
class Outcome:
    name: str
    command: list[str]
    status: str = "not run"  # ok, failed (exit code), timeout, skipped
    seconds: float = 0.0
    rows: list[Row] = field(default_factory=list)
    log: str = ""


def chosen() -> list[tuple[str, str, str]]:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    skip = {n for n in os.environ.get("BENCH_SKIP", "").split(",") if n}
    return [b for b in BENCHES if (not only or b[0] in only) and b[0] not in skip]


def command(name: str, module: str, default: str, stack: PrivateStack, soak_s: float) -> list[str]:
    text = os.environ.get(f"BENCH_{name.upper()}_ARGS", default)
    if name == "pipeline" and soak_s > 0:
        text += f" --soak-s {soak_s:g}"
    args = shlex.split(text.format(bootstrap=stack.bootstrap, dsn=stack.dsn))
    return [sys.executable, "-m", module, *args]


async def run_one(outcome: Outcome, out: Path, env: dict[str, str], limit_s: float) -> None:
    """Run one benchmark, its output both on the console and in its log file."""
    result = out / "logs" / f"{outcome.name}.json"
    log = out / "logs" / f"{outcome.name}.txt"
    outcome.log = str(log)
    print(f"\n=== {outcome.name}: {shlex.join(outcome.command[2:])}", flush=True)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *outcome.command, cwd=REPO, env={**env, RESULT_ENV: str(result)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None

    async def copy() -> None:
        assert proc.stdout is not None
        with log.open("wb") as f:
            while line := await proc.stdout.readline():
                f.write(line)
                sys.stdout.write("  " + line.decode(errors="replace"))
                sys.stdout.flush()

    try:
        await asyncio.wait_for(asyncio.gather(copy(), proc.wait()), limit_s)
        outcome.status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
    except TimeoutError:
        outcome.status = f"timeout after {limit_s:.0f} s"
    finally:
        if proc.returncode is None:
            # Its own clean-up (brokers, clusters, servers it started) runs on SIGINT.
            proc.send_signal(2)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    outcome.seconds = time.monotonic() - started
    if result.exists():
        outcome.rows = [Row.from_json(r) for r in json.loads(result.read_text())]


def markdown(outcomes: list[Outcome], started: datetime, loads: tuple[float, float]) -> str:
    rows = [r for o in outcomes for r in o.rows]
    lines = [
        f"# Sportello benchmarks, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"{os.cpu_count()} CPUs shared with other jobs; load average {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end. Baselines ran in the same invocation, interleaved; "
        "the ratios mean more than the rates.",
        "",
        bench_table(rows),
    ]
    bad = [o for o in outcomes if o.status != "ok"]
    if bad:
        failed = "; ".join(f"{o.name} ({o.status}, see {o.log})" for o in bad)
        lines += ["", f"Did not finish: {failed}"]
    lines += ["", "Durations: " + ", ".join(f"{o.name} {o.seconds:.0f} s" for o in outcomes)]
    return "\n".join(lines) + "\n"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench")
    default_soak = os.environ.get("BENCH_SOAK_S", "600" if os.environ.get("SOAK") == "1" else "0")
    parser.add_argument("--soak-s", type=float, default=float(default_soak))
    args = parser.parse_args()
    out: Path = args.out
    shutil.rmtree(out / "logs", ignore_errors=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    limit_s = float(os.environ.get("BENCH_TIMEOUT_S", "900"))
    outcomes: list[Outcome] = []
    with Processes(out / "logs" / "services") as procs:
        stack = PrivateStack(procs, out / "run")
        try:
            print("starting a private Kafka broker and PostgreSQL cluster…", flush=True)
            await stack.start()
            print(f"broker {stack.bootstrap}, PostgreSQL {stack.dsn}", flush=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("SPORTELLO_")}
            env.update(
                PYTHONUNBUFFERED="1",
                SPORTELLO_KAFKA_BOOTSTRAP=stack.bootstrap,
                SPORTELLO_PG_DSN=stack.dsn,
                SPORTELLO_PIPELINE_TEST_KAFKA=stack.bootstrap,
                SPORTELLO_BENCH_RUN=procs.run,
            )
            for name, module, default in chosen():
                outcome = Outcome(name, command(name, module, default, stack, args.soak_s))
                outcomes.append(outcome)
                await run_one(outcome, out, env, limit_s)
        finally:
            await stack.close()
            shutil.rmtree(out / "run", ignore_errors=True)
    text = markdown(outcomes, started, (load_start, os.getloadavg()[0]))
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "cpus": os.cpu_count(),
                "load_average": [load_start, os.getloadavg()[0]],
                "benchmarks": [asdict(o) for o in outcomes],
            },
            indent=1,
            default=str,
        )
    )
    print("\n" + text)
    print(f"written: {out / 'results.json'}, {out / 'results.md'}")
    return 0 if all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
