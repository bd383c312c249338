"""A PostgreSQL restart and a sink killed in the middle of a stream lose and double nothing.

The sink runs as the real service (`python -m sinks.postgres`) on topics of the test's own,
writing into a PostgreSQL cluster of the test's own, which the test stops and starts while
the stream flows; then the sink is killed (SIGKILL: no clean shutdown, batches stored and
not committed) and started again. At the end every table holds exactly one row per fact.
"""

import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from sinks.postgres.replay import history_end_offsets
from tests.integration.record.cluster import (
    REPO,
    PrivateCluster,
    free_port,
    start_private_cluster,
    wait_until_up,
)
from tests.integration.record.histories import Request, dead_letters, histories
from tests.integration.record.streams import PrivateTopics
from tests.integration.record.tables import counts, dump, expected_counts
from tests.integration.record.test_replay import committed
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def own_cluster() -> Iterator[PrivateCluster]:
    """A cluster for this test alone: it is stopped and started in the middle."""
    folder = Path(tempfile.mkdtemp(prefix="sportello-test-pg-restart-"))
    cluster = start_private_cluster(folder)
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


def start_sink(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sinks.postgres"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the decoder dies with it
        )


def kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have died on its own: the test says so
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


async def test_a_postgres_restart_and_a_killed_sink_lose_and_double_nothing(
    own_cluster: PrivateCluster,
    topics: PrivateTopics,
    nyc_requests: list[Request],
    tmp_path: Path,
) -> None:
    dsn = await own_cluster.new_database()
    salt = uuid.uuid4().hex[:8]
    shift = timedelta(days=4000)
    feed = [i for h in histories(nyc_requests, salt=salt, shift=shift) for i in h.published]
    feed += dead_letters(nyc_requests, salt=salt, shift=shift)
    group = f"test-restart-{uuid.uuid4().hex[:8]}"
    env = sink_env(topics, dsn, group)
    log = tmp_path / "sink.log"
    sink = start_sink(env, log)
    quarter = len(feed) // 4

    try:
        await publish_in_steps(topics, feed[:quarter])
        await eventually(lambda: stored_events(dsn), timeout=60)  # the sink is up and storing
        own_cluster.stop()  # fast shutdown: open transactions are aborted
        await publish_in_steps(topics, feed[quarter : 2 * quarter])
        own_cluster.start()
        await wait_until_up(dsn)
        before = await stored_events(dsn)
        await publish_in_steps(topics, feed[2 * quarter : 3 * quarter])

        await storing_again(dsn, before, sink, log, timeout=120)
        kill(sink)  # whatever it was doing, and with its batches uncommitted
        sink = start_sink(env, log)
        await publish_in_steps(topics, feed[3 * quarter :])
        await caught_up(topics, group)
    finally:
        kill(sink)
    text = log.read_text(errors="replace")
    assert "cannot store a batch" in text, "PostgreSQL went away while the sink was idle"
    assert await stored_counts(dsn) == expected_counts(feed)


async def test_postgres_stopped_at_any_moment_never_stops_the_sink(
    own_cluster: PrivateCluster,
    topics: PrivateTopics,
    nyc_requests: list[Request],
    tmp_path: Path,
) -> None:
    """Ten stops, each at a moment of chance: between batches, in a COPY, in a merge, in a
    commit. Whatever state a batch cut short leaves its connection in, the sink must come
    back storing after each (asyncpg once wedged a connection "in another operation" and the
    sink died of it)."""
    dsn = await own_cluster.new_database()
    chance = random.Random(os.environ.get("SPORTELLO_TEST_SEED"))
    rounds = 10
    feed = [
        i
        for _ in range(3)
        for h in histories(nyc_requests, salt=uuid.uuid4().hex[:8], shift=timedelta(days=4000))
        for i in h.published
    ]
    step = len(feed) // (rounds + 1)
    group = f"test-restarts-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "sink.log"
    sink = start_sink(sink_env(topics, dsn, group), log)
    try:
        await publish_in_steps(topics, feed[:step])
        for n in range(1, rounds + 1):
            part = feed[n * step : (n + 1) * step if n < rounds else len(feed)]
            half = len(part) // 2
            publishing = asyncio.create_task(publish_in_steps(topics, part[:half]))
            await asyncio.sleep(chance.uniform(0, 0.6))
            await asyncio.to_thread(own_cluster.stop)
            await asyncio.sleep(chance.uniform(0, 1.5))
            await asyncio.to_thread(own_cluster.start)
            await publishing
            await wait_until_up(dsn)
            before = await stored_events(dsn)
            await publish_in_steps(topics, part[half:])

            await storing_again(dsn, before, sink, log, timeout=60, what=f"stop {n}: ")
        await caught_up(topics, group)
    finally:
        kill(sink)
    assert await stored_counts(dsn) == expected_counts(feed)


def sink_env(topics: PrivateTopics, dsn: str, group: str) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        SPORTELLO_KAFKA_BOOTSTRAP=topics.bootstrap,
        SPORTELLO_PG_DSN=dsn,
        SPORTELLO_SINK_GROUP_ID=group,
        SPORTELLO_SINK_TOPIC_PREFIX=topics.prefix,
        SPORTELLO_SINK_BATCH_SIZE="200",
        SPORTELLO_SINK_METRICS_PORT=str(free_port()),
        SPORTELLO_METRICS_INTERVAL_S="3600",
    )


async def stored_events(dsn: str) -> int:
    """Rows in `case_events`; 0 while PostgreSQL cannot be reached."""
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError):
        return 0
    try:
        return int(await conn.fetchval("select count(*) from case_events"))
    finally:
        await conn.close()


async def storing_again(
    dsn: str,
    before: int,
    sink: subprocess.Popen[bytes],
    log: Path,
    *,
    timeout: float,
    what: str = "",
) -> None:
    """Wait until the sink stores more than `before` events; fail with its exit status and
    the end of its log."""

    async def more() -> bool:
        return await stored_events(dsn) > before

    try:
        await eventually(more, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(
            f"{what}the sink stored nothing after PostgreSQL came back"
            f" (exit status {sink.poll()}); its log ends:\n" + log_tail(log)
        ) from exc


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def stored_counts(dsn: str) -> dict[str, int]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        return counts(await dump(pool))
    finally:
        await pool.close()


async def publish_in_steps(topics: PrivateTopics, part: list[Any]) -> None:
    for i in range(0, len(part), 100):
        await topics.publish(part[i : i + 100])
        await asyncio.sleep(0.05)


async def caught_up(topics: PrivateTopics, group: str) -> None:
    """Wait until the group has committed every history topic to its end."""
    end = await history_end_offsets(topics.bootstrap, topics.pattern)

    async def done() -> bool:
        offsets = await committed(topics.bootstrap, group)
        return all(offsets.get(tp, 0) >= offset for tp, offset in end.items() if offset)

    await eventually(done, timeout=120, interval=0.5)
