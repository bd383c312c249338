"""Fixtures for the classifier's tests: the shipped corpus and model, and one held-out
evaluation shared by the tests that read its figures (it trains a model, ~1 minute)."""

from pathlib import Path

import pytest

from processors.classify import (
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    Classifier,
    CorpusRow,
    EvaluationReport,
    evaluate,
    load_corpus,
    train,
)

shared_data = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def corpus() -> list[CorpusRow]:
    return load_corpus()


@pytest.fixture(scope="session")
def shipped() -> Classifier:
    return Classifier.load()


@pytest.fixture(scope="session")
def held_out(corpus: list[CorpusRow]) -> EvaluationReport:
    report = evaluate(
        lambda rows: train(rows, seed=DEFAULT_SEED),
        corpus,
        threshold=DEFAULT_THRESHOLD,
        seed=DEFAULT_SEED,
    )
    print("\n" + report.render())
    return report


@pytest.fixture(scope="session")
def small_corpus(corpus: list[CorpusRow]) -> list[CorpusRow]:
    """About a tenth of the corpus, whole groups, every category: enough to train in seconds."""
    keep = {row.group for row in corpus if hash_bucket(row.group) == 0}
    return [row for row in corpus if row.group in keep]


def hash_bucket(group: str, buckets: int = 10) -> int:
    # Stable across runs, unlike hash(): a sum of code points.
    return sum(map(ord, group)) % buckets
