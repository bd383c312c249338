"""`sportello train`: evaluate, train and save the classifier, from the shipped corpus or from
a city's own history. The lead's CLI hands its arguments to `main(argv)`; it also runs alone:

    python -m processors.classify.command                              # shipped corpus
    python -m processors.classify.command --history cases.csv \\
        --text-column descrizione --label-column categoria --out var/model

It first reports a held-out evaluation (a model trained on 80% of the groups, scored on the
rest, clean and OCR-damaged), then trains on every row and saves the model with its version
file. Same input and seed give the same model.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from processors.classify.data import DEFAULT_CORPUS, CorpusRow, load_city_history_csv, load_corpus
from processors.classify.data import unknown_labels as find_unknown_labels
from processors.classify.evaluation import EvaluationReport, evaluate
from processors.classify.model import MODEL_DIR, Classifier
from processors.classify.training import DEFAULT_SEED, save, train
from processors.classify.triage import DEFAULT_THRESHOLD
from processors.taxonomy import load_taxonomy


@dataclass(frozen=True)
class TrainingRequest:
    """Where the rows come from and where the model goes."""

    out_dir: Path = MODEL_DIR
    corpus: Path = DEFAULT_CORPUS
    history: Path | None = None
    text_column: str = "text"
    label_column: str = "label"
    seed: int = DEFAULT_SEED
    threshold: float = DEFAULT_THRESHOLD
    evaluate: bool = True
    taxonomy: Path | None = None


@dataclass(frozen=True)
class TrainingOutcome:
    classifier: Classifier
    model_path: Path
    report: EvaluationReport | None


def run_training(request: TrainingRequest, echo: Callable[[str], None] = print) -> TrainingOutcome:
    """Load the rows, optionally evaluate, train on all of them and save. Raises
    `CorpusError` for an unusable file and `ValueError` for labels outside the taxonomy."""
    taxonomy = load_taxonomy(request.taxonomy)
    rows, language_rows = _rows(request)
    unknown = find_unknown_labels(rows, (c.code for c in taxonomy))
    if unknown:
        raise ValueError(f"labels not in the taxonomy: {', '.join(unknown)}")
    echo(f"{len(rows)} labeled rows, {len({r.label for r in rows})} categories")

    def factory(part: Sequence[CorpusRow]) -> Classifier:
        return train(part, seed=request.seed, language_rows=language_rows)

    report = None
    if request.evaluate:
        bodies = {c.code: c.body for c in taxonomy}
        report = evaluate(
            factory, rows, threshold=request.threshold, seed=request.seed, bodies=bodies
        )
        echo(report.render())
    classifier = factory(rows)
    path = save(classifier, request.out_dir)
    echo(f"saved {path} (model {classifier.version.model_id})")
    return TrainingOutcome(classifier, path, report)


def _rows(request: TrainingRequest) -> tuple[list[CorpusRow], list[CorpusRow] | None]:
    if request.history is None:
        return load_corpus(request.corpus), None
    history = load_city_history_csv(request.history, request.text_column, request.label_column)
    # A city's history rarely says which language each case is in: the language model
    # learns from the shipped corpus instead.
    return history, load_corpus(request.corpus)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sportello train", description="Evaluate, train and save the complaint classifier."
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model directory")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--history", type=Path, help="a city's CSV of past cases")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--taxonomy", type=Path, help="taxonomy file (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--no-evaluate", action="store_true", help="skip the held-out report")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    request = TrainingRequest(
        out_dir=args.out,
        corpus=args.corpus,
        history=args.history,
        text_column=args.text_column,
        label_column=args.label_column,
        seed=args.seed,
        threshold=args.threshold,
        evaluate=not args.no_evaluate,
        taxonomy=args.taxonomy,
    )
    try:
        run_training(request)
    except ValueError as error:  # CorpusError is a ValueError too
        print(f"sportello train: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
