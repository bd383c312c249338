"""What the broker itself gives on this machine, as the baselines of the pipeline's figures:
Kafka's own `kafka-producer-perf-test` / `kafka-consumer-perf-test` (the classes
`org.apache.kafka.tools.ProducerPerformance` / `ConsumerPerformance`, from the jars the
broker runs on) beside a bare aiokafka producer, consumer, and produce→consume loop, on the
same 1 KB records, interleaved round by round.

    .venv/bin/python -m bench.kafka_baselines --bootstrap HOST:PORT [--records 100000] [--rounds 2]

Use a private broker (it writes hundreds of MB): `bench.run_all` passes its own. Every
producer here is acks=all and idempotent, as Sportello's are.
"""

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.harness.report import Row, emit
from runtime.topics import TopicSpec, ensure_topics

REPO = Path(__file__).resolve().parents[1]
POM = REPO / "deploy" / "local" / "kafka" / "pom.xml"
PARTITIONS = 6
BATCH_BYTES = 256 * 1024  # both producers batch alike: linger 5 ms, batches up to this


def kafka_libs() -> Path:
    version = re.search(r"<kafka.version>(.*)</kafka.version>", POM.read_text())
    assert version is not None
    cache = Path(os.environ.get("SPORTELLO_KAFKA_CACHE", Path.home() / ".cache" / "sportello"))
    return cache / f"kafka-{version.group(1)}" / "libs"


async def java_tool(main_class: str, *args: str) -> str:
    log4j = REPO / "deploy" / "local" / "kafka" / "log4j2.properties"
    logs = Path(tempfile.gettempdir()) / "sportello-bench-kafka-tools"  # the log4j file's
    proc = await asyncio.create_subprocess_exec(
        "java", "-Xmx512m", f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={logs}",
        "-cp", f"{kafka_libs()}/*", main_class, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{main_class} failed:\n{text[-2000:]}")
    return text


async def perf_producer(bootstrap: str, topic: str, records: int, size: int) -> float:
    """Records/s of kafka-producer-perf-test, acks=all, idempotent, unthrottled."""
    text = await java_tool(
        "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
        "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all",
        "enable.idempotence=true", "linger.ms=5", f"batch.size={BATCH_BYTES}",
    )  # fmt: skip
    final = [line for line in text.splitlines() if f"{records} records sent" in line]
    return float(re.search(r"([\d.]+) records/sec", final[-1]).group(1))  # type: ignore[union-attr]


async def perf_consumer(bootstrap: str, topic: str, records: int) -> float:
    """Records/s of kafka-consumer-perf-test over `records` records: its fetch.nMsg.sec,
    which leaves out the group's join, as the aiokafka consumer's figure does."""
    text = await java_tool(
        "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap,
        "--topic", topic, "--messages", str(records), "--timeout", "60000",
        "--group", f"bench-perf-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    lines = [line for line in text.splitlines() if line.count(",") >= 9]
    header = [h.strip() for h in lines[0].split(",")]
    values = [v.strip() for v in lines[-1].split(",")]
    return float(values[header.index("fetch.nMsg.sec")])


async def aiokafka_produce(bootstrap: str, topic: str, records: int, size: int) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
        max_batch_size=BATCH_BYTES,
    )  # fmt: skip
    payload = os.urandom(size)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, payload) for _ in range(records)]
        await asyncio.gather(*futures)
        return records / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def aiokafka_consume(bootstrap: str, topic: str, records: int) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        seen, started = 0, None
        while seen < records:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if started is None and batch:
                started = time.perf_counter()
            seen += sum(len(v) for v in batch.values())
        assert started is not None
        return records / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def aiokafka_loop(bootstrap: str, topic: str, records: int, size: int) -> float:
    """A producer and a consumer in one process at once: records/s from the first send to
    the last record read (what the pipeline is compared with)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, 0)

    async def consume() -> None:
        seen = 0
        while seen < records:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(v) for v in batch.values())

    try:
        started = time.perf_counter()
        reader = asyncio.create_task(consume())
        await aiokafka_produce(bootstrap, topic, records, size)
        await reader
        return records / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def fresh_topic(bootstrap: str, what: str) -> str:
    name = f"bench.kafka.{what}.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(name, PARTITIONS, 1, {"retention.ms": "600000"})])
    return name


async def measure(bootstrap: str, records: int, size: int, rounds: int) -> dict[str, list[float]]:
    """Each baseline `rounds` times, interleaved, on fresh topics."""
    out: dict[str, list[float]] = {}
    for _ in range(rounds):
        perf_topic = await fresh_topic(bootstrap, "perf")
        bare_topic = await fresh_topic(bootstrap, "bare")
        loop_topic = await fresh_topic(bootstrap, "loop")
        runs = [
            ("perf_producer", perf_producer(bootstrap, perf_topic, records, size)),
            ("aiokafka_producer", aiokafka_produce(bootstrap, bare_topic, records, size)),
            ("perf_consumer", perf_consumer(bootstrap, perf_topic, records)),
            ("aiokafka_consumer", aiokafka_consume(bootstrap, bare_topic, records)),
            ("aiokafka_loop", aiokafka_loop(bootstrap, loop_topic, records, size)),
        ]
        for name, run in runs:
            out.setdefault(name, []).append(await run)
    return out


def rows(rates: dict[str, list[float]], records: int, size: int) -> list[Row]:
    med = {k: statistics.median(v) for k, v in rates.items()}
    what = f"{records:,} x {size} B, acks=all"
    return [
        Row("kafka", f"aiokafka producer ({what})", f"{med['aiokafka_producer']:,.0f} records/s",
            f"kafka-producer-perf-test {med['perf_producer']:,.0f} records/s",
            med["aiokafka_producer"] / med["perf_producer"], values=med),
        Row("kafka", "aiokafka consumer", f"{med['aiokafka_consumer']:,.0f} records/s",
            f"kafka-consumer-perf-test {med['perf_consumer']:,.0f} records/s",
            med["aiokafka_consumer"] / med["perf_consumer"]),
        Row("kafka", "bare aiokafka produce→consume loop, one process",
            f"{med['aiokafka_loop']:,.0f} records/s",
            f"kafka-producer-perf-test {med['perf_producer']:,.0f} records/s",
            med["aiokafka_loop"] / med["perf_producer"]),
    ]  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="a private broker")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rates = await measure(args.bootstrap, args.records, args.size, args.rounds)
    for name, values in rates.items():
        print(f"{name:20} " + "  ".join(f"{v:10,.0f}" for v in values) + "  records/s")
    out = rows(rates, args.records, args.size)
    for row in out:
        print(f"{row.what}: {row.figure}; {row.baseline}; ratio {row.ratio:.0%}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    emit(out)


if __name__ == "__main__":
    asyncio.run(main())
