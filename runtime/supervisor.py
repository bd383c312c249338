"""`sportello run`: every service as a child process, one merged log, one Ctrl-C.

Each child's output is prefixed with its name. A child that dies is restarted with a
growing delay; SIGINT or SIGTERM stops them all (SIGTERM, then SIGKILL after a grace period).
"""

import asyncio
import contextlib
import os
import signal
import sys
import time

from runtime.services import Service

_GRACE_S = 20.0


class Supervisor:
    def __init__(self, services: tuple[Service, ...], *, env: dict[str, str]) -> None:
        self._services = services
        self._env = env
        self._stopping = asyncio.Event()
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self._width = max(len(s.name) for s in services)

    def _say(self, name: str, line: str) -> None:
        sys.stdout.write(f"{name:<{self._width}} | {line}\n")
        sys.stdout.flush()

    async def _pipe(self, name: str, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self._say(name, line.decode(errors="replace").rstrip())

    async def _keep_running(self, service: Service) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                service.module,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self._env,
                start_new_session=True,  # Ctrl-C reaches us only; we decide how children stop
            )
            self._children[service.name] = proc
            assert proc.stdout is not None
            await self._pipe(service.name, proc.stdout)
            code = await proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > 60:
                delay = 1.0
            self._say(service.name, f"exited with {code}; restarting in {delay:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, 30.0)

    async def _stop_children(self) -> None:
        live = [p for p in self._children.values() if p.returncode is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in live)), _GRACE_S)
        except TimeoutError:
            for proc in live:
                if proc.returncode is None:
                    proc.kill()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        tasks = [asyncio.create_task(self._keep_running(s)) for s in self._services]
        await self._stopping.wait()
        self._say("run", "stopping every service…")
        await self._stop_children()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._say("run", "all stopped")


def run_services(services: tuple[Service, ...]) -> None:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(Supervisor(services, env=env).run())
