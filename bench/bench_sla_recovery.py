"""How long a restarted worker takes to recover its cases and SLA deadline tables from their
changelogs, beside a bare aiokafka read of the same changelog topics, in the same run; then
the cost of one timer tick over a million open cases (`bench_sla_tick.py`).

    .venv/bin/python bench/bench_sla_recovery.py [--cases 50000] [--bootstrap HOST:PORT]
                                                  [--tick-cases 1000000]

Starts a Kafka broker of its own (`deploy/local/kafka.sh`, free ports, a temporary
directory) unless `--bootstrap` (or `SPORTELLO_PIPELINE_TEST_KAFKA`) names a private one.

1. Writes the changelogs a worker would have written for `--cases` open cases: each case
   opened by the real `CaseBook` (shipped rules and policies; received over the last 30
   days; most assigned, some in triage) is one record of `<app>-cases-changelog`, and the
   deadline index's writes for it (`DeadlineIndex.set` over a recording dict, shard = the
   case's partition) are records of `<app>-sla-deadlines-changelog`, in the partition Faust
   would use and in Faust's format (JSON key, JSON value).
2. Baseline: one aiokafka consumer reads both topics, every partition, from the beginning
   to the end offsets, and decodes each key and value into a dict per topic (what any
   recovery must do at least); with Python's cyclic GC paused, as the worker pauses it
   while it recovers, and once more with the GC collecting (printed, not the baseline).
3. A worker of that app id is started, stopped, and started again (a restart); the second
   start's recovery is timed from its own log: from Faust's first "Highwater" report to
   "Recovery complete", and from process spawn to "Worker ready".

The ratio is recovery / bare read (goal: within 1.5x). The recovery window, like the bare
read's, starts once the end offsets are known; it includes Faust's request for the first
offsets, its seeks and the fetcher's start (about 10 ms). Fixed costs outside both windows,
in "spawn to ready" only: the interpreter, the classifier model and Faust starting (2-3 s),
Faust's one-second wait for tables to register, the group join, and after "Recovery
complete" the seek back to the committed offsets, which waits for the fetch under way (its
one-second timeout).
"""

import argparse
import asyncio
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from processors.cases import CaseBook, OpenCase
from processors.cases.book import Guess
from processors.sla.index import DeadlineIndex
from runtime.topics import TopicSpec, ensure_topics
from schemas.case import case_id_for
from tests.integration.pipeline.support import (
    PARTITIONS,
    PrivateKafka,
    create_public_topics,
    partition_of,
    prepare_app,
    start_worker,
    submission_event,
)

TABLES = ("cases", "sla-deadlines")
HINTS = ["buche_stradali", "lampioni", "raccolta_rifiuti", "semafori", "alberi", "rumore",
         "marciapiedi", "segnaletica", "parchi", "sosta_irregolare", None]  # fmt: skip


class Recording(MutableMapping[str, Any]):
    """A dict that remembers every write, as a Faust table sends each to its changelog."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes: list[tuple[str, Any]] = []

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.writes.append((key, value))

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self.writes.append((key, None))

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def book() -> CaseBook:
    from processors.app import build_book
    from processors.settings import WorkerSettings

    def classify(text: str) -> Guess:
        return Guess(None, 0.0)

    return build_book(
        WorkerSettings(bodies_file=None, rules_file=None, taxonomy_file=None,
                       sla_policies_file=None),
        classify=classify,
    )  # fmt: skip


def changelogs(n: int, seed: int) -> dict[str, list[list[tuple[bytes, bytes | None]]]]:
    """table → partition → (key, value) records, as the worker would have written them."""
    rng = Random(seed)
    cases_book = book()
    now = datetime.now(UTC)
    out: dict[str, list[list[tuple[bytes, bytes | None]]]] = {
        t: [[] for _ in range(PARTITIONS)] for t in TABLES
    }
    stores = [Recording() for _ in range(PARTITIONS)]
    indexes = [DeadlineIndex(stores[p], shard=str(p)) for p in range(PARTITIONS)]

    def dump(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    for i in range(n):
        received = now - timedelta(seconds=rng.randrange(30 * 86_400))
        sub = submission_event(
            f"recovery-{seed}-{i}",
            f"Segnalazione {i}: buca, lampione o cassonetto in via Padova {i % 400}",
            received,
            hint=rng.choice(HINTS),
            phone=f"+39 3{rng.randrange(10**8, 10**9)}",
        )
        case_id = case_id_for(sub.data.submission_id)
        step = cases_book.open(OpenCase(case_id=case_id, submission=sub), received)
        assert step.record is not None
        p = partition_of(case_id)
        out["cases"][p].append((dump(case_id), dump(step.record.model_dump(mode="json"))))
        before = len(stores[p].writes)
        indexes[p].set(case_id, step.next_alert_at)
        out["sla-deadlines"][p].extend(
            (dump(k), None if v is None else dump(v)) for k, v in stores[p].writes[before:]
        )
    return out


async def write_changelogs(
    bootstrap: str, app_id: str, logs: dict[str, list[list[tuple[bytes, bytes | None]]]]
) -> int:
    await ensure_topics(
        bootstrap,
        [
            TopicSpec(f"{app_id}-{t}-changelog", PARTITIONS, 1, {"cleanup.policy": "compact"})
            for t in TABLES
        ],
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
        max_batch_size=256 * 1024,
    )  # fmt: skip
    await producer.start()
    count = 0
    try:
        for table, partitions in logs.items():
            for p, records in enumerate(partitions):
                futures = [
                    await producer.send(f"{app_id}-{table}-changelog", v, key=k, partition=p)
                    for k, v in records
                ]
                await asyncio.gather(*futures)
                count += len(records)
    finally:
        await producer.stop()
    return count


async def bare_read(
    bootstrap: str, app_id: str, *, gc_paused: bool = True
) -> tuple[float, int, int]:
    """Seconds to read and decode both changelogs from start to end; records, bytes. With
    `gc_paused`, Python's cyclic GC makes no automatic collection meanwhile, as in the
    worker's recovery (`processors.recovery`): otherwise its full collections walk the
    growing tables, which costs the read more the larger they are."""
    paused = gc_paused and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return await _bare_read(bootstrap, app_id)
    finally:
        if paused:
            gc.enable()


async def _bare_read(bootstrap: str, app_id: str) -> tuple[float, int, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 << 20,
        # Assigned with "latest", a reset to the end could win the race with the seek below,
        # and the read found nothing to read (once, it waited for ever).
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tps = [
            TopicPartition(f"{app_id}-{t}-changelog", p) for t in TABLES for p in range(PARTITIONS)
        ]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        started = time.perf_counter()
        await consumer.seek_to_beginning(*tps)
        records = size = 0
        tables: dict[str, dict[Any, Any]] = {f"{app_id}-{t}-changelog": {} for t in TABLES}
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, batch in (await consumer.getmany(*remaining, timeout_ms=500)).items():
                table = tables[tp.topic]
                for r in batch:
                    key = json.loads(r.key)
                    table[key] = None if r.value is None else json.loads(r.value)
                    records += 1
                    size += len(r.value or b"")
            # By position, not by the last record: the end offset may lie past the last
            # record a fetch returns (a marker, a compacted tail), and the loop would wait.
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        if records < sum(ends.values()) // 2:
            raise RuntimeError(f"the bare read found {records} of {sum(ends.values())} records")
        return time.perf_counter() - started, records, size
    finally:
        await consumer.stop()


STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def when(line: str) -> datetime:
    match = STAMP.match(line)
    assert match, line
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")


def recovery_seconds(log: str) -> float:
    """From Faust's first report of the changelogs' highwaters to 'Recovery complete'."""
    lines = log.splitlines()
    start = next(ln for ln in lines if "Highwater for active changelog partitions" in ln)
    done = next(ln for ln in lines if "[^---Recovery]: Recovery complete" in ln)
    return (when(done) - when(start)).total_seconds()


async def timed_start(bootstrap: str, app_id: str, workdir: Path, name: str) -> tuple[float, str]:
    spawned = time.perf_counter()
    worker = start_worker(bootstrap, app_id, workdir, name)
    try:
        await worker.ready(timeout=600)
        return time.perf_counter() - spawned, worker.text()
    finally:
        worker.stop()


async def run(bootstrap: str, n: int, workdir: Path) -> None:
    await create_public_topics(bootstrap)
    app_id = f"bench-recovery-{uuid.uuid4().hex[:8]}"
    await prepare_app(bootstrap, app_id)
    started = time.perf_counter()
    logs = changelogs(n, seed=7)
    built = time.perf_counter() - started
    written = await write_changelogs(bootstrap, app_id, logs)
    per_table = {t: sum(len(p) for p in parts) for t, parts in logs.items()}
    print(f"{n:,} open cases: {written:,} changelog records ({per_table}), "
          f"built by CaseBook and DeadlineIndex in {built:.1f} s")  # fmt: skip

    bare_s, records, size = await bare_read(bootstrap, app_id)
    with_gc_s, _, _ = await bare_read(bootstrap, app_id, gc_paused=False)
    print(f"baseline (aiokafka read + JSON decode of both changelogs, start to end, cyclic "
          f"GC paused as in the worker's recovery): {bare_s:.2f} s for {records:,} records, "
          f"{size / 2**20:.1f} MiB (with the GC collecting: {with_gc_s:.2f} s)")  # fmt: skip

    first_s, _ = await timed_start(bootstrap, app_id, workdir, "first")
    again_s, log = await timed_start(bootstrap, app_id, workdir, "restart")
    recovery = recovery_seconds(log)
    print(f"worker restart: tables recovered in {recovery:.2f} s (Faust's log); "
          f"spawn to ready {again_s:.1f} s (first start {first_s:.1f} s)")  # fmt: skip
    print(f"ratio recovery / bare read: {recovery / bare_s:.2f}x (goal: within 1.5x)")
    emit([
        Row("sla_recovery", f"worker restart, tables of {n:,} open cases",
            f"recovered in {recovery:.2f} s (spawn to ready {again_s:.1f} s)",
            f"bare read of the changelogs {bare_s:.2f} s", bare_s / recovery,
            "within 1.5x", ratio_text=f"{recovery / bare_s:.2f}x the time"),
    ])  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def tick_bench(cases: int) -> None:
    """The pure index bench, as it is (not duplicated here)."""
    script = Path(__file__).with_name("bench_sla_tick.py")
    if not script.exists():
        print(f"\ntimer tick: {script.name} is not in this tree; skipped")
        return
    print(f"\ntimer tick over {cases:,} open cases ({script.name}):", flush=True)
    subprocess.run([sys.executable, str(script), "--cases", str(cases)], check=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--tick-cases", type=int, default=1_000_000, help="0: no tick bench")
    parser.add_argument("--bootstrap", default=os.environ.get("SPORTELLO_PIPELINE_TEST_KAFKA"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        if args.bootstrap:
            await run(args.bootstrap, args.cases, Path(tmp))
        else:
            broker = PrivateKafka(Path(tmp) / "kafka")
            await broker.start()
            print(f"private broker on {broker.bootstrap}")
            try:
                await run(broker.bootstrap, args.cases, Path(tmp))
            finally:
                await broker.stop()
    if args.tick_cases:
        tick_bench(args.tick_cases)


if __name__ == "__main__":
    asyncio.run(main())
