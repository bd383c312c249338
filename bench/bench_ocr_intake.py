"""Pages per second through the scan watcher, beside plain `tesseract` on the same pages.

    .venv/bin/python bench/bench_ocr_intake.py [--pages 24] [--rounds 3] [--openmp]

Both run in the same run, on the same freshly rendered pages, with the same parallelism
(one single-threaded Tesseract per worker, OMP_THREAD_LIMIT=1, each in its own session):

- baseline: `tesseract page.png stdout -l ita+eng`, `workers` at a time;
- watcher: the pages dropped into an inbox; the real scan watcher (stability check,
  hashing, blob store, OCR pool, Kafka publish with acks=all, move to processed/) from
  its start until the last file is in processed/.

Each round times the baseline before and after the watcher and compares the watcher with
their mean, so that load from elsewhere on the machine weighs on both alike; the median
ratio over the rounds is the figure. On a shared, busy machine single rounds swing by
+-30%: run several rounds, or several times. `--openmp` also times plain tesseract without
OMP_THREAD_LIMIT at the same parallelism.
Needs Kafka (the default is the shared broker at 127.0.0.1:9092).
"""

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from ingestors.ocr.synthetic import encode, render_page
from ingestors.ocr.tesseract import default_workers
from ingestors.scans.service import build_reader, build_scan_watcher
from ingestors.scans.settings import ScanSettings
from runtime.blobstore import BlobStore
from runtime.publisher import Publisher

FORM = [
    "COMUNE DI ESEMPIO - UFFICIO RELAZIONI CON IL PUBBLICO",
    "MODULO DI SEGNALAZIONE / RECLAMO  n. {n}",
    "",
    "Cognome e nome: Rossi Maria Grazia",
    "Indirizzo: Via Garibaldi 14, 40121",
    "Oggetto: buche e lampione spento in via Garibaldi",
    "",
    "Da oltre tre settimane il lampione davanti al civico 14",
    "è spento e la sera la strada è completamente al buio.",
    "Inoltre sul marciapiede c'è una buca profonda circa",
    "dieci centimetri. Chiedo un intervento urgente.",
    "Riferimento {tag}",
]


def make_pages(count: int, folder: Path, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        lines = [line.format(n=n, tag=tag) for line in FORM]
        image = render_page(lines, width=1300, font_px=30, skew_deg=0.7, noise=0.002, seed=n)
        path = folder / f"pagina-{n:03d}.png"
        path.write_bytes(encode(image, "PNG"))
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Tesseract, workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def plain_tesseract(pages: list[Path], workers: int, *, omp_limit: bool) -> float:
    env = dict(os.environ)
    if omp_limit:
        env["OMP_THREAD_LIMIT"] = "1"
    else:
        env.pop("OMP_THREAD_LIMIT", None)

    def one(page: Path) -> None:
        subprocess.run(
            ["tesseract", str(page), "stdout", "-l", "ita+eng"],
            check=True,
            capture_output=True,
            env=env,
            # As the watcher's pool does; with the kernel's autogroup scheduling a process
            # in its own session gets its own share of the CPU, so both must do the same.
            start_new_session=True,
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, pages))
    return len(pages) / (time.perf_counter() - start)


async def through_watcher(pages: list[Path], workers: int, root: Path, kafka: str) -> float:
    settings = ScanSettings(
        var_dir=root / "var",
        scan_inbox=root / "inbox",
        kafka_bootstrap=kafka,
        ocr_workers=workers,
        inbox_stable_s=1.0,
    )
    inbox = settings.scan_inbox_dir
    inbox.mkdir(parents=True)
    for page in pages:
        shutil.copy2(page, inbox / page.name)
    old = time.time() - 60  # a backlog: complete files, as after a night of scanning
    for page in inbox.iterdir():
        os.utime(page, (old, old))
    publisher = Publisher(kafka, client_id="bench-ocr-intake")
    processed = inbox / "processed"
    start = time.perf_counter()
    await publisher.start()
    async with build_reader(settings) as reader:
        watcher = build_scan_watcher(
            settings, reader=reader, publisher=publisher, blobs=BlobStore(settings.blob_dir)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        while sum(1 for _ in processed.rglob("*.png")) < len(pages):
            if task.done():
                task.result()
                raise RuntimeError("the watcher stopped")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        stop.set()
        await task
    await publisher.stop()
    await asyncio.sleep(1.0)  # let the worker processes be reaped, so their CPU counts
    failed = list((inbox / "failed").iterdir())
    if failed:
        raise RuntimeError(f"pages refused: {failed}")
    return len(pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24, help="pages per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--openmp", action="store_true", help="also time unlimited OpenMP")
    parser.add_argument(
        "--kafka", default=os.environ.get("SPORTELLO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    args = parser.parse_args()
    print(
        f"{args.rounds} rounds of {args.pages} pages, {args.workers} workers, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    rates: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        for number in range(args.rounds):
            root = Path(tmp) / f"round-{number}"
            # Fresh pages every round: new hashes, so nothing is published twice.
            pages = make_pages(args.pages, root / "pages", os.urandom(6).hex())
            cpu = cpu_seconds()
            before = plain_tesseract(pages, args.workers, omp_limit=True)
            cpu_plain = cpu_seconds() - cpu
            watcher = asyncio.run(through_watcher(pages, args.workers, root / "run", args.kafka))
            cpu_watcher = cpu_seconds() - cpu - cpu_plain
            after = plain_tesseract(pages, args.workers, omp_limit=True)
            ratio = watcher / ((before + after) / 2)
            ratios.append(ratio)
            rates.append((watcher, (before + after) / 2))
            cpu_ratios.append(cpu_plain / cpu_watcher)
            print(
                f"round {number + 1}: tesseract {before:5.2f} | watcher {watcher:5.2f} | "
                f"tesseract {after:5.2f} pages/s -> {ratio:.1%}; CPU s/page: tesseract "
                f"{cpu_plain / len(pages):.2f}, watcher {cpu_watcher / len(pages):.2f}"
            )
        if args.openmp:
            unlimited = plain_tesseract(pages, args.workers, omp_limit=False)
            limited = plain_tesseract(pages, args.workers, omp_limit=True)
            print(
                f"plain tesseract: OMP_THREAD_LIMIT=1 {limited:.2f} pages/s, OpenMP "
                f"unlimited {unlimited:.2f} pages/s ({limited / unlimited:.2f}x)"
            )
    print(
        f"ratio watcher / plain tesseract, median of {len(ratios)} rounds: "
        f"{statistics.median(ratios):.1%} (goal: >= 90%); load average now "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "CPU per page, plain tesseract / watcher with all its processes: "
        f"{statistics.median(cpu_ratios):.1%} (also inflated by others' load, less so)"
    )
    watcher_rate = statistics.median(r[0] for r in rates)
    plain_rate = statistics.median(r[1] for r in rates)
    emit([
        Row("ocr_intake", f"scan watcher, {args.workers} workers", f"{watcher_rate:.2f} pages/s",
            f"plain tesseract {plain_rate:.2f} pages/s", statistics.median(ratios), "≥ 90%"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
