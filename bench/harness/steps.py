"""The end-to-end measurements on running services: a burst that finds the pipeline's
maximum, open-loop steps at fixed rates, and the soak. Used by `bench/bench_pipeline.py`.

A step sends at one rate for `seconds`; the first `warm_up_s` are sent but not measured.
When sending stops, the backlog (accepted, not yet stored) says whether the pipeline kept
up; then it is given time to drain, and each submission's latencies are read back from
the store and the routed topics (`observe`).
"""

import asyncio
import contextlib
import re
import time
import uuid
from dataclasses import dataclass, field

import asyncpg

from bench.harness import stats
from bench.harness.load import Load
from bench.harness.observe import end_offsets, routed_times, routing_topics, stored, stored_count
from bench.harness.procs import rss_bytes
from bench.harness.stack import Pipeline
from schemas.case import case_id_for

# Faust's and mode's words for a consumer or stream that stopped making progress.
STALLED = re.compile(
    r"Stream stopped processing|Stream has not started processing|Has not committed"
    r"|stopped fetching from|stopped responding to fetch|Highwater not yet available"
)
LATE_TIMER = "woke up too late"


@dataclass
class StepResult:
    offered_per_s: float
    seconds: float
    accepted: int
    refused: int
    routed_per_s: float
    stored_per_s: float
    backlog_at_end: int
    drained: bool
    to_routed: stats.Latency | None
    to_database: stats.Latency | None
    accept: stats.Latency | None

    def step(self) -> stats.Step:
        return stats.Step(self.offered_per_s, self.routed_per_s, self.backlog_at_end, self.drained)


async def wait_stored(dsn: str, ids: list[str], within_s: float) -> bool:
    """Wait until every one of `ids` is in a stored case; False if `within_s` passed."""
    deadline = time.monotonic() + within_s
    conn = await asyncpg.connect(dsn)
    try:
        while await stored_count(conn, ids) < len(ids):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.5)
        return True
    finally:
        await conn.close()


async def step(
    pipeline: Pipeline, rate: float, seconds: float, warm_up_s: float, drain_s: float
) -> StepResult:
    """One open-loop step at `rate` submissions per second."""
    tag = f"s{uuid.uuid4().hex[:8]}"
    load = Load(pipeline.web_port, pipeline.smtp_port, tag)
    offsets = await end_offsets(pipeline.bootstrap, routing_topics())
    started = time.time()
    await load.run(rate, seconds)
    sent_until = time.time()
    accepted = load.accepted()
    ids = list(accepted)
    conn = await asyncpg.connect(pipeline.dsn)
    try:
        backlog = len(ids) - await stored_count(conn, ids)
    finally:
        await conn.close()
    drained = await wait_stored(pipeline.dsn, ids, drain_s)
    found = await stored(pipeline.dsn, ids)
    routed = await routed_times(pipeline.bootstrap, offsets, {case_id_for(t) for t in ids})
    measured = [t for t, o in accepted.items() if o.due >= started + warm_up_s]
    to_routed, to_db = [], []
    for t in measured:
        case, ingest = case_id_for(t), found.ingested.get(t)
        if ingest is None:
            continue
        if case in routed:
            to_routed.append(routed[case] - ingest)
        if case in found.stored_at:
            to_db.append(found.stored_at[case] - ingest)
    window = (started + warm_up_s, sent_until)

    def per_s(stamps: list[float]) -> float:
        inside = [s for s in stamps if window[0] <= s <= window[1]]
        return len(inside) / (window[1] - window[0])

    return StepResult(
        offered_per_s=rate,
        seconds=seconds,
        accepted=len(ids),
        refused=load.refusals(),
        routed_per_s=per_s(list(routed.values())),
        stored_per_s=per_s(list(found.stored_at.values())),
        backlog_at_end=backlog,
        drained=drained,
        to_routed=stats.latency(to_routed),
        to_database=stats.latency(to_db),
        accept=stats.latency(
            o.accepted_at - o.due for t in measured if (o := accepted[t]).accepted_at is not None
        ),
    )


@dataclass(frozen=True)
class Maximum:
    submissions: int
    routed_per_s: float
    stored_per_s: float

    @property
    def per_s(self) -> float:
        return min(self.routed_per_s, self.stored_per_s)


async def maximum(pipeline: Pipeline, count: int, rate: float, drain_s: float) -> Maximum:
    """Send `count` submissions at `rate` (above what the pipeline can take), and measure
    the middle 80% of their routing and storing: the pipeline's rate with a backlog."""
    tag = f"m{uuid.uuid4().hex[:8]}"
    load = Load(pipeline.web_port, pipeline.smtp_port, tag, connections=32)
    offsets = await end_offsets(pipeline.bootstrap, routing_topics())
    await load.run(rate, count / rate)
    ids = list(load.accepted())
    if not await wait_stored(pipeline.dsn, ids, drain_s):
        print(f"  (not every submission of the burst stored within {drain_s:.0f} s)")
    found = await stored(pipeline.dsn, ids)
    routed = await routed_times(pipeline.bootstrap, offsets, {case_id_for(t) for t in ids})
    return Maximum(
        len(ids),
        stats.span_rate(list(routed.values())) or 0.0,
        stats.span_rate(list(found.stored_at.values())) or 0.0,
    )


@dataclass
class Soak:
    rate: float
    seconds: float
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    stalled: list[str] = field(default_factory=list)
    late_timers: int = 0
    step: StepResult | None = None

    def growth(self, warm_up_s: float) -> dict[str, float | None]:
        return {name: stats.growth(series, warm_up_s) for name, series in self.rss.items()}


async def soak(
    pipeline: Pipeline, rate: float, seconds: float, sample_s: float, extra: dict[str, int]
) -> Soak:
    """Run a step of `seconds` at `rate` and sample every service's resident memory (with
    its child processes) every `sample_s`, and `extra` pids (the broker, PostgreSQL)."""
    result = Soak(rate, seconds)
    logs = {s.name: len(s.text()) for s in pipeline.supervisors()}
    done = asyncio.Event()

    async def sample() -> None:
        start = time.monotonic()
        while not done.is_set():
            t = time.monotonic() - start
            for name, pid in {**pipeline.service_pids(), **extra}.items():
                result.rss.setdefault(name, []).append((t, float(rss_bytes(pid))))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), sample_s)

    sampler = asyncio.create_task(sample())
    try:
        result.step = await step(pipeline, rate, seconds, warm_up_s=seconds / 5, drain_s=60)
    finally:
        done.set()
        await sampler
    for sup in pipeline.supervisors():
        text = sup.text()[logs.get(sup.name, 0) :]
        result.stalled += [line for line in text.splitlines() if STALLED.search(line)]
        result.late_timers += text.count(LATE_TIMER)
    return result
