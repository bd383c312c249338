"""Fast scoring with fitted scikit-learn models: the same arithmetic, none of the overhead.

scikit-learn validates its inputs at every step of every call (39 times per text for the
per-class calibrators), which costs far more than the arithmetic for one short complaint.
These scorers read the fitted vocabulary, IDF weights, coefficients and calibration
parameters once and apply the same formulas with numpy and scipy; `Classifier` uses them,
and a test checks they agree with scikit-learn's own `predict_proba`.
"""

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

Matrix = np.ndarray[Any, np.dtype[np.float64]]


def _unchanged(text: str) -> str:
    return text


class TfidfTable:
    """A fitted `TfidfVectorizer` (sublinear or raw counts, IDF, L2 norm) as plain data.

    `preprocess` is the vectorizer's own preprocessor; `transform` takes texts already
    preprocessed, so vectorizers sharing a preprocessor run it once per text."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
            raise ValueError("only l2-normalized, IDF-weighted count vectorizers are supported")
        if vectorizer.preprocessor is None:
            raise ValueError("the vectorizer must name its preprocessor")
        self.preprocess: Callable[[str], str] = vectorizer.preprocessor
        bare = copy.copy(vectorizer)
        bare.preprocessor = _unchanged
        self._analyze: Callable[[str], list[str]] = bare.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._sublinear = bool(vectorizer.sublinear_tf)
        self.width = len(self._idf)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        vocabulary = self._vocabulary
        for text in texts:
            found = np.fromiter(
                (vocabulary.get(term, -1) for term in self._analyze(text)), dtype=np.int64
            )
            columns, counts = np.unique(found[found >= 0], return_counts=True)
            tf = counts.astype(np.float64)
            if self._sublinear:
                tf = np.log(tf) + 1.0
            weights = tf * self._idf[columns]
            norm = float(np.sqrt(np.dot(weights, weights)))
            if norm > 0:
                weights = weights / norm
            indices.extend(columns.tolist())
            values.extend(weights.tolist())
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), indptr),
            shape=(len(texts), self.width),
        )


def _tables(features: FeatureUnion | TfidfVectorizer) -> list[TfidfTable]:
    if isinstance(features, TfidfVectorizer):
        return [TfidfTable(features)]
    if features.transformer_weights:
        raise ValueError("weighted feature unions are not supported")
    return [TfidfTable(step) for _, step in features.transformer_list]


class LinearScorer:
    """Class probabilities of a `Pipeline([("features", ...), ("classifier", ...)])` whose
    classifier is a one-model sigmoid-calibrated linear SVM or a logistic regression."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._tables = _tables(pipeline.named_steps["features"])
        model = pipeline.named_steps["classifier"]
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        if hasattr(model, "calibrated_classifiers_"):
            if len(model.calibrated_classifiers_) != 1 or model.method != "sigmoid":
                raise ValueError("expected one sigmoid-calibrated classifier (ensemble=False)")
            member = model.calibrated_classifiers_[0]
            estimator = member.estimator
            if list(estimator.classes_) != list(model.classes_) or len(self.classes) < 3:
                raise ValueError("expected a multiclass calibrated classifier")
            self._a: Matrix | None = np.array([c.a_ for c in member.calibrators], dtype=float)
            self._b: Matrix | None = np.array([c.b_ for c in member.calibrators], dtype=float)
        else:
            estimator = model
            self._a = self._b = None
        self._coef_t = np.ascontiguousarray(np.asarray(estimator.coef_, dtype=np.float64).T)
        self._intercept = np.asarray(estimator.intercept_, dtype=np.float64)

    def proba(self, texts: Sequence[str]) -> Matrix:
        prepared: dict[Callable[[str], str], list[str]] = {}
        for table in self._tables:
            if table.preprocess not in prepared:
                prepared[table.preprocess] = [table.preprocess(t) for t in texts]
        parts = [table.transform(prepared[table.preprocess]) for table in self._tables]
        features = parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")
        scores = np.asarray(features @ self._coef_t) + self._intercept
        if self._a is not None and self._b is not None:
            proba = expit(-(self._a * scores + self._b))
            total = proba.sum(axis=1, keepdims=True)
            uniform = np.full_like(proba, 1.0 / proba.shape[1])
            proba = np.divide(proba, total, out=uniform, where=total != 0)
        elif scores.shape[1] == 1:
            positive = expit(scores[:, 0])
            proba = np.column_stack([1.0 - positive, positive])
        else:
            proba = softmax(scores, axis=1)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return np.asarray(proba, dtype=np.float64)
