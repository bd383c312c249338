"""A private PostgreSQL cluster, started with deploy/local/postgres.sh on a free port in a
folder of its own: tests that stop and start PostgreSQL, or truncate tables, use it and never
touch the shared server."""

import asyncio
import os
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from sinks.postgres.migrate import migrate

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "deploy" / "local" / "postgres.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivateCluster:
    folder: Path
    port: int

    @property
    def env(self) -> dict[str, str]:
        return dict(
            os.environ, SPORTELLO_PG_PORT=str(self.port), SPORTELLO_PG_DIR=str(self.folder)
        )

    def _run(self, *args: str) -> None:
        subprocess.run([str(SCRIPT), *args], env=self.env, check=True, capture_output=True)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")

    def superuser(self, sql: str) -> None:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bindir / "psql"), "-h",
             str(self.folder / "data"), "-p", str(self.port), "-U", "postgres", "-qAt",
             "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True,
        )

    def dsn(self, database: str = "sportello") -> str:
        return f"postgresql://sportello:sportello@127.0.0.1:{self.port}/{database}"

    async def new_database(self) -> str:
        """A fresh, migrated database; returns its DSN."""
        name = "t_" + uuid.uuid4().hex[:12]
        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()
        conn = await asyncpg.connect(self.dsn(name))
        try:
            await migrate(conn)
        finally:
            await conn.close()
        return self.dsn(name)


def start_private_cluster(folder: Path) -> PrivateCluster:
    cluster = PrivateCluster(folder, free_port())
    folder.mkdir(parents=True, exist_ok=True)
    cluster.start()
    cluster.superuser("alter role sportello createdb")
    return cluster


async def wait_until_up(dsn: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            conn = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        else:
            await conn.close()
            return
