"""The wired pipeline under test: a Kafka broker of our own, worker processes of our own,
and a reader that watches the public topics.

Why a broker of our own. The worker tests run their own Faust workers (their own app ids,
some with a clock running thousands of times faster, some killed with SIGKILL). On the
shared broker such a worker would also process everyone else's submissions arriving while
it runs, and publish cases and SLA alerts for them on the shared public topics (an alert
emitted early under a test's clock keeps the id the real one will have). So this package
starts one more Apache Kafka, the same way `make` starts the shared one
(`deploy/local/kafka.sh`, on free ports, in a temporary directory), and stops it at the end.
Set `SPORTELLO_PIPELINE_TEST_KAFKA=host:port` to use a broker already running instead (a
private one: the benchmarks take the same variable).

Within that broker each scenario is isolated by its own app id: the app's internal topics
are created for it, and its consumer group is committed at the current end of the public
input topics before its first worker starts, so it reads only what the scenario publishes.
"""

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from aiokafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from processors.bodies import load_bodies
from processors.stages.topology import internal_topic_name
from runtime.topics import (
    CASE_COMMANDS,
    DEDUP_CITIZEN,
    DEDUP_PLACE,
    DEDUP_RESOLVE,
    declared_topics,
    ensure_topics,
)
from schemas import topics
from schemas.events import Event, SubmissionReceived, decode_event
from schemas.submission import Channel, Citizen, Location, Submission, tracking_id_for

REPO = Path(__file__).resolve().parents[3]
KAFKA_SH = REPO / "deploy" / "local" / "kafka.sh"
PARTITIONS = 6
INTERNAL = (DEDUP_RESOLVE, DEDUP_CITIZEN, DEDUP_PLACE, CASE_COMMANDS)
T = TypeVar("T")


# -- the broker ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PrivateKafka:
    """One Kafka node (KRaft) in `directory`, started and stopped by `deploy/local/kafka.sh`.
    Stopping reads the pid file in `directory`: only this broker is ever stopped."""

    directory: Path
    port: int = field(default_factory=_free_port)
    controller_port: int = field(default_factory=_free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return dict(
            os.environ,
            SPORTELLO_KAFKA_PORT=str(self.port),
            SPORTELLO_KAFKA_CONTROLLER_PORT=str(self.controller_port),
            SPORTELLO_KAFKA_DIR=str(self.directory),
            SPORTELLO_KAFKA_HEAP="-Xms256m -Xmx768m",
        )

    async def _script(self, command: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            str(KAFKA_SH),
            command,
            env=self._env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"kafka.sh {command} failed:\n{out.decode(errors='replace')}")

    async def start(self) -> None:
        await self._script("start")

    async def stop(self) -> None:
        await self._script("stop")


async def create_public_topics(bootstrap: str) -> None:
    body_ids = [b.id for b in load_bodies()]
    await ensure_topics(bootstrap, declared_topics(body_ids, partitions=PARTITIONS, replication=1))


async def create_internal_topics(
    bootstrap: str, app_id: str, only: Iterable[str] = INTERNAL
) -> None:
    """Create `app_id`'s copies of the internal topics declared as `only`."""
    declared = declared_topics([], partitions=PARTITIONS, replication=1)
    wanted = set(only)
    own = [
        replace(spec, name=internal_topic_name(app_id, spec.name))
        for spec in declared
        if spec.name in wanted
    ]
    await ensure_topics(bootstrap, own)


async def prepare_app(
    bootstrap: str,
    app_id: str,
    *,
    intake_from: Mapping[int, int] | None = None,
    without: Iterable[str] = (),
) -> None:
    """Create `app_id`'s internal topics (but those declared as `without`), and start its
    consumer group at the current end of complaints.intake and complaints.status (a new
    group would otherwise read them from the beginning: every earlier scenario's
    submissions), or on complaints.intake at the offsets `intake_from` gives per partition."""
    skipped = set(without)
    await create_internal_topics(bootstrap, app_id, [n for n in INTERNAL if n not in skipped])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=app_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [
            TopicPartition(t, p) for t in (topics.INTAKE, topics.STATUS) for p in range(PARTITIONS)
        ]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        if intake_from is not None:
            ends.update({TopicPartition(topics.INTAKE, p): o for p, o in intake_from.items()})
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
    finally:
        await consumer.stop()


def unique_app_id(scenario: str) -> str:
    return f"pipeline-test-{scenario}-{uuid.uuid4().hex[:8]}"


def partition_of(key: str, partitions: int = PARTITIONS) -> int:
    """The partition Kafka's default partitioner (aiokafka's, Faust's) gives `key`."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


# -- the workers ---------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """One `python -m processors`, with its log in a file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    app_id: str = ""

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    async def ready(self, timeout: float = 150.0) -> None:
        """Wait until Faust says the worker is ready (its tables recovered, its partitions
        assigned); fail with the log's tail if it exits or takes longer. Generous: on a
        loaded 2-core machine two workers starting together took a minute to log a line."""
        deadline = asyncio.get_running_loop().time() + timeout
        while "[^Worker]: Ready" not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.text()[-4000:]}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"{self.name} not ready in {timeout} s:\n{self.text()[-4000:]}"
                )
            await asyncio.sleep(0.1)

    def assigned(self, topic: str) -> set[int] | None:
        """The partitions of `topic` Faust last said it assigned to this worker (None if it
        has not said yet). Parsed from its log table `| topic | {0-2} |`."""
        blocks = self.text().split("Setting newly assigned partitions")
        if len(blocks) < 2:
            return None
        last = blocks[-1].split("for group")[0]
        match = re.search(rf"\|\s*{re.escape(topic)}\s*\|\s*\{{([^}}]*)\}}", last)
        if match is None:
            return set()
        out: set[int] = set()
        for part in match.group(1).split(","):
            lo, _, hi = part.strip().partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        return out

    def settled(self) -> bool:
        """Whether the worker finished recovering after the last assignment it logged (a
        message that arrives before is read again from the committed offset, or, on a
        partition that has none yet, skipped by Faust: so tests publish after this)."""
        last = self.text().rsplit("Setting newly assigned partitions", 1)
        return len(last) == 2 and "[^---Recovery]: Worker ready" in last[1]

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last commit, no last flush."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_worker(
    bootstrap: str, app_id: str, directory: Path, name: str, **settings: str
) -> WorkerProcess:
    """Start a worker of `app_id` on `bootstrap`. `settings` are more SPORTELLO_* variables
    (e.g. `SPORTELLO_WORKER_CLOCK_RATE="30000"`). No SPORTELLO_* variable of the caller's
    environment reaches it: it runs on the shipped rules and policies.

    Faust's own `BROKER_SESSION_TIMEOUT` is set to 10 s (Faust's default is 60 s), so that
    the group notices a killed worker in seconds, and heartbeats go every second."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPORTELLO_")}
    env.update(
        PYTHONUNBUFFERED="1",
        SPORTELLO_KAFKA_BOOTSTRAP=bootstrap,
        SPORTELLO_WORKER_APP_ID=app_id,
        SPORTELLO_WORKER_DATA_DIR=str(directory / f"{name}-data"),
        BROKER_SESSION_TIMEOUT="10",
        BROKER_HEARTBEAT_INTERVAL="1",
        **settings,
    )
    log = directory / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "processors"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(name, proc, log, app_id)


@dataclass(frozen=True)
class Trace:
    """Where each marker (a submission id) was seen on complaints.intake, the app's internal
    topics and complaints.cases, and the app's committed offsets: why a submission is lost."""

    seen: dict[str, list[tuple[str, int, int]]]  # marker -> (topic, partition, offset)
    committed: dict[tuple[str, int], int]
    stages: list[str]  # the topics in the order a submission passes them

    def text(self) -> str:
        def where(m: str) -> str:
            return ", ".join(f"{t}/{p}@{o}" for t, p, o in self.seen[m]) or "nowhere"

        return "\n".join(f"{m}: {where(m)}" for m in self.seen)


async def trace(bootstrap: str, app_id: str, markers: Iterable[str]) -> Trace:
    """Read complaints.intake, the app's internal topics and complaints.cases from the
    beginning, noting where each marker appears; and the app's committed offsets."""
    stages = [
        topics.INTAKE,
        *(internal_topic_name(app_id, n) for n in (DEDUP_RESOLVE, DEDUP_CITIZEN, DEDUP_PLACE)),
        internal_topic_name(app_id, CASE_COMMANDS),
        topics.CASES,
    ]
    seen: dict[str, list[tuple[str, int, int]]] = {m: [] for m in markers}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(n, p) for n in stages for p in consumer.partitions_for_topic(n) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    for m, where in seen.items():
                        if r.value and m.encode() in r.value:
                            where.append((tp.topic, tp.partition, r.offset))
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(app_id)
    finally:
        await admin.close()
    committed = {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    return Trace(seen, committed, stages)


async def committed_everywhere(bootstrap: str, app_id: str) -> bool:
    """Whether the app's group has committed an offset above 0 on every partition of every
    topic its agents read (Faust treats a committed 0 as none; see `warm_up`)."""
    names = [topics.INTAKE, *(internal_topic_name(app_id, n) for n in INTERNAL)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(app_id)
    finally:
        await admin.close()
    committed = {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    partitions = {n: 1 if n.endswith((".resolve", ".place")) else PARTITIONS for n in names}
    return all(committed.get((n, p), 0) > 0 for n, k in partitions.items() for p in range(k))


async def warm_up(bootstrap: str, app_id: str, sender: "Sender") -> None:
    """Run submissions through the app's workers until its group has committed an offset
    on every partition it reads and its tables' changelogs have records, as in a
    deployment that has been running for a while (a worker dying in service, and figures
    measured in a steady state). Without it a test's workers start on partitions with no
    committed offset, as a new deployment does; `processors.consumer` makes both safe."""
    tag = uuid.uuid4().hex[:10]
    rng = random.Random(tag)
    deadline = asyncio.get_running_loop().time() + 90
    batch = 0
    while not await committed_everywhere(bootstrap, app_id):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the warm-up did not reach every partition")
        await sender.send(
            topics.INTAKE,
            *(
                submission_event(
                    f"warm-{tag}-{batch}-{i}",
                    f"Buca numero {i} in via Padova [{tag}]",
                    datetime.now(UTC),
                    hint="buche_stradali",
                    phone=f"+39 3{rng.randrange(10**8, 10**9)}",
                )
                for i in range(30)
            ),
        )
        batch += 1
        await asyncio.sleep(3)


# -- reading and writing the topics --------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    topic: str
    key: bytes | None
    event: Event[Any]
    timestamp_ms: int


class Watcher:
    """Reads `topics` from their end offsets at `start()` on, in the background, and keeps
    every event it reads. Tests filter by their own case ids."""

    def __init__(self, bootstrap: str, names: Iterable[str]) -> None:
        self._bootstrap = bootstrap
        self._names = list(names)
        self.seen: list[Seen] = []
        self.other: list[tuple[str, bytes]] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> "Watcher":
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await consumer.start()
        await consumer._client.force_metadata_update()
        tps = [
            TopicPartition(name, p)
            for name in self._names
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(tps)
        for tp, offset in (await consumer.end_offsets(tps)).items():
            consumer.seek(tp, offset)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for r in records:
                    try:
                        event = decode_event(r.value)
                    except ValidationError:  # an internal topic's own JSON
                        self.other.append((r.topic, r.value))
                        continue
                    self.seen.append(Seen(r.topic, r.key, event, r.timestamp))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    def events(
        self, topic: str | None = None, *, subject: str | None = None, kind: type[T] | None = None
    ) -> list[T]:
        out: list[Any] = []
        for s in self.seen:
            if topic is not None and s.topic != topic:
                continue
            if subject is not None and s.event.subject != subject:
                continue
            if kind is not None and not isinstance(s.event, kind):
                continue
            out.append(s.event)
        return out

    async def until(self, probe: Callable[[], T | None], timeout: float, what: str = "") -> T:
        """Wait until `probe()` returns something truthy."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self._task is not None and self._task.done():
                self._task.result()  # the reader failed: say why
            result = probe()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not within {timeout} s: {what}")
            await asyncio.sleep(0.05)


class Sender:
    """An idempotent, acks=all producer for the test's own events."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
        )

    async def start(self) -> "Sender":
        await self._producer.start()
        return self

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, topic: str, *events: Event[Any]) -> None:
        futures = [
            await self._producer.send(topic, e.to_json(), key=e.subject.encode()) for e in events
        ]
        await asyncio.gather(*futures)

    async def send_raw(self, topic: str, key: bytes, value: bytes) -> None:
        await (await self._producer.send(topic, value, key=key))


def submission_event(
    ref: str,
    text: str,
    at: datetime,
    *,
    channel: Channel = Channel.WEB,
    hint: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    name: str | None = None,
    address: str | None = None,
    district: str | None = None,
    legal_at: datetime | None = None,
) -> SubmissionReceived:
    """What an ingestor publishes on complaints.intake for the channel's reference `ref`."""
    citizen = Citizen(name=name, phone=phone, email=email) if (phone or email or name) else None
    location = Location(address=address, district=district) if (address or district) else None
    data = Submission(
        submission_id=tracking_id_for(channel, ref),
        channel=channel,
        idempotency_ref=ref,
        received_at=at,
        legal_receipt_at=legal_at or at,
        text=text,
        citizen=citizen,
        location=location,
        category_hint=hint,
    )
    return SubmissionReceived.new(
        data,
        source=f"/tests/{channel.value}",
        subject=data.submission_id,
        time=at,
        event_id=f"in-{data.submission_id}",
    )
