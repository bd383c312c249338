"""Submissions per second through the real worker (dedup, classify, route, open the case),
beside a bare aiokafka loop over the same topics, in the same run.

    .venv/bin/python bench/bench_sorting.py [--submissions 3000] [--bootstrap HOST:PORT]

Starts a Kafka broker of its own (`deploy/local/kafka.sh`, free ports, a temporary
directory; about 30 s), unless `--bootstrap` (or `SPORTELLO_PIPELINE_TEST_KAFKA`) names a
private one: it publishes thousands of submissions, which must not land on a shared broker.
Then:

1. publishes `--submissions` messages on complaints.intake, a city's mix: 70% new
   complaints with a category hint (routed by the rules), 10% without (left to the
   classifier the worker is built with), 10% webhook redeliveries, 10% the same citizen
   again by fax (merged into their case);
2. baseline: one aiokafka consumer → `read_intake` (the worker's own parsing) → a case
   snapshot built from the submission → one idempotent acks=all producer to
   complaints.cases, awaiting each batch's acknowledgements, committing after;
3. the worker: `python -m processors` under its own app id, warmed up (see the tests'
   `warm_up`), then the same messages published again while it runs: intake → three dedup
   stages → the case agent → the cases, routed and triage topics, with every table
   written to its changelog.

Both rates are taken from the output records' own timestamps (first to last output), so
neither side is charged its start-up; the ratio is worker / baseline (goal: at least 50%).

4. with `--rate R`, the same mix again at R submissions/s for `--paced-s` seconds, open
   loop. The worker's CPU time (user + system, from /proc) per submission, in the burst of
   step 3 and paced, says what a submission costs when the stages' batches are full and
   when each batch holds a submission or two.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from random import Random

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.procs import cpu_seconds
from bench.harness.report import Row, emit
from processors.reading import read_intake
from processors.stages.topology import internal_topic_name
from runtime.topics import (
    CASE_COMMANDS,
    DEDUP_CITIZEN,
    DEDUP_PLACE,
    DEDUP_RESOLVE,
)
from schemas import topics
from schemas.case import CaseSnapshot, CaseStatus, case_id_for
from schemas.events import CaseUpdated, SubmissionReceived, decode_event
from schemas.submission import Channel
from tests.integration.pipeline.support import (
    PARTITIONS,
    PrivateKafka,
    Sender,
    WorkerProcess,
    create_public_topics,
    prepare_app,
    start_worker,
    submission_event,
    trace,
    warm_up,
)

HINTED = [
    ("buche_stradali", "Buca profonda in {s} {n}, pericolosa per chi va in bici"),
    ("lampioni", "Il lampione di {s} {n} è spento da giorni, la sera è buio"),
    ("raccolta_rifiuti", "Cassonetti pieni in {s} {n}, i rifiuti sono per terra"),
    ("semafori", "Il semaforo all'incrocio di {s} e via Tortona lampeggia da ieri"),
    ("alberi", "Un ramo pericolante sull'albero davanti a {s} {n}"),
    ("sosta_irregolare", "Auto in sosta sulle strisce pedonali in {s} {n} ogni mattina"),
    ("rumore", "Musica ad alto volume ogni notte in {s} {n}"),
]
UNHINTED = "Vorrei segnalare un problema in {s} {n}: nessuno risponde da settimane"
FAX_AGAIN = "Segnalo di nuovo, via fax: {text} Nessuno è ancora intervenuto."
STREETS = [
    "via Padova", "viale Monza", "corso Buenos Aires", "via Celoria", "via Ripamonti",
    "via Lorenteggio", "via Giambellino", "corso Lodi", "via Novara", "via Farini",
]  # fmt: skip


def city_mix(n: int, tag: str) -> list[SubmissionReceived]:
    rng = Random(tag)
    out: list[SubmissionReceived] = []
    now = datetime.now(UTC)
    for i in range(n):
        kind = i % 10
        if kind == 8 and i >= 3:
            out.append(out[i - 3])  # the same webhook delivered again
            continue
        if kind == 9 and out[i - 2].data.citizen is not None:
            first = out[i - 2].data
            assert first.citizen is not None
            out.append(
                submission_event(
                    f"{tag}-fax-{i}",
                    FAX_AGAIN.format(text=first.text),
                    now,
                    channel=Channel.FAX,
                    phone=first.citizen.phone,
                )
            )
            continue
        street, number = rng.choice(STREETS), rng.randrange(1, 400)
        phone = f"+39 3{rng.randrange(10**8, 10**9)}"
        if kind == 7:
            text, hint = UNHINTED.format(s=street, n=number), None
        else:
            category, template = rng.choice(HINTED)
            text, hint = template.format(s=street, n=number), category
        out.append(
            submission_event(
                f"{tag}-{i}",
                f"{text} [{tag}]",
                now,
                channel=rng.choice([Channel.WEB, Channel.APP, Channel.EMAIL]),
                hint=hint,
                phone=phone,
            )
        )
    return out


async def end_offsets(bootstrap: str, name: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(name, p) for p in range(PARTITIONS)]
        return {tp.partition: o for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def publish(
    bootstrap: str, events: list[SubmissionReceived], rate: float | None = None
) -> None:
    """All at once, or open loop at `rate` per second (event n due at start + n / rate)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20
    )
    await producer.start()
    try:
        futures = []
        start = time.perf_counter()
        for n, e in enumerate(events):
            if rate is not None and (wait := start + n / rate - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            futures.append(await producer.send(topics.INTAKE, e.to_json(), key=e.subject.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def until_caught_up(
    bootstrap: str, app_id: str, worker: WorkerProcess, limit_s: float
) -> float:
    """Seconds until the worker's group has committed all it was given."""
    started = time.perf_counter()
    while not await caught_up(bootstrap, app_id):
        if worker.proc.poll() is not None:
            raise SystemExit(f"the worker exited:\n{worker.text()[-3000:]}")
        if time.perf_counter() - started > limit_s:
            raise SystemExit(f"the worker did not finish:\n{worker.text()[-3000:]}")
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def output_times(
    bootstrap: str, start: dict[int, int], tag: str
) -> tuple[list[int], set[str]]:
    """Timestamps (ms) of the case snapshots on complaints.cases after `start` that carry
    `tag`, and the submission ids they account for."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    stamps: list[int] = []
    accounted: set[str] = set()
    try:
        tps = [TopicPartition(topics.CASES, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start[tp.partition])
        ends = await consumer.end_offsets(tps)
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    if tag.encode() not in (r.value or b""):
                        continue
                    event = decode_event(r.value)
                    if isinstance(event, CaseUpdated):
                        stamps.append(r.timestamp)
                        accounted.update(event.data.tracking_ids)
    finally:
        await consumer.stop()
    return sorted(stamps), accounted


def snapshot_of(event: SubmissionReceived) -> CaseSnapshot:
    s = event.data
    return CaseSnapshot(
        case_id=case_id_for(s.submission_id),
        version=1,
        status=CaseStatus.RECEIVED,
        tracking_ids=(s.submission_id,),
        channels=(s.channel,),
        opened_at=s.received_at,
        legal_receipt_at=s.legal_receipt_at,
        updated_at=s.received_at,
        text=s.text,
        citizen=s.citizen,
        location=s.location,
        category=s.category_hint,
    )


async def bare_loop(bootstrap: str, start: dict[int, int], count: int) -> float:
    """consume → parse → produce, acks=all, commit after each batch; returns seconds from
    the first record read to the last acknowledgement."""
    group = f"bench-bare-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(topics.INTAKE, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start[tp.partition])
        done, first = 0, None
        while done < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            if first is None and batch:
                first = time.perf_counter()
            futures = []
            for records in batch.values():
                for r in records:
                    location = f"{r.topic}/{r.partition}@{r.offset}"
                    got = read_intake(r.value, location=location, now=datetime.now(UTC))
                    done += 1
                    if not isinstance(got, SubmissionReceived):
                        continue
                    snap = snapshot_of(got)
                    event = CaseUpdated.new(
                        snap,
                        source="/bench/bare",
                        subject=snap.case_id,
                        time=snap.updated_at,
                        event_id=f"{snap.case_id}@bare",
                    )
                    futures.append(
                        await producer.send(
                            topics.CASES, event.to_json(), key=snap.case_id.encode()
                        )
                    )
            await asyncio.gather(*futures)
            if batch:
                await consumer.commit()
        assert first is not None
        return time.perf_counter() - first
    finally:
        await producer.stop()
        await consumer.stop()


async def caught_up(bootstrap: str, app_id: str) -> bool:
    """Whether the worker's group has committed every offset of its input topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(app_id)
    finally:
        await admin.close()
    names = [topics.INTAKE] + [
        internal_topic_name(app_id, n)
        for n in (DEDUP_RESOLVE, DEDUP_CITIZEN, DEDUP_PLACE, CASE_COMMANDS)
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return all(committed.get(tp) is not None and committed[tp].offset >= ends[tp] for tp in tps)


async def run(
    bootstrap: str, n: int, workdir: Path, rate: float | None = None, paced_s: float = 30.0
) -> None:
    await create_public_topics(bootstrap)
    tag = uuid.uuid4().hex[:10]
    events = city_mix(n, tag)
    distinct = {e.data.submission_id for e in events}
    start = await end_offsets(bootstrap, topics.INTAKE)
    t0 = time.perf_counter()
    await publish(bootstrap, events)
    print(f"published {n:,} messages ({len(distinct):,} distinct submissions) in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip

    cases_start = await end_offsets(bootstrap, topics.CASES)
    bare_s = await bare_loop(bootstrap, start, n)
    bare_stamps, _ = await output_times(bootstrap, cases_start, tag)
    bare_rate = n / bare_s
    bare_span = (bare_stamps[-1] - bare_stamps[0]) / 1000
    print(f"baseline (aiokafka consume → read_intake → snapshot → produce acks=all → commit): "
          f"{bare_s:.2f} s, {bare_rate:,.0f} submissions/s "
          f"(output timestamps: {n / bare_span:,.0f}/s)")  # fmt: skip

    app_id = f"bench-sorting-{tag}"
    await prepare_app(bootstrap, app_id)
    worker = start_worker(bootstrap, app_id, workdir, "worker")
    sender = await Sender(bootstrap).start()
    try:
        await worker.ready()
        # As in a deployment that has been running (see the tests' `warm_up`).
        await warm_up(bootstrap, app_id, sender)
        cases_start = await end_offsets(bootstrap, topics.CASES)
        cpu_before = cpu_seconds(worker.proc.pid)
        started = time.perf_counter()
        await publish(bootstrap, events)
        await until_caught_up(bootstrap, app_id, worker, 60 + n / 10)
        wall = time.perf_counter() - started
        burst_cpu = cpu_seconds(worker.proc.pid) - cpu_before
        print(f"worker CPU in the burst: {burst_cpu:.1f} s, {burst_cpu / n * 1000:.2f} ms "
              f"per message")  # fmt: skip
        if rate is not None:
            # Another tag, so that the burst's figures below count the burst's snapshots only.
            paced = city_mix(round(rate * paced_s), uuid.uuid4().hex[:10])
            cpu_before = cpu_seconds(worker.proc.pid)
            await asyncio.sleep(10)
            idle = (cpu_seconds(worker.proc.pid) - cpu_before) / 10
            print(f"worker idle: {idle:.1%} of a core")
            cpu_before = cpu_seconds(worker.proc.pid)
            paced_started = time.perf_counter()
            await publish(bootstrap, paced, rate)
            lag_s = await until_caught_up(bootstrap, app_id, worker, 60 + len(paced) / 10)
            paced_cpu = cpu_seconds(worker.proc.pid) - cpu_before
            print(f"paced at {rate:g}/s for {time.perf_counter() - paced_started - lag_s:.1f} s "
                  f"(caught up {lag_s:.1f} s after the last): worker CPU {paced_cpu:.1f} s, "
                  f"{paced_cpu / len(paced) * 1000:.2f} ms per message, "
                  f"{paced_cpu / len(paced) / (burst_cpu / n):.1f}x the burst's; less idling: "
                  f"{(paced_cpu - idle * paced_s) / len(paced) * 1000:.2f} ms")  # fmt: skip
    finally:
        await sender.stop()
        worker.stop()
    stamps, accounted = await output_times(bootstrap, cases_start, tag)
    span = (stamps[-1] - stamps[0]) / 1000
    worker_rate = n / span
    missing = distinct - accounted
    print(f"worker (intake → dedup A, B, C → cases: classify, route, lifecycle, SLA), the same "
          f"messages published again while it runs: {len(stamps):,} snapshots for "
          f"{len(accounted & distinct):,} submissions in {span:.2f} s from first to last, "
          f"{worker_rate:,.0f} submissions/s ({wall:.1f} s from the first publish to the "
          f"group's last commit)")  # fmt: skip
    if missing:
        found = await trace(bootstrap, app_id, sorted(missing)[:5])
        print(f"  WARNING: {len(missing)} submissions without a case snapshot; e.g.:")
        print("  " + found.text().replace("\n", "\n  "))
    print(f"ratio worker / baseline: {worker_rate / (n / bare_span):.0%} "
          f"(goal: at least 50%)")  # fmt: skip
    emit([
        Row("sorting", f"worker alone, {n:,} messages on complaints.intake",
            f"{worker_rate:,.1f} submissions/s" + (f" ({len(missing)} missing)" if missing else ""),
            f"bare consume→parse→produce {n / bare_span:,.0f}/s",
            worker_rate / (n / bare_span), "≥ 50%"),
    ])  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=3000)
    parser.add_argument("--bootstrap", default=os.environ.get("SPORTELLO_PIPELINE_TEST_KAFKA"))
    parser.add_argument("--rate", type=float, help="then the same mix paced at this rate")
    parser.add_argument("--paced-s", type=float, default=30.0)
    args = parser.parse_args()
    paced = {"rate": args.rate, "paced_s": args.paced_s}
    with tempfile.TemporaryDirectory(prefix="bench-sorting-") as tmp:
        if args.bootstrap:
            await run(args.bootstrap, args.submissions, Path(tmp), **paced)
            return
        broker = PrivateKafka(Path(tmp) / "kafka")
        started = time.perf_counter()
        await broker.start()
        print(f"private broker on {broker.bootstrap} ({time.perf_counter() - started:.0f} s)")
        try:
            await run(broker.bootstrap, args.submissions, Path(tmp), **paced)
        finally:
            await broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
