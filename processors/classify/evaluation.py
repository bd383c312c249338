"""Held-out evaluation: how often the classifier is right, and what triage costs.

    report = evaluate(lambda rows: train(rows, seed=1), load_corpus(), threshold=0.35, seed=1)
    print(report.render())

The split is by group, so every rewording of a held-out complaint is held out with it. The
held-out texts are scored as written and again after OCR damage. Scores: accuracy, macro-F1,
the triage rate at the threshold (on the routing confidence, see `triage.py`), and — the
figure the front office cares about — among the cases routed automatically, the share whose
category's default body is the right one.
"""

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupShuffleSplit

from processors.classify.data import CorpusRow
from processors.classify.model import Classifier, Prediction
from processors.classify.noise import ocr_noise
from processors.classify.triage import needs_triage, routing_confidence
from processors.taxonomy import load_taxonomy

ClassifierFactory = Callable[[Sequence[CorpusRow]], Classifier]


@dataclass(frozen=True)
class Scores:
    """Scores of one set of predictions against the truth."""

    cases: int
    accuracy: float
    macro_f1: float
    right_body: float
    triage_rate: float
    auto_accuracy: float
    auto_right_body: float
    language_accuracy: float
    threshold_for_15pct_triage: float
    by_style: Mapping[str, float] = field(default_factory=dict)
    by_language: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationReport:
    threshold: float
    seed: int
    train_rows: int
    test_rows: int
    test_groups: int
    clean: Scores
    noisy: Scores

    def meets_goal(self, *, right_body: float = 0.90, max_triage: float = 0.15) -> bool:
        """The front office's goal, on clean held-out text."""
        return self.clean.auto_right_body >= right_body and self.clean.triage_rate <= max_triage

    def render(self) -> str:
        lines = [
            f"held-out evaluation: {self.train_rows} training rows, {self.test_rows} test rows "
            f"({self.test_groups} groups never seen in training), threshold "
            f"{self.threshold:.2f}, seed {self.seed}",
        ]
        for name, s in (("clean", self.clean), ("OCR-noisy", self.noisy)):
            lines += [
                f"{name:>9}: accuracy {s.accuracy:.3f}  macro-F1 {s.macro_f1:.3f}  "
                f"right body {s.right_body:.3f}  language {s.language_accuracy:.3f}",
                f"{'':>9}  triage {s.triage_rate:.1%}; of the automatically routed: "
                f"category right {s.auto_accuracy:.1%}, body right {s.auto_right_body:.1%}; "
                f"15% triage would need threshold {s.threshold_for_15pct_triage:.2f}",
            ]
        lines.append("clean accuracy by style: " + _join(self.clean.by_style))
        lines.append("clean accuracy by language: " + _join(self.clean.by_language))
        verdict = "meets" if self.meets_goal() else "misses"
        lines.append(f"goal (>= 90% right body among auto-routed, <= 15% triage): {verdict}")
        return "\n".join(lines)


def split_by_group(
    rows: Sequence[CorpusRow], *, test_share: float, seed: int
) -> tuple[list[CorpusRow], list[CorpusRow]]:
    """A seeded train/test split in which each group falls wholly on one side."""
    groups = [row.group for row in rows]
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train_index, test_index = next(splitter.split(np.zeros(len(rows)), groups=groups))
    return [rows[i] for i in train_index], [rows[i] for i in test_index]


def evaluate(
    classifier_factory: ClassifierFactory,
    rows: Sequence[CorpusRow],
    *,
    threshold: float,
    seed: int,
    test_share: float = 0.2,
    bodies: Mapping[str, str] | None = None,
    noise_level: float = 1.0,
) -> EvaluationReport:
    """Train on a group split of `rows` with `classifier_factory`, then score the held-out
    part clean and OCR-damaged. `bodies` maps category codes to their default body (the
    shipped taxonomy's when omitted); a code it lacks counts as its own body."""
    body_of = bodies if bodies is not None else {c.code: c.body for c in load_taxonomy()}
    train_rows, test_rows = split_by_group(rows, test_share=test_share, seed=seed)
    classifier = classifier_factory(train_rows)
    clean = classifier.predict_many([row.text for row in test_rows])
    damaged = [
        ocr_noise(row.text, random.Random(f"{seed}:{i}"), level=noise_level)
        for i, row in enumerate(test_rows)
    ]
    noisy = classifier.predict_many(damaged)
    return EvaluationReport(
        threshold=threshold,
        seed=seed,
        train_rows=len(train_rows),
        test_rows=len(test_rows),
        test_groups=len({row.group for row in test_rows}),
        clean=score(test_rows, clean, threshold=threshold, bodies=body_of),
        noisy=score(test_rows, noisy, threshold=threshold, bodies=body_of),
    )


def score(
    rows: Sequence[CorpusRow],
    predictions: Sequence[Prediction],
    *,
    threshold: float,
    bodies: Mapping[str, str],
) -> Scores:
    """Score predictions against the rows' labels (and languages, where rows have one)."""
    truth = [row.label for row in rows]
    guess = [p.category for p in predictions]
    right = [t == g for t, g in zip(truth, guess, strict=True)]
    same_body = [bodies.get(t, t) == bodies.get(g, g) for t, g in zip(truth, guess, strict=True)]
    auto = [not needs_triage(p, threshold, bodies) for p in predictions]
    routed = sum(auto)
    with_language = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.language]
    confidences = np.array([routing_confidence(p, bodies) for p in predictions])
    return Scores(
        cases=len(rows),
        accuracy=_mean(right),
        macro_f1=float(f1_score(truth, guess, average="macro", labels=sorted(set(truth)))),
        right_body=_mean(same_body),
        triage_rate=1 - routed / len(rows) if rows else 0.0,
        auto_accuracy=_mean([r for r, a in zip(right, auto, strict=True) if a]),
        auto_right_body=_mean([b for b, a in zip(same_body, auto, strict=True) if a]),
        language_accuracy=_mean([r.language == p.language for r, p in with_language]),
        threshold_for_15pct_triage=float(np.quantile(confidences, 0.15)) if rows else 0.0,
        by_style=_grouped([row.style.split(":")[0] for row in rows], right),
        by_language=_grouped([row.language or "?" for row in rows], right),
    )


def _mean(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _grouped(keys: Sequence[str], right: Sequence[bool]) -> dict[str, float]:
    buckets: dict[str, list[bool]] = defaultdict(list)
    for key, ok in zip(keys, right, strict=True):
        buckets[key].append(ok)
    return {key: _mean(values) for key, values in sorted(buckets.items())}


def _join(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in values.items())
