"""The processes a run starts, their memory, and their end, whatever happens.

Every process a run starts carries `SPORTELLO_BENCH_RUN=<run id>` in its environment (set
in this process's own environment at the start, so the brokers, clusters and benchmark
scripts it starts, and what they start, inherit it). At the end, and on Ctrl-C or SIGTERM,
`Processes.close` stops what it spawned (SIGTERM, then SIGKILL), and then the run's first
`Processes` ends with `sweep`, by pid, any process still carrying this run's id: nothing of
the run outlives it, and nothing of anyone else's is touched.
"""

import atexit
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MARK = "SPORTELLO_BENCH_RUN"


def run_id() -> str:
    """This run's id: set once in this process's environment, inherited by its children."""
    if MARK not in os.environ:
        os.environ[MARK] = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return os.environ[MARK]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def marked(run: str) -> list[int]:
    """Pids of live processes started by run `run` (not this one)."""
    needle = f"{MARK}={run}".encode()
    out = []
    for entry in Path("/proc").iterdir():
        own = entry.name.isdigit() and int(entry.name) != os.getpid()
        if own and needle in _environ(int(entry.name)).split(b"\0"):
            out.append(int(entry.name))
    return out


def sweep(run: str) -> list[int]:
    """SIGKILL every process of run `run` still alive; returns their pids."""
    pids = marked(run)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids


def children(pid: int) -> list[int]:
    """The direct children of `pid` (from /proc)."""
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out.extend(int(c) for c in (task / "children").read_text().split())
    return out


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and every process under it (0 if it is gone)."""
    total = 0
    for p in (pid, *descendants(pid)):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def module_child(supervisor: int, module: str) -> int | None:
    """The pid of the child of a `sportello run` supervisor that runs `python -m <module>`."""
    for pid in children(supervisor):
        args = cmdline(pid)
        if "-m" in args and args[args.index("-m") + 1 : args.index("-m") + 2] == [module]:
            return pid
    return None


@dataclass
class Spawned:
    name: str
    proc: "subprocess.Popen[bytes]"
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Processes:
    """What a run spawns (each in a session of its own, its output in a log file), and the
    clean-up of all of it. Use as a context manager; it also installs SIGTERM handling so a
    `kill` of the run, like Ctrl-C, raises KeyboardInterrupt and runs the clean-up."""

    def __init__(self, log_dir: Path) -> None:
        # Only the run's first `Processes` sweeps: one made inside it (or in a child
        # script, which inherits the run id) leaves the broker and cluster alone.
        self._sweeps = MARK not in os.environ
        self.run = run_id()
        self.log_dir = log_dir
        self._spawned: list[Spawned] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> "Processes":
        if self._sweeps:
            # SIGINT too: a shell starts background jobs with it ignored.
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.default_int_handler)
            atexit.register(sweep, self.run)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spawn(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
    ) -> Spawned:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                env={**env, MARK: self.run},
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        spawned = Spawned(name, proc, log)
        self._spawned.append(spawned)
        return spawned

    def live(self) -> Iterator[Spawned]:
        return (s for s in self._spawned if s.alive())

    @staticmethod
    def stop(spawned: Spawned, grace_s: float = 25.0) -> None:
        """SIGTERM, then SIGKILL after `grace_s`."""
        if spawned.alive():
            spawned.proc.terminate()
            try:
                spawned.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                spawned.proc.kill()
                spawned.proc.wait(timeout=10)

    def close(self) -> None:
        """Stop everything spawned (newest first), then sweep what is left of the run."""
        for spawned in reversed(self._spawned):
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                self.stop(spawned)
        if self._sweeps:
            time.sleep(0.2)
            sweep(self.run)
