"""Labeled rows: the shipped corpus and a city's own history, read from CSV.

    rows = load_corpus()                                    # the shipped corpus
    rows = load_city_history_csv(path, "descrizione", "categoria")

A row's `group` ties together every rewording of one original text, so an evaluation split
by group never tests on a variant of a sentence it trained on. A city's history has no such
variants: each of its rows is its own group.
"""

import csv
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from processors.classify.corpus.sources import CORPUS_DIR

DEFAULT_CORPUS = CORPUS_DIR / "corpus.csv"
CORPUS_COLUMNS = ("text", "label", "language", "group", "style")


@dataclass(frozen=True)
class CorpusRow:
    """One labeled text. `language` is "" when unknown (a city's history rarely says)."""

    text: str
    label: str
    language: str
    group: str
    style: str


class CorpusError(ValueError):
    """A corpus or history file cannot be used: what is wrong, and where."""


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[CorpusRow]:
    """Read a corpus CSV with the header `text,label,language,group,style`."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(CORPUS_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise CorpusError(f"{path}: missing columns {', '.join(sorted(missing))}")
        rows = [
            CorpusRow(r["text"], r["label"], r["language"], r["group"], r["style"]) for r in reader
        ]
    return _checked(rows, path)


def load_city_history_csv(
    path: Path,
    text_column: str,
    label_column: str,
    *,
    language_column: str | None = None,
    delimiter: str | None = None,
) -> list[CorpusRow]:
    """Read a city's own history: one past case a row, its text and the category an operator
    gave it. The delimiter is sniffed (`,` `;` or tab) unless given; rows whose text or label
    is blank are skipped, since an operator's unlabeled case teaches nothing."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        sep = delimiter or _sniff_delimiter(sample)
        reader = csv.DictReader(handle, delimiter=sep)
        fields = reader.fieldnames or []
        wanted = [c for c in (text_column, label_column, language_column) if c]
        absent = [c for c in wanted if c not in fields]
        if absent:
            raise CorpusError(f"{path}: no column {', '.join(absent)} (columns: {fields})")
        rows = []
        for number, record in enumerate(reader, start=2):
            text = (record.get(text_column) or "").strip()
            label = (record.get(label_column) or "").strip()
            if text and label:
                language = (record.get(language_column) or "") if language_column else ""
                rows.append(CorpusRow(text, label, language.strip(), f"row-{number}", "history"))
    return _checked(rows, path)


def rows_sha256(rows: Iterable[CorpusRow]) -> str:
    """A digest of exactly what a model was trained on, independent of file formatting."""
    digest = hashlib.sha256()
    for row in rows:
        for field in (row.text, row.label, row.language, row.group):
            digest.update(field.encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()


def unknown_labels(rows: Sequence[CorpusRow], codes: Iterable[str]) -> list[str]:
    """Labels of `rows` that are not category codes of the taxonomy."""
    known = set(codes)
    return sorted({row.label for row in rows} - known)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _checked(rows: list[CorpusRow], path: Path) -> list[CorpusRow]:
    if not rows:
        raise CorpusError(f"{path}: no labeled rows")
    return rows
