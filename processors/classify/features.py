"""How text becomes features, and the parameters a model is trained with.

The normalizers are module-level functions so a pickled model refers to them by name; the
vectorizers are rebuilt identically from `TrainingParams`, which is saved beside the model.
"""

import re
import unicodedata
from typing import Annotated

import numpy as np
from pydantic import Field
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from schemas._strict import StrictModel

_HYPHEN_BREAK = re.compile(r"-[ \t]*\r?\n[ \t]*")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
# Half the memory of float64 with no measurable loss for TF-IDF weights.
_FLOAT32 = np.float32


class TrainingParams(StrictModel):
    """Everything besides the rows and the seed that decides what a training run produces."""

    svm_c: Annotated[float, Field(gt=0)] = 0.5
    svm_tol: Annotated[float, Field(gt=0)] = 1e-3
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    min_df: Annotated[int, Field(ge=1)] = 2
    calibration_folds: Annotated[int, Field(ge=2)] = 3
    language_c: Annotated[float, Field(gt=0)] = 10.0
    language_char_ngrams: tuple[int, int] = (1, 4)
    # Telling Italian from English needs far fewer examples than 39 categories do.
    language_sample: Annotated[int, Field(ge=100)] = 4000
    # Quoted replies and pasted documents add nothing after the first pages and cost time.
    max_chars: Annotated[int, Field(ge=100)] = 6000
    # Each training text is learnt once more as a poor scan would read it (`ocr_noise`):
    # scans, letters and faxes reach the classifier through Tesseract. On the held-out
    # split this lifts the body right on OCR-damaged text by a point and costs clean text
    # nothing measurable.
    noisy_copies: Annotated[int, Field(ge=0, le=4)] = 1
    noise_level: Annotated[float, Field(ge=0)] = 1.0


DEFAULT_PARAMS = TrainingParams()


def normalize(text: str) -> str:
    """Fold what OCR and hurried typing vary: case, accents (`è`, `e'` and `e` all become
    `e`), words hyphenated across a line break, digits (house numbers say nothing about the
    category) and runs of whitespace."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _HYPHEN_BREAK.sub("", folded).replace("'", " ")
    folded = _DIGITS.sub("0", folded)
    return _SPACE.sub(" ", folded).strip()


def normalize_for_language(text: str) -> str:
    """Lower-case and collapse whitespace, keeping accents: `à è ò ù` are Italian evidence."""
    return _SPACE.sub(" ", _HYPHEN_BREAK.sub("", text.lower())).strip()


def category_features(params: TrainingParams) -> FeatureUnion:
    """Word and character n-grams; characters carry the signal through typos and OCR."""
    words = TfidfVectorizer(
        preprocessor=normalize,
        ngram_range=params.word_ngrams,
        sublinear_tf=True,
        min_df=params.min_df,
        dtype=_FLOAT32,
    )
    chars = TfidfVectorizer(
        preprocessor=normalize,
        analyzer="char_wb",
        ngram_range=params.char_ngrams,
        sublinear_tf=True,
        min_df=params.min_df,
        dtype=_FLOAT32,
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def language_features(params: TrainingParams) -> TfidfVectorizer:
    """Character n-grams, which tell languages apart even in two or three words."""
    return TfidfVectorizer(
        preprocessor=normalize_for_language,
        analyzer="char_wb",
        ngram_range=params.language_char_ngrams,
        sublinear_tf=True,
        min_df=params.min_df,
        dtype=_FLOAT32,
    )


def drop_stop_words(union: FeatureUnion | TfidfVectorizer) -> None:
    """Forget the n-grams a vectorizer discarded: scikit-learn keeps them only for
    introspection, they are most of a pickle's size, and their set order varies per run."""
    vectorizers = (
        [step for _, step in union.transformer_list] if isinstance(union, FeatureUnion) else [union]
    )
    for vectorizer in vectorizers:
        if hasattr(vectorizer, "stop_words_"):
            vectorizer.stop_words_ = None
