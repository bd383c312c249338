"""Complaint classifier: category of the city's taxonomy and language, with confidences.

    from processors.classify import Classifier, needs_triage
    classifier = Classifier.load()                  # shipped model, version-checked
    prediction = classifier.predict(text)
    if needs_triage(prediction, threshold, bodies):   # bodies: code -> default body
        ...                                         # to complaints.triage

Training (`sportello train`, see `command.py`) is a pure function of rows, seed and params:
`train(rows, seed=...)`, `save(classifier, directory)`, `evaluate(factory, rows, ...)`.
"""

from processors.classify.data import (
    CorpusError,
    CorpusRow,
    load_city_history_csv,
    load_corpus,
)
from processors.classify.errors import (
    ModelCorrupt,
    ModelError,
    ModelNotFound,
    ModelVersionMismatch,
)
from processors.classify.evaluation import EvaluationReport, Scores, evaluate, split_by_group
from processors.classify.features import DEFAULT_PARAMS, TrainingParams
from processors.classify.model import Alternative, Classifier, ModelVersion, Prediction
from processors.classify.noise import ocr_noise, typos
from processors.classify.training import DEFAULT_SEED, save, train
from processors.classify.triage import (
    DEFAULT_THRESHOLD,
    needs_triage,
    routing_confidence,
    triage_reason,
)

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_SEED",
    "DEFAULT_THRESHOLD",
    "Alternative",
    "Classifier",
    "CorpusError",
    "CorpusRow",
    "EvaluationReport",
    "ModelCorrupt",
    "ModelError",
    "ModelNotFound",
    "ModelVersion",
    "ModelVersionMismatch",
    "Prediction",
    "Scores",
    "TrainingParams",
    "evaluate",
    "load_city_history_csv",
    "load_corpus",
    "needs_triage",
    "ocr_noise",
    "routing_confidence",
    "save",
    "split_by_group",
    "train",
    "triage_reason",
    "typos",
]
