"""Fixtures of the loop's integration tests: a web intake with body keys on the shared broker
and database (cases of their own, unique ids); for the notifier, a PostgreSQL of its own,
topics of its own on the shared broker, and a real SMTP server as the relay."""

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.integration.loop.mail import LoopTopics, Relay
from tests.integration.loop.support import Web, web_running
from tests.integration.record.cluster import PrivateCluster, start_private_cluster

KEYS = {"strade": "k-strade-0123456789", "verde": "k-verde-0123456789"}


@pytest.fixture(scope="session")
async def web_with_body_keys(
    kafka_bootstrap: str, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Web]:
    async with web_running(
        kafka_bootstrap,
        pool=pg_pool,
        body_keys=KEYS,
        api_keys={"app-comune": "k-app-0123456789"},
        reopen_secret="loop-test-reopen-secret",
        var_dir=tmp_path_factory.mktemp("loop-web"),
    ) as web:
        yield web


@pytest.fixture(scope="session")
def private_cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL of the loop's own: the notifier's ledger (migration 0006) is not on the
    shared server until the lead migrates it. Not under pytest's tmp folder: the `postgres`
    user must reach the cluster's folder."""
    folder = Path(tempfile.mkdtemp(prefix="sportello-test-loop-pg-"))
    cluster = start_private_cluster(folder)
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def db(private_cluster: PrivateCluster) -> AsyncIterator[asyncpg.Pool]:
    """A fresh, migrated database of the private cluster."""
    pool = await asyncpg.create_pool(await private_cluster.new_database(), min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def loop_topics(kafka_bootstrap: str) -> AsyncIterator[LoopTopics]:
    made = LoopTopics(kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}.")
    await made.create()
    yield made
    await made.delete()


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    r = Relay()
    await r.start()
    yield r
    await r.stop()
