"""The workers that parse, store and OCR mail, outside the event loop.

Small mail (the usual complaint) goes to a thread pool: no process hop, and the work is
short or waits on fsync and Tesseract with the GIL released. Large mail goes to a process
pool, so that reading 10 MB of MIME never holds the GIL the event loop needs to serve the
other sessions. A process pool whose worker was killed is replaced.
"""

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from ingestors.smtp.assemble import AssemblyConfig, Prepared, init_worker, prepare_mail
from ingestors.smtp.intake import Envelope

log = logging.getLogger(__name__)


class ParsePool:
    """`threads` for mail up to `large_bytes`, `processes` for larger mail; either may be
    0, and then the other takes everything."""

    def __init__(
        self, config: AssemblyConfig, *, threads: int, processes: int, large_bytes: int
    ) -> None:
        if threads < 1 and processes < 1:
            raise ValueError("the parse pool needs at least one thread or process")
        self._config = config
        self._large_bytes = large_bytes if threads and processes else (0 if processes else -1)
        self._threads: ThreadPoolExecutor | None = None
        if threads:
            self._threads = ThreadPoolExecutor(
                threads, "smtp-parse", initializer=init_worker, initargs=(config,)
            )
        self._processes_wanted = processes
        self._processes: ProcessPoolExecutor | None = self._new_processes()

    def _new_processes(self) -> ProcessPoolExecutor | None:
        if not self._processes_wanted:
            return None
        return ProcessPoolExecutor(
            self._processes_wanted,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self._config,),
        )

    def _executor_for(self, size: int) -> Executor:
        if self._processes is not None and (self._threads is None or size > self._large_bytes):
            return self._processes
        assert self._threads is not None
        return self._threads

    async def prepare(self, raw: bytes, envelope: Envelope, received_at: datetime) -> Prepared:
        loop = asyncio.get_running_loop()
        executor = self._executor_for(len(raw))
        try:
            return await loop.run_in_executor(executor, prepare_mail, raw, envelope, received_at)
        except BrokenProcessPool:
            if executor is self._processes:
                log.error("a parse worker process died; starting a new pool")
                executor.shutdown(wait=False, cancel_futures=True)
                self._processes = self._new_processes()
            raise

    async def warm_up(self) -> None:
        """Start every worker now, so the first mails do not wait for interpreters."""
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(self._threads, _noop)] if self._threads else []
        if self._processes is not None:
            jobs += [
                loop.run_in_executor(self._processes, _noop) for _ in range(self._processes_wanted)
            ]
        await asyncio.gather(*jobs)

    def close(self) -> None:
        for executor in (self._threads, self._processes):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=False)


def _noop() -> None:
    return None
