"""Training and saving: pure functions of the rows, the seed and the parameters.

    rows = load_corpus()
    classifier = train(rows, seed=DEFAULT_SEED)
    save(classifier, MODEL_DIR)

The category model is a linear SVM over word and character TF-IDF features (learnt from each
text as written and as a poor scan would read it) whose scores are
turned into probabilities by sigmoid calibration on out-of-fold predictions, with folds split
by group so calibration never sees a rewording of a sentence it scores. The language model
is a logistic regression over character n-grams, trained on whole texts and on short slices
of them so that a three-word form entry is recognised too. Same rows, seed, parameters and
scikit-learn give the same model and the same predictions.
"""

import hashlib
import random
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from processors.classify.data import CorpusRow, rows_sha256
from processors.classify.features import (
    DEFAULT_PARAMS,
    TrainingParams,
    category_features,
    drop_stop_words,
    language_features,
)
from processors.classify.model import (
    FORMAT,
    MODEL_FILE,
    Classifier,
    ModelVersion,
    file_sha256,
    runtime_versions,
    write_version,
)
from processors.classify.noise import ocr_noise

DEFAULT_SEED = 20240601
_SLICES_PER_TEXT = 2


def train(
    rows: Sequence[CorpusRow],
    *,
    seed: int = DEFAULT_SEED,
    params: TrainingParams = DEFAULT_PARAMS,
    language_rows: Sequence[CorpusRow] | None = None,
) -> Classifier:
    """Train a classifier on `rows`. The language model learns from the rows that carry a
    language, or from `language_rows` when given (a city's history usually has no language
    column: pass the shipped corpus there)."""
    labels = {row.label for row in rows}
    if len(labels) < 2:
        raise ValueError(f"training needs at least two categories, got {sorted(labels)}")
    damaged = with_noisy_copies(rows, seed=seed, params=params)
    texts = [row.text[: params.max_chars] for row in damaged]
    categories = _train_categories(texts, damaged, seed, params)
    lang_rows = [r for r in (language_rows if language_rows is not None else rows) if r.language]
    if len({r.language for r in lang_rows}) < 2:
        raise ValueError("the language model needs rows in at least two languages")
    languages = _train_languages(lang_rows, seed, params)
    corpus_sha = rows_sha256(rows)
    params_sha = hashlib.sha256(params.model_dump_json().encode()).hexdigest()
    versions = runtime_versions()
    version = ModelVersion(
        format=FORMAT,
        model_id=f"{corpus_sha[:12]}-s{seed}-p{params_sha[:8]}-skl{versions['sklearn_version']}",
        corpus_sha256=corpus_sha,
        rows=len(rows),
        seed=seed,
        params=params,
        categories=tuple(str(c) for c in categories.classes_),
        languages=tuple(str(c) for c in languages.classes_),
        **versions,
    )
    return Classifier(categories, languages, version)


def with_noisy_copies(
    rows: Sequence[CorpusRow], *, seed: int, params: TrainingParams
) -> list[CorpusRow]:
    """`rows` and, after them, `params.noisy_copies` OCR-damaged copies of each. A copy keeps
    its row's group, so calibration folds (split by group) never score a copy of a text
    they learnt; its noise is seeded apart from the evaluation's, which damages held-out
    rows only."""
    copies = [
        replace(
            row,
            text=ocr_noise(
                row.text, random.Random(f"train-noise:{seed}:{k}:{i}"), level=params.noise_level
            ),
        )
        for k in range(params.noisy_copies)
        for i, row in enumerate(rows)
    ]
    return [*rows, *copies]


def save(classifier: Classifier, directory: Path) -> Path:
    """Write `classifier.joblib` and `classifier.json` (with the pickle's digest) into
    `directory`, each replaced atomically so a running reader never sees half a model."""
    directory.mkdir(parents=True, exist_ok=True)
    parts = classifier.artifact()
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as handle:
        temporary = Path(handle.name)
    joblib.dump(parts, temporary, compress=3)
    temporary.chmod(0o644)  # NamedTemporaryFile makes it private; a model is not a secret
    digest = file_sha256(temporary)
    temporary.replace(directory / MODEL_FILE)
    version = classifier.version.model_copy(update={"artifact_sha256": digest})
    write_version(directory, version)
    classifier.version = version
    return directory / MODEL_FILE


def _train_categories(
    texts: list[str], rows: Sequence[CorpusRow], seed: int, params: TrainingParams
) -> Pipeline:
    labels = np.array([row.label for row in rows])
    groups = np.array([row.group for row in rows])
    features = category_features(params)
    matrix = features.fit_transform(texts)
    folds = min(params.calibration_folds, len(set(groups)))
    splits = list(GroupKFold(n_splits=folds).split(matrix, labels, groups))
    svm = LinearSVC(C=params.svm_c, tol=params.svm_tol, random_state=seed)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=splits, ensemble=False)
    calibrated.fit(matrix, labels)
    # Halves the pickle; decision scores change by less than 1e-6.
    for member in calibrated.calibrated_classifiers_:
        estimator = member.estimator
        estimator.coef_ = estimator.coef_.astype(np.float32)
    drop_stop_words(features)
    return Pipeline([("features", features), ("classifier", calibrated)])


def _train_languages(rows: Sequence[CorpusRow], seed: int, params: TrainingParams) -> Pipeline:
    rng = random.Random(seed)
    if len(rows) > params.language_sample:
        rows = rng.sample(list(rows), params.language_sample)
    texts: list[str] = []
    labels: list[str] = []
    for row in rows:
        words = row.text[: params.max_chars].split()
        texts.append(" ".join(words))
        labels.append(row.language)
        for _ in range(_SLICES_PER_TEXT if len(words) > 3 else 0):
            size = rng.randint(1, min(6, len(words)))
            start = rng.randrange(0, len(words) - size + 1)
            texts.append(" ".join(words[start : start + size]))
            labels.append(row.language)
    vectorizer = language_features(params)
    model = LogisticRegression(C=params.language_c, max_iter=2000, random_state=seed)
    pipeline = Pipeline([("features", vectorizer), ("classifier", model)])
    pipeline.fit(texts, labels)
    drop_stop_words(vectorizer)
    return pipeline
