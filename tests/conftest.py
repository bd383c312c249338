"""Shared fixtures. Integration tests use the real Kafka broker and PostgreSQL that
`make test` starts (deploy/local/), at the addresses in SPORTELLO_* or the defaults."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from runtime.settings import CommonSettings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that stop a real service run after all the others."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def settings() -> CommonSettings:
    return CommonSettings()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: CommonSettings) -> str:
    return settings.kafka_bootstrap


@pytest.fixture(scope="session")
def pg_dsn(settings: CommonSettings) -> str:
    return settings.pg_dsn.get_secret_value()


@pytest.fixture(scope="session")
async def pg_pool(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The stream worker and the PostgreSQL sink, as real processes, for the whole session.

    Yields their log files, which a failing test can read."""
    logs = tmp_path_factory.mktemp("pipeline")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("SPORTELLO_WORKER_DATA_DIR", str(logs / "worker-data"))
    procs = {
        "worker": _spawn("processors", env, logs / "worker.log"),
        "sink": _spawn("sinks.postgres", env, logs / "sink.log"),
    }
    yield {name: logs / f"{name}.log" for name in procs}
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
