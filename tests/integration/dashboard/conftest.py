"""The dashboard's integration tests: a private PostgreSQL cluster with a fresh database per
test (the figures are over the whole store, so no one else's rows may be in it), the real
NYC 311 requests of the shared data, and the real broker for the web intake's publisher."""

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.integration.record.cluster import PrivateCluster, start_private_cluster
from tests.integration.record.histories import Request, find_shared_data, read_requests


@pytest.fixture(scope="session")
def dashboard_data() -> Path:
    """`../shared/data` beside the repository (CI), or beside the folder of worktrees."""
    return find_shared_data()


@pytest.fixture(scope="session")
def requests_311(dashboard_data: Path) -> list[Request]:
    return read_requests(dashboard_data)


@pytest.fixture(scope="session")
def dashboard_cluster() -> Iterator[PrivateCluster]:
    # Not under pytest's tmp folder: the `postgres` user must reach the cluster's folder.
    folder = Path(tempfile.mkdtemp(prefix="sportello-test-dashboard-pg-"))
    cluster = start_private_cluster(folder)
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def store(dashboard_cluster: PrivateCluster) -> AsyncIterator[asyncpg.Pool]:
    """A fresh, migrated database of the private cluster."""
    dsn = await dashboard_cluster.new_database()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()
