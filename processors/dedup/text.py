"""Complaint fingerprints: how alike two complaints are, in Italian or English, reworded.

A fingerprint has two parts, both bounded so that it fits in a table row:

- *terms*: the words that carry meaning — stopwords removed, lightly stemmed for both
  languages, and replaced by their concept from `lexicon.CONCEPTS` when they have one
  ("buche", "voragine" and "pothole" are all `~pothole`). Compared with the Ochiai
  coefficient |A∩B| / √(|A|·|B|), which unlike Jaccard does not punish a short fax against
  a long email as much.
- *sketch*: the 32 smallest CRC-32 hashes of the character 4-grams of the text's content
  words (a bottom-k MinHash). It survives what terms do not: OCR errors ("lampi0ne"),
  typos, compound words and inflections the stemmer misses.

Why not TF-IDF, embeddings or rapidfuzz: TF-IDF needs corpus statistics that drift and
must be shared by every worker; embeddings need a model and are slow on 2 cores; rapidfuzz
compares raw strings, so a table would have to keep each complaint's whole text, and its
edit distances do not see that "voragine" and "pothole" are the same thing. Fingerprints
are small JSON, deterministic across processes (no salted `hash()`), explainable (the
evidence lists the shared terms) and cost tens of microseconds (see `bench/bench_dedup.py`).
"""

import re
import unicodedata
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from math import sqrt
from typing import Any

from processors.dedup.lexicon import CONCEPTS, MODIFIERS, SETTINGS, STOPWORDS

MAX_TERMS = 64
SKETCH_SIZE = 32
SHINGLE = 4
SHINGLE_TEXT_LIMIT = 5_000
"""Characters of content words shingled: the gist of a complaint is at its start."""

TERM_WEIGHT = 0.7
"""Weight of the term score when the sketch is blended in; the sketch has the rest."""

_WORD = re.compile(r"[^\W_]+")


_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lowercase without accents: "Perché È" → "perche e"."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words(text: str) -> list[str]:
    """The folded words and numbers of `text`; apostrophes split ("dell'ufficio")."""
    return _WORD.findall(fold(text))


_EN_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "ly")


def stem(word: str) -> str:
    """A light stemmer for Italian and English together; it only ever shortens a word.

    English: -ing, -ed, -es, -s, -ies/-y → -i. Italian: the final vowel goes, and "ch"/"gh"
    before it become "c"/"g", so buca/buche, lampione/lampioni, strada/strade meet. Meant
    for matching, not for display: "tree" becomes "tre".
    """
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _EN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("i" if suffix in ("ies", "ied") else "")
            break
    else:
        if word.endswith("s") and word[-2] not in "sui":
            word = word[:-1]
        elif word.endswith("y"):
            word = word[:-1] + "i"
    if len(word) > 3 and word[-1] in "aeiou":
        word = word[:-1]
        if word.endswith(("ch", "gh")):
            word = word[:-1]
    return word


_STOPWORDS = frozenset(w for s in STOPWORDS for w in words(s))


def _concept_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for concept, members in CONCEPTS.items():
        for word in words(members):
            mapping.setdefault(stem(word), concept)
    return mapping


CONCEPT_OF: dict[str, str] = _concept_map()


_OCR_DIGITS = str.maketrans("015", "ois")


def _ocr_fix(word: str) -> str:
    """OCR reads o as 0, i or l as 1, s as 5 inside words: "lampi0ne" → "lampione". Only in
    words that start with a letter and have at least three, so "12a" and "m1" stay."""
    if word[0].isalpha() and not word.isalpha() and sum(c.isalpha() for c in word) >= 3:
        return word.translate(_OCR_DIGITS)
    return word


def content_words(text: str) -> list[str]:
    """Words that carry meaning: not stopwords, not single letters (numbers are kept)."""
    return [
        w for w in map(_ocr_fix, words(text)) if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())
    ]


def terms(text: str, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """Distinct stems and `~concepts` of `text`, in order of first appearance, at most
    `limit` of them."""
    seen: dict[str, None] = {}
    for word in content_words(text):
        stemmed = stem(word)
        concept = CONCEPT_OF.get(stemmed)
        seen.setdefault(f"~{concept}" if concept else stemmed, None)
        if len(seen) >= limit:
            break
    return tuple(seen)


def sketch(text: str, size: int = SKETCH_SIZE) -> tuple[int, ...]:
    """The `size` smallest hashes of the 4-grams of the content words, ascending."""
    joined = " ".join(content_words(text))[:SHINGLE_TEXT_LIMIT]
    if len(joined) < SHINGLE:
        return (zlib.crc32(joined.encode()),) if joined else ()
    hashes = {zlib.crc32(joined[i : i + SHINGLE].encode()) for i in range(len(joined) - 3)}
    return tuple(sorted(hashes)[:size])


@dataclass(frozen=True)
class Fingerprint:
    """What is kept of a complaint's text to compare it with later ones."""

    terms: tuple[str, ...]
    sketch: tuple[int, ...]

    def to_state(self) -> dict[str, Any]:
        return {"t": list(self.terms), "s": list(self.sketch)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Fingerprint":
        return cls(tuple(state["t"]), tuple(state["s"]))

    # Derived once per fingerprint: a store compares one probe with many fingerprints.
    @cached_property
    def term_set(self) -> frozenset[str]:
        return frozenset(self.terms)

    @cached_property
    def total_weight(self) -> float:
        return _weight_of(self.term_set)

    @cached_property
    def objects(self) -> frozenset[str]:
        return _OBJECT_TERMS.intersection(self.term_set)

    @cached_property
    def sketch_set(self) -> frozenset[int]:
        return frozenset(self.sketch)


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of a complaint (pass subject and body together)."""
    return Fingerprint(terms(text), sketch(text))


@dataclass(frozen=True)
class Similarity:
    """How alike two fingerprints are, with the parts that explain the score."""

    score: float
    term_score: float
    sketch_score: float
    shared_terms: tuple[str, ...]
    different_things: bool = False
    """Both texts name things they complain about (`~pothole`, `~streetlight`), none the
    same: the score was halved."""


OBJECT_WEIGHT = 2.0
MODIFIER_WEIGHT = 0.5
DIFFERENT_THINGS_FACTOR = 0.5
_WEIGHTS = {f"~{c}": MODIFIER_WEIGHT for c in MODIFIERS} | {
    f"~{c}": OBJECT_WEIGHT for c in CONCEPTS if c not in MODIFIERS and c not in SETTINGS
}


_OBJECT_TERMS = frozenset(t for t, w in _WEIGHTS.items() if w == OBJECT_WEIGHT)
_MODIFIER_TERMS = frozenset(t for t, w in _WEIGHTS.items() if w == MODIFIER_WEIGHT)


def _weight_of(terms: frozenset[str]) -> float:
    """The summed `weight` of distinct terms, with set operations rather than a loop."""
    return (
        len(terms)
        + (OBJECT_WEIGHT - 1) * len(_OBJECT_TERMS.intersection(terms))
        + (MODIFIER_WEIGHT - 1) * len(_MODIFIER_TERMS.intersection(terms))
    )


def weight(term: str) -> float:
    """What a shared term is worth: the thing complained about (a concept such as `~pothole`)
    counts double, a modifier (`~dark`, `~week`) half, a setting (`~sidewalk`) and any other
    word once."""
    return _WEIGHTS.get(term, 1.0)


def _term_score(a: Fingerprint, b: Fingerprint, shared: frozenset[str]) -> float:
    if not a.terms or not b.terms:
        return 0.0
    return _weight_of(shared) / sqrt(a.total_weight * b.total_weight)


def _different_things(a: Fingerprint, b: Fingerprint) -> bool:
    return bool(a.objects and b.objects and a.objects.isdisjoint(b.objects))


def may_reach(a: Fingerprint, b: Fingerprint, threshold: float) -> bool:
    """False when `similarity(a, b)` cannot reach `threshold`, decided from the terms alone
    (the sketch is assumed perfect). A cheap test before the full comparison."""
    term_score = _term_score(a, b, a.term_set & b.term_set)
    bound = max(term_score, TERM_WEIGHT * term_score + (1 - TERM_WEIGHT))
    if _different_things(a, b):
        bound *= DIFFERENT_THINGS_FACTOR
    return bound >= threshold


def _sketch_jaccard(a: Fingerprint, b: Fingerprint) -> float:
    """Jaccard of the shingle sets, estimated from two bottom-k sketches: below the smaller
    of the two sketches' largest hashes both sketches hold every hash of their text, so the
    union there is a uniform sample of the whole union."""
    if not a.sketch or not b.sketch or a.sketch_set.isdisjoint(b.sketch_set):
        return 0.0
    limit = min(a.sketch[-1], b.sketch[-1])
    low_a = a.sketch[: bisect_right(a.sketch, limit)]
    low_b = b.sketch[: bisect_right(b.sketch, limit)]
    both = len(set(low_a).intersection(low_b))
    return both / (len(low_a) + len(low_b) - both)


def similarity(a: Fingerprint, b: Fingerprint) -> Similarity:
    """Symmetric, in [0, 1]; 1 for identical texts.

    The term score is a weighted Ochiai coefficient: shared weight over the geometric mean of
    both texts' weights.
    """
    shared = a.term_set & b.term_set
    term_score = _term_score(a, b, shared)
    sketch_score = _sketch_jaccard(a, b)
    # The sketch only ever helps: reworded texts share few 4-grams, noisy OCR shares more.
    score = max(term_score, TERM_WEIGHT * term_score + (1 - TERM_WEIGHT) * sketch_score)
    different_things = _different_things(a, b)
    if different_things:
        score *= DIFFERENT_THINGS_FACTOR
    return Similarity(
        score=round(min(1.0, score), 4),
        term_score=round(term_score, 4),
        sketch_score=round(sketch_score, 4),
        shared_terms=tuple(sorted(shared)),
        different_things=different_things,
    )
