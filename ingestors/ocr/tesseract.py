"""A bounded pool of Tesseract processes, one page each, single-threaded.

Tesseract's own OpenMP threading costs more than it gives when pages run side by side: with
`OMP_THREAD_LIMIT=1` and one process per core, two cores read twice the pages per second.
So the pool runs at most `workers` Tesseract processes at a time (the machine's cores by
default), each limited to one thread, and asks for TSV so that words come back with their
confidences through the same reader as the mailroom's files.
"""

import asyncio
import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from ingestors.ocr.model import OcrFormatError, OcrPage, OcrUnavailable, UnreadableDocument
from ingestors.ocr.tsv import read_tsv


def default_workers() -> int:
    """The cores this process may run on (respects CPU affinity, e.g. in containers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class TesseractPool:
    """Run `tesseract` on page images, at most `workers` at once.

    Usage: `page = await pool.recognize(Path("scan.png"))`, or pass the image's bytes
    (any format Leptonica reads, e.g. PNM) with `dpi` when the image does not say it.
    Raises `UnreadableDocument` (reason `ocr_failed` or `ocr_timeout`) when Tesseract
    rejects the image, and `OcrUnavailable` when Tesseract cannot run or was killed.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        languages: str = "ita+eng",
        timeout_s: float = 300.0,
        executable: str = "tesseract",
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.workers = workers or default_workers()
        self.languages = languages
        self._timeout_s = timeout_s
        self._executable = executable
        env = dict(os.environ if base_env is None else base_env)
        env["OMP_THREAD_LIMIT"] = "1"
        self._env = env
        self._slots = asyncio.Semaphore(self.workers)
        self._running = 0

    @property
    def running(self) -> int:
        """Tesseract processes running now."""
        return self._running

    def command(self, source: str, *, dpi: int | None = None) -> list[str]:
        """The command line for one page (`source` is a path or `stdin`)."""
        dpi_args = ["--dpi", str(dpi)] if dpi else []
        return [self._executable, source, "stdout", "-l", self.languages, *dpi_args, "tsv"]

    async def recognize(self, image: Path | bytes, *, dpi: int | None = None) -> OcrPage:
        """Read one page image; returns its words with Tesseract's confidences."""
        async with self._slots:
            self._running += 1
            try:
                output = await self._run(image, dpi)
            finally:
                self._running -= 1
        try:
            document = read_tsv(output)
        except OcrFormatError as exc:
            raise UnreadableDocument("ocr_failed", f"unexpected Tesseract output: {exc}") from None
        paragraphs = tuple(para for page in document.pages for para in page.paragraphs)
        return OcrPage(paragraphs)

    async def _run(self, image: Path | bytes, dpi: int | None) -> bytes:
        if isinstance(image, bytes):
            source = "stdin"
        else:
            # "./" keeps a relative name that starts with "-" from reading as an option.
            source = str(image) if image.is_absolute() else f"./{image}"
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(source, dpi=dpi),
                stdin=asyncio.subprocess.PIPE if isinstance(image, bytes) else None,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
                # Its own session: a Ctrl-C meant for the service must not kill a page
                # half-read and make the page look unreadable.
                start_new_session=True,
            )
        except OSError as exc:
            raise OcrUnavailable(f"cannot run {self._executable}: {exc}") from exc
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(image if isinstance(image, bytes) else None),
                self._timeout_s,
            )
        except TimeoutError:
            await _kill(process)
            raise UnreadableDocument(
                "ocr_timeout", f"Tesseract took more than {self._timeout_s:.0f} s on a page"
            ) from None
        except BaseException:
            await _kill(process)
            raise
        if process.returncode is not None and process.returncode < 0:
            raise OcrUnavailable(f"Tesseract was killed by signal {-process.returncode}")
        if process.returncode != 0:
            tail = stderr.decode(errors="replace").strip()[-500:]
            raise UnreadableDocument("ocr_failed", f"Tesseract exit {process.returncode}: {tail}")
        return stdout


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    with contextlib.suppress(Exception):
        await asyncio.shield(process.wait())
