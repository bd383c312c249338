"""Language detection on short, long and OCR-damaged text, in Italian and English."""

import random

import pytest

from processors.classify import Classifier, EvaluationReport, ocr_noise

SHORT = [
    ("buca", "it"),
    ("lampione spento", "it"),
    ("topi", "it"),
    ("rifiuti non ritirati", "it"),
    ("pothole", "en"),
    ("street light out", "en"),
    ("rats", "en"),
    ("missed collection", "en"),
    ("musica alta di notte", "it"),
    ("loud music at night", "en"),
    ("carta d'identità", "it"),
    ("ID card", "en"),
]

LONG = [
    (
        "Gentile Comune, vi scrivo per segnalare che da settimane il marciapiede davanti a "
        "casa mia in via Garibaldi è dissestato e mia madre anziana è già caduta due volte. "
        "Vi prego di intervenire. Cordiali saluti, Maria Rossi",
        "it",
    ),
    (
        "Dear Sir or Madam, I live on via Garibaldi and I'm writing because the sidewalk "
        "outside my house has been broken for weeks; my elderly mother has fallen twice. "
        "Please do something. Kind regards, Maria Rossi",
        "en",
    ),
]


@pytest.mark.parametrize(("text", "language"), SHORT + LONG)
def test_language_of_short_and_long_text(shipped: Classifier, text: str, language: str) -> None:
    prediction = shipped.predict(text)
    assert prediction.language == language
    assert prediction.language_confidence > 0.5


@pytest.mark.parametrize(("text", "language"), LONG)
def test_language_survives_heavy_ocr_noise(shipped: Classifier, text: str, language: str) -> None:
    for seed in range(20):
        damaged = ocr_noise(text, random.Random(seed), level=2.0)
        assert shipped.predict(damaged).language == language, damaged


def test_language_accuracy_on_held_out_text(held_out: EvaluationReport) -> None:
    assert held_out.clean.language_accuracy >= 0.98
    assert held_out.noisy.language_accuracy >= 0.97
