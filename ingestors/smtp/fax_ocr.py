"""OCR of fax pages with Tesseract, kept small and apart so it can later be pointed at the
project's shared OCR module (`ingestors/ocr/`) without touching the rest of the SMTP intake.

`read_pages(files, config)` runs `tesseract` (one thread per process, `OMP_THREAD_LIMIT=1`,
so OCR never takes both cores from the SMTP sessions) on TIFF pages directly (multi-page TIFF
included) and on PDF pages rendered by poppler's `pdftoppm`, and returns the text with the
mean word confidence. It never raises: a page that cannot be read is reported in `errors`.
"""

import csv
import io
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingestors.smtp.mime import Attachment


@dataclass(frozen=True)
class OcrConfig:
    languages: str = "ita+eng"
    timeout_s: float = 120.0
    tesseract: str = "tesseract"
    pdftoppm: str = "pdftoppm"
    pdf_dpi: int = 300


@dataclass(frozen=True)
class OcrResult:
    text: str
    confidence: float | None
    pages: int
    errors: tuple[str, ...] = ()


def read_pages(files: Sequence[Attachment], config: OcrConfig) -> OcrResult:
    """OCR every page of `files`, in order."""
    texts: list[str] = []
    confidences: list[float] = []
    pages = 0
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sportello-fax-") as tmp:
        workdir = Path(tmp)
        for index, item in enumerate(files):
            try:
                images = _images(item, index, workdir, config)
                for image in images:
                    text, words, page_count = _tesseract(image, config)
                    texts.append(text)
                    confidences.extend(words)
                    pages += page_count
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                errors.append(f"{item.filename or item.media_type}: {exc}"[:300])
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    text = "\n\n".join(t for t in texts if t.strip())
    return OcrResult(text, confidence, pages, tuple(errors))


def _images(item: Attachment, index: int, workdir: Path, config: OcrConfig) -> list[Path]:
    suffix = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
        item.media_type, ".tif"
    )
    source = workdir / f"page{index:03d}{suffix}"
    source.write_bytes(item.content)
    if item.media_type != "application/pdf":
        return [source]
    prefix = workdir / f"pdf{index:03d}"
    _run(
        [config.pdftoppm, "-r", str(config.pdf_dpi), "-gray", "-png", str(source), str(prefix)],
        config,
    )
    rendered = sorted(workdir.glob(f"{prefix.name}-*.png"))
    if not rendered:
        raise ValueError("pdftoppm rendered no page")
    return rendered


def _tesseract(image: Path, config: OcrConfig) -> tuple[str, list[float], int]:
    out = _run([config.tesseract, str(image), "stdout", "-l", config.languages, "tsv"], config)
    return parse_tsv(out)


def parse_tsv(tsv: str) -> tuple[str, list[float], int]:
    """Text (lines and paragraphs as Tesseract found them), word confidences, page count."""
    lines: dict[tuple[str, str, str, str], list[str]] = {}
    confidences: list[float] = []
    pages: set[str] = set()
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        pages.add(row.get("page_num") or "1")
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        try:
            conf = float(row.get("conf") or "-1")
        except ValueError:
            conf = -1.0
        if conf >= 0:
            confidences.append(conf)
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        lines.setdefault(key, []).append(row["text"].strip())
    out: list[str] = []
    previous: tuple[str, str, str] | None = None
    for (page, block, par, _line), words in lines.items():
        if previous is not None and previous != (page, block, par):
            out.append("")
        out.append(" ".join(words))
        previous = (page, block, par)
    return "\n".join(out), confidences, len(pages)


def _run(argv: list[str], config: OcrConfig) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(  # noqa: S603 — fixed argv from settings, no shell
        argv, capture_output=True, timeout=config.timeout_s, env=env, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"{Path(argv[0]).name} exited {done.returncode}: {message[-1:] or ''}")
    return done.stdout.decode("utf-8", "replace")
