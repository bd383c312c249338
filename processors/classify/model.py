"""The trained classifier: category and language of a complaint, with confidences.

    classifier = Classifier.load()                    # the shipped model, checked
    p = classifier.predict("Il lampione di via Roma è spento")
    p.category, p.confidence, p.language              # ('lampioni', 0.9..., 'it')
    classifier.predict_many(texts)                    # much faster per text in batches

Loading checks the version file written beside the pickle: the scikit-learn version must be
the installed one (pickles are tied to it) and the file's digest must match, otherwise it
raises `ModelVersionMismatch` or `ModelCorrupt` with what to do. Prediction never raises for
odd text: an empty or letterless text gets confidence 0, so it goes to triage.
"""

import hashlib
import json
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from pydantic import ValidationError
from sklearn.pipeline import Pipeline

from processors.classify.errors import ModelCorrupt, ModelNotFound, ModelVersionMismatch
from processors.classify.features import TrainingParams
from processors.classify.scoring import LinearScorer
from schemas._strict import StrictModel

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = "classifier.joblib"
VERSION_FILE = "classifier.json"
FORMAT = 1
TOP_K = 3


class ModelVersion(StrictModel):
    """What a model artifact is, saved as JSON beside it: enough to tell whether it can be
    loaded here and to reproduce it (same rows, seed, params and library give the same
    predictions)."""

    format: int
    model_id: str
    sklearn_version: str
    numpy_version: str
    python_version: str
    corpus_sha256: str
    rows: int
    seed: int
    params: TrainingParams
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    artifact_sha256: str = ""


@dataclass(frozen=True)
class Alternative:
    category: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer for one text. `alternatives` are the top three categories,
    best first (the first is `category`); confidences are calibrated probabilities."""

    category: str
    confidence: float
    language: str
    language_confidence: float
    alternatives: tuple[Alternative, ...]


class Classifier:
    """A category model and a language model, trained together and versioned together."""

    def __init__(self, categories: Pipeline, languages: Pipeline, version: ModelVersion):
        self._categories = categories
        self._languages = languages
        self.version = version
        self._category_scorer = LinearScorer(categories)
        self._language_scorer = LinearScorer(languages)
        self._labels = self._category_scorer.classes
        self._language_labels = self._language_scorer.classes

    @property
    def categories(self) -> tuple[str, ...]:
        return self._labels

    def artifact(self) -> dict[str, Pipeline]:
        """The fitted scikit-learn pipelines, as `save` pickles them."""
        return {"categories": self._categories, "languages": self._languages}

    @classmethod
    def load(
        cls, directory: Path = MODEL_DIR, *, categories: Iterable[str] | None = None
    ) -> "Classifier":
        """Load and check a saved model. With `categories` (the taxonomy's codes), also refuse
        a model that could predict a code the taxonomy no longer has."""
        version = read_version(directory)
        if version.format != FORMAT:
            raise ModelVersionMismatch(
                f"{directory}: model format {version.format}, this code reads {FORMAT}; retrain"
            )
        if version.sklearn_version != sklearn.__version__:
            raise ModelVersionMismatch(
                f"{directory}: model saved with scikit-learn {version.sklearn_version} but "
                f"{sklearn.__version__} is installed; install scikit-learn=="
                f"{version.sklearn_version} or retrain with `sportello train`"
            )
        path = directory / MODEL_FILE
        if file_sha256(path) != version.artifact_sha256:
            raise ModelCorrupt(f"{path}: digest differs from {VERSION_FILE}; retrain")
        parts = joblib.load(path)
        if not isinstance(parts, dict) or set(parts) != {"categories", "languages"}:
            raise ModelCorrupt(f"{path}: not a Sportello classifier")
        classifier = cls(parts["categories"], parts["languages"], version)
        if categories is not None:
            unknown = sorted(set(classifier.categories) - set(categories))
            if unknown:
                raise ModelVersionMismatch(
                    f"{directory}: model predicts codes not in the taxonomy: {', '.join(unknown)}"
                )
        return classifier

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Predict a batch; one vectorization and one matrix product for all texts."""
        if not texts:
            return []
        limit = self.version.params.max_chars
        clipped = [t[:limit] for t in texts]
        category_p = self._category_scorer.proba(clipped)
        language_p = self._language_scorer.proba(clipped)
        return [
            self._prediction(text, cp, lp)
            for text, cp, lp in zip(clipped, category_p, language_p, strict=True)
        ]

    def _prediction(
        self, text: str, cp: np.ndarray[Any, Any], lp: np.ndarray[Any, Any]
    ) -> Prediction:
        order = np.argsort(-cp, kind="stable")[:TOP_K]
        has_letters = any(ch.isalpha() for ch in text)
        top = tuple(
            Alternative(self._labels[i], float(cp[i]) if has_letters else 0.0) for i in order
        )
        best_language = int(np.argmax(lp))
        return Prediction(
            category=top[0].category,
            confidence=top[0].confidence,
            language=self._language_labels[best_language],
            language_confidence=float(lp[best_language]) if has_letters else 0.0,
            alternatives=top,
        )


def read_version(directory: Path) -> ModelVersion:
    path = directory / VERSION_FILE
    if not path.is_file() or not (directory / MODEL_FILE).is_file():
        raise ModelNotFound(
            f"{directory}: no {MODEL_FILE} with {VERSION_FILE}; run `sportello train`"
        )
    try:
        return ModelVersion.model_validate_json(path.read_bytes())
    except ValidationError as error:
        raise ModelVersionMismatch(
            f"{path}: unreadable version file ({error.error_count()} errors)"
        ) from error


def write_version(directory: Path, version: ModelVersion) -> None:
    payload = json.loads(version.model_dump_json())
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    (directory / VERSION_FILE).write_text(text, encoding="utf-8")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def runtime_versions() -> dict[str, str]:
    """The library versions a model is tied to, as recorded in its version file."""
    return {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": ".".join(platform.python_version_tuple()[:2]),
    }
