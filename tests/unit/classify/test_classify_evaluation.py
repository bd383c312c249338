"""The held-out evaluation meets the front office's goal, on clean and on OCR-noisy text."""

import pytest

from processors.classify import (
    CorpusRow,
    EvaluationReport,
    Prediction,
    needs_triage,
    routing_confidence,
    split_by_group,
)
from processors.classify.evaluation import score
from processors.classify.model import Alternative


def test_held_out_cases_meet_the_goal(held_out: EvaluationReport) -> None:
    clean = held_out.clean
    assert clean.triage_rate <= 0.15
    assert clean.auto_right_body >= 0.90
    assert clean.accuracy >= 0.75
    assert clean.macro_f1 >= 0.75
    assert held_out.meets_goal()


def test_ocr_noisy_held_out_cases_are_still_classified_well(held_out: EvaluationReport) -> None:
    noisy = held_out.noisy
    assert noisy.accuracy >= 0.70
    assert noisy.triage_rate <= 0.25
    assert noisy.auto_right_body >= 0.87


def test_every_writing_style_is_mostly_understood(held_out: EvaluationReport) -> None:
    assert min(held_out.clean.by_style.values()) >= 0.6, held_out.clean.by_style


def test_report_renders_the_figures(held_out: EvaluationReport) -> None:
    text = held_out.render()
    for words in ("accuracy", "macro-F1", "triage", "body right", "OCR-noisy"):
        assert words in text


def test_split_keeps_every_group_on_one_side(corpus: list[CorpusRow]) -> None:
    train_rows, test_rows = split_by_group(corpus, test_share=0.2, seed=5)
    assert not {r.group for r in train_rows} & {r.group for r in test_rows}
    assert 0.1 < len(test_rows) / len(corpus) < 0.3


def _prediction(category: str, confidence: float) -> Prediction:
    return Prediction(category, confidence, "it", 0.99, (Alternative(category, confidence),))


def test_score_counts_right_body_among_automatically_routed() -> None:
    rows = [CorpusRow("t", label, "it", str(i), "form") for i, label in enumerate("aabc")]
    predictions = [
        _prediction("a", 0.9),  # right
        _prediction("b", 0.8),  # wrong category, same body as a
        _prediction("c", 0.2),  # to triage
        _prediction("a", 0.7),  # wrong body
    ]
    bodies = {"a": "x", "b": "x", "c": "y"}
    s = score(rows, predictions, threshold=0.5, bodies=bodies)
    assert s.accuracy == 0.25
    assert s.triage_rate == 0.25
    assert s.auto_accuracy == 1 / 3
    assert s.auto_right_body == 2 / 3
    assert s.right_body == 0.5


def test_routing_confidence_adds_up_guesses_of_the_same_body() -> None:
    alternatives = (
        Alternative("buche_stradali", 0.3),
        Alternative("tombini", 0.25),
        Alternative("lampioni", 0.2),
    )
    p = Prediction("buche_stradali", 0.3, "it", 0.99, alternatives)
    bodies = {"buche_stradali": "strade", "tombini": "strade", "lampioni": "illuminazione"}
    assert routing_confidence(p, bodies) == pytest.approx(0.55)
    assert routing_confidence(p) == 0.3
    assert needs_triage(p, 0.4)
    assert not needs_triage(p, 0.4, bodies)
