"""The record's integration tests: a private PostgreSQL cluster (deploy/local/postgres.sh on
a free port in a folder of its own), a fresh database per test, and topics of the tests' own
on the real broker, so that tables can be emptied, compared whole and PostgreSQL stopped
without touching the shared server or anyone's topics."""

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.integration.record.cluster import PrivateCluster, start_private_cluster
from tests.integration.record.histories import Request, find_shared_data, read_requests
from tests.integration.record.streams import PrivateTopics


@pytest.fixture(scope="session")
def record_data() -> Path:
    return find_shared_data()


@pytest.fixture(scope="session")
def nyc_requests(record_data: Path) -> list[Request]:
    return read_requests(record_data)


@pytest.fixture(scope="session")
def private_cluster() -> Iterator[PrivateCluster]:
    # Not under pytest's tmp folder: the `postgres` user must reach the cluster's folder.
    folder = Path(tempfile.mkdtemp(prefix="sportello-test-pg-"))
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
async def topics(kafka_bootstrap: str) -> AsyncIterator[PrivateTopics]:
    made = PrivateTopics.fresh(kafka_bootstrap)
    await made.create()
    yield made
    await made.delete()
