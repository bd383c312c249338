"""How fast the PostgreSQL sink stores history, beside a bare COPY of the same rows.

    .venv/bin/python bench/bench_sink.py [--copies 8] [--batch-size 1000] [--rate 500]

Everything private: a PostgreSQL cluster of its own (deploy/local/postgres.sh on a free port
in a temporary folder, removed at the end) and topics of its own on the broker (deleted at
the end). The events are case histories made from NYC 311 requests (shared data), each
request a case with its submission, snapshots, assignment or triage, status reports, SLA
alerts seen on two topics, redeliveries and dead letters, `--copies` times over.

1. Throughput: a sink in a fresh group reads every topic from the beginning (Kafka fetch,
   decoding, COPY into staging, merge, offset commit) into an empty database. Then the rows
   it wrote are copied with asyncpg's `copy_records_to_table`, table by table in batches of
   the same size, into another empty database. Rows/s of each and their ratio (goal: 60%).
   Also the CPU each side used (this process and its decoders, and the PostgreSQL backends),
   which on a shared machine says more than the clock.
2. Latency: while a live sink runs, requests are published at `--rate` messages/s; for each
   message, the time from its Kafka timestamp to the commit of the batch that stored it.
"""

import argparse
import asyncio
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness.report import Row, emit  # noqa: E402
from schemas.events import Event  # noqa: E402
from sinks.postgres.records import Message  # noqa: E402
from sinks.postgres.replay import _start_group_at, history_end_offsets  # noqa: E402
from sinks.postgres.sink import CaseSink  # noqa: E402
from sinks.postgres.store import RECORD_TABLES, CaseStore  # noqa: E402
from tests.integration.record.cluster import start_private_cluster  # noqa: E402
from tests.integration.record.histories import (  # noqa: E402
    dead_letters,
    find_shared_data,
    histories,
    read_requests,
)
from tests.integration.record.streams import PrivateTopics  # noqa: E402


def events(copies: int, tag: str) -> list[tuple[str, Event[Any]]]:
    requests = read_requests(find_shared_data())
    out: list[tuple[str, Event[Any]]] = []
    for copy in range(copies):
        salt = f"{tag}-{copy}"
        for h in histories(requests, salt=salt, shift=timedelta(days=copy)):
            out.extend(h.published)
        out.extend(dead_letters(requests, salt=salt, shift=timedelta(days=copy)))
    return out


async def count_rows(pool: asyncpg.Pool) -> int:
    return sum([await pool.fetchval(f"select count(*) from {t}") for t in RECORD_TABLES])


class Cpu:
    """CPU seconds used by this process (and its children that ended) and by PostgreSQL
    backends, between `start` and `stop`."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, backends: set[int]) -> None:
        self.backends = backends

    def _ours(self) -> float:
        me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def _theirs(self) -> float:
        total = 0.0
        for pid in self.backends:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / self.TICK
        return total

    def start(self) -> None:
        self.python, self.postgres = self._ours(), self._theirs()

    def stop(self) -> tuple[float, float]:
        return self._ours() - self.python, self._theirs() - self.postgres


async def backends(pool: asyncpg.Pool) -> set[int]:
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]
    pids = {c.get_server_pid() for c in conns}
    for c in conns:
        await pool.release(c)
    return pids


async def through_the_sink(
    pool: asyncpg.Pool, topics: PrivateTopics, batch_size: int, decoders: int
) -> tuple[int, int, float, tuple[float, float]]:
    end = await history_end_offsets(topics.bootstrap, topics.pattern)
    group = f"bench-{uuid.uuid4().hex}"
    consumer = CaseSink.consumer(topics.bootstrap, group, pattern=topics.pattern)
    await consumer.start()
    cpu = Cpu(await backends(pool))
    cpu.start()
    sink = CaseSink(consumer, CaseStore(pool), batch_size=batch_size, decode_processes=decoders)
    try:
        started = time.perf_counter()
        messages = await sink.run_until(end)
        seconds = time.perf_counter() - started
    finally:
        sink.close()  # the decoders end, so that their CPU is counted
        used = cpu.stop()
        await consumer.stop()
    return messages, await count_rows(pool), seconds, used


async def bare_copy(
    source: asyncpg.Pool, target: asyncpg.Pool, batch_size: int
) -> tuple[int, float, tuple[float, float]]:
    tables = {
        t: [tuple(r) for r in await source.fetch(f"select * from {t}")] for t in RECORD_TABLES
    }
    rows = sum(len(v) for v in tables.values())
    cpu = Cpu(await backends(target))
    cpu.start()
    started = time.perf_counter()
    async with target.acquire() as conn:
        for table, records in tables.items():
            for i in range(0, len(records), batch_size):
                async with conn.transaction():
                    await conn.copy_records_to_table(table, records=records[i : i + batch_size])
    return rows, time.perf_counter() - started, cpu.stop()


async def latency(
    pool: asyncpg.Pool, topics: PrivateTopics, batch_size: int, rate: float, seconds: float
) -> list[float]:
    group = f"bench-live-{uuid.uuid4().hex}"
    now = await history_end_offsets(topics.bootstrap, topics.pattern)
    await _start_group_at(topics.bootstrap, group, now)
    delays: list[float] = []
    ours: set[str] = set()

    def on_stored(messages: Sequence[Message], committed: float) -> None:
        for m in messages:
            if m.topic in ours:
                delays.append(committed - m.timestamp_ms / 1000)

    consumer = CaseSink.consumer(topics.bootstrap, group, pattern=topics.pattern)
    await consumer.start()
    sink = CaseSink(
        consumer, CaseStore(pool), batch_size=batch_size, on_stored=on_stored, poll_ms=20
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(sink.run(stop))
    try:
        feed = events(max(1, int(rate * seconds / 12_000) + 1), f"live-{uuid.uuid4().hex[:6]}")
        wanted = int(rate * seconds)
        feed = feed[:wanted]
        ours.update(topics.name(t) for t, _ in feed)
        tick = 0.05
        per_tick = max(1, int(rate * tick))
        began = time.perf_counter()
        for i in range(0, len(feed), per_tick):
            await topics.publish(feed[i : i + per_tick])
            ahead = began + (i // per_tick + 1) * tick - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
        deadline = time.perf_counter() + 120
        while len(delays) < len(feed) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await runner
        await consumer.stop()
    return delays


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0, help="messages/s for the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--decode-processes", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    folder = Path(tempfile.mkdtemp(prefix="sportello-bench-pg-"))
    cluster = start_private_cluster(folder)
    topics = PrivateTopics.fresh(args.bootstrap, partitions=6)
    await topics.create()
    try:
        feed = events(args.copies, uuid.uuid4().hex[:6])
        await topics.publish(feed)
        print(f"published {len(feed)} messages on {len(topics.names())} private topics")
        sink_db = await asyncpg.create_pool(await cluster.new_database(), min_size=2, max_size=2)
        copy_db = await asyncpg.create_pool(await cluster.new_database(), min_size=1, max_size=1)
        live_db = await asyncpg.create_pool(await cluster.new_database(), min_size=1, max_size=2)

        messages, rows, sink_s, (sink_py, sink_pg) = await through_the_sink(
            sink_db, topics, args.batch_size, args.decode_processes
        )
        copied, copy_s, (copy_py, copy_pg) = await bare_copy(sink_db, copy_db, args.batch_size)
        assert copied == rows
        sink_rate, copy_rate = rows / sink_s, rows / copy_s
        print(
            f"sink:      {messages} messages -> {rows} rows in {sink_s:.2f} s:"
            f" {sink_rate:,.0f} rows/s ({messages / sink_s:,.0f} messages/s);"
            f" CPU {sink_py:.2f} s Python + {sink_pg:.2f} s PostgreSQL"
        )
        print(
            f"bare COPY: {rows} rows in {copy_s:.2f} s: {copy_rate:,.0f} rows/s;"
            f" CPU {copy_py:.2f} s Python + {copy_pg:.2f} s PostgreSQL"
        )
        print(f"ratio:     {sink_rate / copy_rate:.0%} of a bare COPY's rows/s (goal: 60%)")
        print(
            f"CPU:       a bare COPY needs {copy_pg / sink_pg:.0%} of the sink's PostgreSQL CPU"
            f" and {(copy_py + copy_pg) / (sink_py + sink_pg):.0%} of its CPU in all"
        )
        print(f"load:      {os.getloadavg()[0]:.1f} (1-minute average) on {os.cpu_count()} cores")

        delays = await latency(live_db, topics, args.batch_size, args.rate, args.seconds)
        report = [
            Row("sink", f"{messages:,} messages into PostgreSQL", f"{sink_rate:,.0f} rows/s",
                f"bare asyncpg COPY {copy_rate:,.0f} rows/s", sink_rate / copy_rate, "≥ 60%"),
        ]  # fmt: skip
        if delays:
            print(
                f"latency:   {len(delays)} messages at {args.rate:.0f}/s, Kafka timestamp to"
                f" database commit: p50 {statistics.median(delays) * 1000:.0f} ms,"
                f" p99 {pct(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms"
            )
            report.append(
                Row("sink", f"latency at {args.rate:.0f} messages/s, Kafka to commit",
                    f"p50 {statistics.median(delays) * 1000:.0f} ms, "
                    f"p99 {pct(delays, 0.99) * 1000:.0f} ms")
            )  # fmt: skip
        emit(report)
        for pool in (sink_db, copy_db, live_db):
            await pool.close()
    finally:
        await topics.delete()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
