"""A private Kafka broker and PostgreSQL cluster on free ports, and Sportello's own services
on them under `sportello run` (the supervisor): what the benchmarks drive and the fault
suite breaks. Never the shared broker (9092) or database (5432).

    with Processes(run_dir / "logs") as procs:
        stack = PrivateStack(procs, run_dir)
        await stack.start()
        try:
            pipeline = Pipeline(stack.bootstrap, stack.dsn, run_dir, procs, app_id="bench-…")
            await pipeline.start()          # web, smtp, worker, sink; warmed up
            ...
        finally:
            await pipeline.stop()
            await stack.close()

The broker is `PrivateKafka` of the pipeline tests (deploy/local/kafka.sh in a folder of its
own) and the cluster `PrivateCluster` of the record tests (deploy/local/postgres.sh), so
killing or stopping them here is what the tests do too.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import asyncpg

from bench.harness.procs import Processes, Spawned, children, cmdline, module_child
from sinks.postgres.migrate import migrate
from tests.integration.pipeline.support import (
    KAFKA_SH,
    PrivateKafka,
    Sender,
    create_public_topics,
    prepare_app,
    warm_up,
)
from tests.integration.record.cluster import PrivateCluster, start_private_cluster, wait_until_up

REPO = Path(__file__).resolve().parents[2]
API_KEY = "bench-key-0123456789"
API_CLIENT = "bench"
SERVICE_NAMES = {
    "ingestors.web": "web",
    "ingestors.smtp": "smtp",
    "processors": "worker",
    "sinks.postgres": "sink",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateStack:
    """A broker and a PostgreSQL cluster of this run, in `directory`."""

    def __init__(self, procs: Processes, directory: Path) -> None:
        self.procs = procs
        self.directory = directory
        self.kafka = PrivateKafka(directory / "kafka")
        self.pg: PrivateCluster | None = None

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    @property
    def dsn(self) -> str:
        assert self.pg is not None
        return self.pg.dsn()

    async def start(self) -> None:
        await self.kafka.start()
        await create_public_topics(self.bootstrap)
        # A folder of its own in /tmp: the `postgres` user must reach it (see the record tests).
        folder = Path(tempfile.mkdtemp(prefix="sportello-bench-pg-"))
        self.pg = await asyncio.to_thread(start_private_cluster, folder)
        conn = await asyncpg.connect(self.dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    async def close(self) -> None:
        if self.pg is not None:
            try:
                await asyncio.to_thread(self.pg.stop)
            except (OSError, subprocess.CalledProcessError) as exc:  # the sweep ends it
                print(f"stopping PostgreSQL: {exc}", file=sys.stderr)
            shutil.rmtree(self.pg.folder, ignore_errors=True)
        try:
            await self.kafka.stop()
        except RuntimeError as exc:
            print(f"stopping Kafka: {exc}", file=sys.stderr)

    async def broker(self, command: str) -> None:
        """`deploy/local/kafka.sh <command>` (start, stop, kill) on this run's broker."""
        env = dict(
            os.environ,
            SPORTELLO_KAFKA_PORT=str(self.kafka.port),
            SPORTELLO_KAFKA_CONTROLLER_PORT=str(self.kafka.controller_port),
            SPORTELLO_KAFKA_DIR=str(self.kafka.directory),
            SPORTELLO_KAFKA_HEAP="-Xms256m -Xmx768m",
        )
        proc = await asyncio.create_subprocess_exec(
            str(KAFKA_SH), command, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"kafka.sh {command}: {out.decode(errors='replace')}")

    def broker_pid(self) -> int | None:
        pidfile = self.kafka.directory / "kafka.pid"
        return int(pidfile.read_text()) if pidfile.exists() else None

    def postgres_pid(self) -> int | None:
        assert self.pg is not None
        pidfile = self.pg.folder / "data" / "postmaster.pid"
        return int(pidfile.read_text().split()[0]) if pidfile.exists() else None

    async def postgres(self, command: str) -> None:
        """Stop or start this run's PostgreSQL (`deploy/local/postgres.sh`)."""
        assert self.pg is not None
        await asyncio.to_thread(self.pg.stop if command == "stop" else self.pg.start)
        if command == "start":
            await wait_until_up(self.dsn)


class Pipeline:
    """Sportello's services on a broker and database of this run: one supervisor
    (`sportello run web smtp worker sink`), plus a supervisor per extra worker
    (`sportello run worker`), as an operator scales out. Workers join Faust group
    `app_id`; `clock_rate` runs their SLA clock faster (`SPORTELLO_WORKER_CLOCK_RATE`)
    from `clock_origin`."""

    def __init__(
        self,
        bootstrap: str,
        dsn: str,
        directory: Path,
        procs: Processes,
        app_id: str,
        *,
        clock_rate: float = 1.0,
        clock_origin: str | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.dsn = dsn
        self.directory = directory
        self.procs = procs
        self.app_id = app_id
        self.web_port = free_port()
        self.smtp_port = free_port()
        self.main: Spawned | None = None
        self.extra: list[Spawned] = []
        self._clock = {"SPORTELLO_WORKER_CLOCK_RATE": str(clock_rate)}
        if clock_origin:
            self._clock["SPORTELLO_WORKER_CLOCK_ORIGIN"] = clock_origin
        self._tick = str(tick_s)
        self.web_url = f"http://127.0.0.1:{self.web_port}"

    def env(self, name: str) -> dict[str, str]:
        """The environment of supervisor `name`: this stack's addresses and ports, a worker
        data folder and metrics ports of its own, and nothing of the caller's SPORTELLO_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPORTELLO_")}
        env.update(
            PYTHONUNBUFFERED="1",
            SPORTELLO_BENCH_RUN=self.procs.run,
            SPORTELLO_KAFKA_BOOTSTRAP=self.bootstrap,
            SPORTELLO_PG_DSN=self.dsn,
            SPORTELLO_VAR_DIR=str(self.directory / "var"),
            SPORTELLO_WEB_PORT=str(self.web_port),
            SPORTELLO_PUBLIC_URL=self.web_url,
            SPORTELLO_SMTP_PORT=str(self.smtp_port),
            SPORTELLO_API_KEYS=f'{{"{API_CLIENT}": "{API_KEY}"}}',
            SPORTELLO_RATE_LIMIT_PER_S="1000000",
            SPORTELLO_RATE_LIMIT_BURST="1000000",
            SPORTELLO_WORKER_APP_ID=self.app_id,
            SPORTELLO_WORKER_DATA_DIR=str(self.directory / f"worker-{name}"),
            SPORTELLO_WORKER_METRICS_PORT=str(free_port()),
            SPORTELLO_SINK_METRICS_PORT=str(free_port()),
            SPORTELLO_WORKER_TICK_S=self._tick,
            # A killed worker's partitions go to the others in seconds, not Faust's 60 s.
            BROKER_SESSION_TIMEOUT="10",
            BROKER_HEARTBEAT_INTERVAL="1",
            **self._clock,
        )
        return env

    def _supervise(self, name: str, services: list[str]) -> Spawned:
        argv = [sys.executable, "-m", "runtime.cli", "run", *services]
        return self.procs.spawn(name, argv, self.env(name), cwd=REPO)

    async def start(self, workers: int = 1, warm: bool = True) -> None:
        """Start the services and wait until each answers; then (`warm`) run submissions
        through until the group has committed on every partition (see the pipeline
        tests' `warm_up`: Faust 0.15.3 mishandles partitions without a committed offset)."""
        await prepare_app(self.bootstrap, self.app_id)
        self.main = self._supervise("services", ["web", "smtp", "worker", "sink"])
        for i in range(1, workers):
            self.extra.append(self._supervise(f"worker{i + 1}", ["worker"]))
        await self.ready()
        if warm:
            sender = await Sender(self.bootstrap).start()
            try:
                await warm_up(self.bootstrap, self.app_id, sender)
            finally:
                await sender.stop()

    def supervisors(self) -> list[Spawned]:
        return [s for s in [self.main, *self.extra] if s is not None]

    async def ready(self, within_s: float = 120.0) -> None:
        deadline = time.monotonic() + within_s
        for sup in self.supervisors():
            await self.worker_ready(sup, 1, deadline - time.monotonic())
        while True:
            if self._answers():
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the web or SMTP intake did not answer")
            await asyncio.sleep(0.3)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.web_url}/healthz", timeout=2):
                pass
            with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=2) as s:
                return s.recv(3) == b"220"
        except OSError:
            return False

    @staticmethod
    async def worker_ready(sup: Spawned, times: int, within_s: float = 120.0) -> None:
        """Wait until the worker under `sup` has said "Ready" `times` times in all."""
        deadline = time.monotonic() + within_s
        while sup.text().count("[^Worker]: Ready") < times:
            if not sup.alive():
                raise RuntimeError(f"{sup.name} exited:\n{sup.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sup.name}'s worker not ready:\n{sup.text()[-3000:]}")
            await asyncio.sleep(0.3)

    def service_pids(self) -> dict[str, int]:
        """Each running service's pid, by name (`worker`, `worker2`, …)."""
        out: dict[str, int] = {}
        for sup in self.supervisors():
            for pid in children(sup.pid):
                args = cmdline(pid)
                if "-m" not in args:
                    continue
                module = args[args.index("-m") + 1]
                name = SERVICE_NAMES.get(module, module)
                if name == "worker" and sup is not self.main:
                    name = sup.name
                out[name] = pid
        return out

    def worker_pid(self, sup: Spawned) -> int | None:
        return module_child(sup.pid, "processors")

    async def add_worker(self) -> Spawned:
        sup = self._supervise(f"worker{len(self.extra) + 2}", ["worker"])
        self.extra.append(sup)
        await self.worker_ready(sup, 1)
        return sup

    async def remove_worker(self, sup: Spawned) -> None:
        await asyncio.to_thread(self.procs.stop, sup)
        self.extra.remove(sup)

    async def stop(self) -> None:
        for sup in reversed(self.supervisors()):
            await asyncio.to_thread(self.procs.stop, sup)
