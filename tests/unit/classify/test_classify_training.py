"""Training is reproducible, and retrains from a city's own history CSV."""

import csv
from pathlib import Path

import numpy as np
import pytest

from processors.classify import (
    Classifier,
    CorpusError,
    CorpusRow,
    load_city_history_csv,
    save,
    train,
)
from processors.classify.command import TrainingRequest, main, run_training
from processors.classify.model import file_sha256


def test_same_rows_and_seed_give_the_same_model(
    small_corpus: list[CorpusRow], tmp_path: Path
) -> None:
    first = train(small_corpus, seed=11)
    second = train(small_corpus, seed=11)
    texts = [row.text for row in small_corpus[:200]]
    assert first.predict_many(texts) == second.predict_many(texts)
    assert first.version == second.version
    a = save(first, tmp_path / "a")
    b = save(second, tmp_path / "b")
    assert file_sha256(a) == file_sha256(b)
    loaded = Classifier.load(tmp_path / "a")
    assert loaded.predict_many(texts) == first.predict_many(texts)


def test_training_needs_two_categories(small_corpus: list[CorpusRow]) -> None:
    one = [row for row in small_corpus if row.label == "lampioni"]
    with pytest.raises(ValueError, match="two categories"):
        train(one, seed=1)


def _write_history(rows: list[CorpusRow], path: Path) -> None:
    """A city's export: its own column names, semicolons, a BOM, and some unlabeled rows."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["id", "descrizione", "categoria", "stato"])
        for i, row in enumerate(rows):
            writer.writerow([i, row.text, row.label, "chiusa"])
        writer.writerow([len(rows), "testo senza categoria", "", "aperta"])
        writer.writerow([len(rows) + 1, "", "lampioni", "aperta"])


def test_city_history_csv_is_read_with_its_own_columns(
    small_corpus: list[CorpusRow], tmp_path: Path
) -> None:
    path = tmp_path / "storico.csv"
    _write_history(small_corpus, path)
    rows = load_city_history_csv(path, "descrizione", "categoria")
    assert [(r.text, r.label) for r in rows] == [(r.text, r.label) for r in small_corpus]
    assert len({r.group for r in rows}) == len(rows)
    with pytest.raises(CorpusError, match="no column testo"):
        load_city_history_csv(path, "testo", "categoria")


def test_retraining_from_a_city_history(
    small_corpus: list[CorpusRow], corpus: list[CorpusRow], tmp_path: Path
) -> None:
    history = tmp_path / "storico.csv"
    _write_history(small_corpus, history)
    out = tmp_path / "model"
    request = TrainingRequest(
        out_dir=out,
        history=history,
        text_column="descrizione",
        label_column="categoria",
        seed=3,
        evaluate=True,
    )
    lines: list[str] = []
    outcome = run_training(request, echo=lines.append)
    assert outcome.report is not None
    assert outcome.report.clean.accuracy > 0.4  # a tenth of the corpus, unseen groups
    assert any("saved" in line for line in lines)
    model = Classifier.load(out)
    assert model.version.rows == len(small_corpus)
    seen = {s.group for s in small_corpus}
    held = [r for r in corpus if r.group not in seen][::40]  # spread over every category
    predictions = model.predict_many([r.text for r in held])
    accuracy = np.mean([p.category == r.label for p, r in zip(predictions, held, strict=True)])
    assert accuracy > 0.4
    assert {p.language for p in predictions} == {"it", "en"}


def test_command_refuses_labels_outside_the_taxonomy(tmp_path: Path) -> None:
    history = tmp_path / "storico.csv"
    history.write_text("text,label\nbuca in strada,buche\nlampione,luce\n", encoding="utf-8")
    code = main(["--history", str(history), "--out", str(tmp_path / "m"), "--no-evaluate"])
    assert code == 2
    assert not (tmp_path / "m").exists()
