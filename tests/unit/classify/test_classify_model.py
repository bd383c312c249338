"""The shipped model: loads with its checks, predicts sanely and deterministically."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from processors.classify import (
    Classifier,
    CorpusRow,
    ModelCorrupt,
    ModelNotFound,
    ModelVersionMismatch,
    needs_triage,
    triage_reason,
)
from processors.classify.data import rows_sha256
from processors.classify.model import MODEL_DIR, VERSION_FILE
from processors.taxonomy import load_taxonomy

CODES = [c.code for c in load_taxonomy()]
BODY = {c.code: c.body for c in load_taxonomy()}

EXAMPLES = [
    ("Il lampione davanti al civico 12 di via Roma è spento da una settimana", "lampioni"),
    ("C'è una buca enorme in corso Lodi, ho rotto il cerchione", "buche_stradali"),
    ("Topi che girano tra i cassonetti in via Padova", "infestanti"),
    ("The bins on Mill Road haven't been emptied for two weeks", "raccolta_rifiuti"),
    ("Loud music from the bar downstairs every night until 3am", "rumore"),
    ("Someone dumped a fridge and a mattress next to the bins", "abbandono_rifiuti"),
    ("Ho pagato due volte la TARI e chiedo il rimborso", "avvisi_pagamento"),
    ("My electronic identity card never arrived", "carta_identita"),
]


def test_shipped_model_was_trained_on_the_shipped_corpus(
    shipped: Classifier, corpus: list[CorpusRow]
) -> None:
    assert shipped.version.corpus_sha256 == rows_sha256(corpus)
    assert shipped.version.rows == len(corpus)
    assert set(shipped.categories) == set(CODES)
    assert set(shipped.version.languages) == {"it", "en"}


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_plain_complaints_get_the_body_that_owns_them(
    shipped: Classifier, text: str, expected: str
) -> None:
    prediction = shipped.predict(text)
    assert BODY[prediction.category] == BODY[expected], prediction


def test_prediction_is_well_formed(shipped: Classifier) -> None:
    p = shipped.predict("Il semaforo all'incrocio è spento")
    assert p.category == p.alternatives[0].category
    assert p.confidence == p.alternatives[0].confidence
    assert len(p.alternatives) == 3
    confidences = [a.confidence for a in p.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert p.category == "semafori"
    assert not needs_triage(p, 0.35)
    assert "semafori" in triage_reason(p, 0.35)


def test_predictions_are_deterministic(shipped: Classifier) -> None:
    texts = [text for text, _ in EXAMPLES]
    first = shipped.predict_many(texts)
    assert shipped.predict_many(texts) == first
    assert [shipped.predict(t) for t in texts] == first
    again = Classifier.load()
    assert again.predict_many(texts) == first


@pytest.mark.parametrize("text", ["", "   \n\t", "12345 67", "!!!"])
def test_text_without_words_goes_to_triage(shipped: Classifier, text: str) -> None:
    prediction = shipped.predict(text)
    assert prediction.confidence == 0.0
    assert needs_triage(prediction, 0.01)


def test_very_long_text_is_clipped_not_refused(shipped: Classifier) -> None:
    text = "Buongiorno, il lampione è spento. " + "bla " * 50_000
    assert shipped.predict(text).category == "lampioni"


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL_DIR, target)
    return target


def _edit_version(directory: Path, **changes: object) -> None:
    path = directory / VERSION_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_loader_refuses_a_model_from_another_scikit_learn(tmp_path: Path) -> None:
    directory = _copy_model(tmp_path)
    _edit_version(directory, sklearn_version="0.24.2")
    with pytest.raises(ModelVersionMismatch, match=r"scikit-learn 0\.24\.2"):
        Classifier.load(directory)


def test_loader_refuses_another_format(tmp_path: Path) -> None:
    directory = _copy_model(tmp_path)
    _edit_version(directory, format=99)
    with pytest.raises(ModelVersionMismatch, match="format 99"):
        Classifier.load(directory)


def test_loader_refuses_a_tampered_pickle(tmp_path: Path) -> None:
    directory = _copy_model(tmp_path)
    with (directory / "classifier.joblib").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelCorrupt):
        Classifier.load(directory)


def test_loader_says_when_there_is_no_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="sportello train"):
        Classifier.load(tmp_path)


def test_loader_refuses_codes_outside_the_taxonomy() -> None:
    with pytest.raises(ModelVersionMismatch, match="lampioni"):
        Classifier.load(categories=[c for c in CODES if c != "lampioni"])
    assert Classifier.load(categories=CODES).categories


def test_fast_scoring_agrees_with_scikit_learn(
    shipped: Classifier, corpus: list[CorpusRow]
) -> None:
    texts = [row.text for row in corpus[::50]] + ["", "buca", "!!!"]
    pipelines = shipped.artifact()
    ours = [p.alternatives[0] for p in shipped.predict_many(texts)]
    theirs = pipelines["categories"].predict_proba(texts)
    classes = list(pipelines["categories"].classes_)
    for mine, row, text in zip(ours, theirs, texts, strict=True):
        if any(ch.isalpha() for ch in text):
            assert mine.category == classes[int(np.argmax(row))]
            assert mine.confidence == pytest.approx(float(np.max(row)), abs=1e-6)
    languages = pipelines["languages"].predict(texts[:-3])
    assert [p.language for p in shipped.predict_many(texts[:-3])] == list(languages)
