"""Complaint fingerprints: how alike two complaints are, in Italian or English, reworded.

A fingerprint has two parts, both bounded so that it fits in a table row:

- *terms*: the words that carry meaning — stopwords removed, lightly stemmed for both
  languages, and replaced by their concept from `lexicon.CONCEPTS` when they have one
  ("buche", "voragine" and "pothole" are all `~pothole`). Compared with the Ochiai
  coefficient |A∩B| / √(|A|·|B|), which unlike Jaccard does not punish a short fax against
  a long email as much.
- *sketch*: the 64 smallest CRC-32 hashes of the character 4-grams of the text's content
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
from dataclasses import dataclass
from math import sqrt
from typing import Any

from processors.dedup.lexicon import CONCEPTS, MODIFIERS, SETTINGS, STOPWORDS

MAX_TERMS = 64
SKETCH_SIZE = 64
SHINGLE = 4
SHINGLE_TEXT_LIMIT = 5_000
"""Characters of content words shingled: the gist of a complaint is at its start."""

TERM_WEIGHT = 0.7
"""Weight of the term score when the sketch is blended in; the sketch has the rest."""

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase without accents: "Perché È" → "perche e"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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
        for member in members:
            for word in words(member):
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


def _sketch_jaccard(a: tuple[int, ...], b: tuple[int, ...], size: int) -> float:
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:size]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)


OBJECT_WEIGHT = 2.0
MODIFIER_WEIGHT = 0.5
DIFFERENT_THINGS_FACTOR = 0.5


def weight(term: str) -> float:
    """What a shared term is worth: the thing complained about (a concept such as `~pothole`)
    counts double, a modifier (`~dark`, `~week`) half, a setting (`~sidewalk`) and any other
    word once."""
    if not term.startswith("~") or term[1:] in SETTINGS:
        return 1.0
    return MODIFIER_WEIGHT if term[1:] in MODIFIERS else OBJECT_WEIGHT


def _weight_of(terms: "set[str] | tuple[str, ...]") -> float:
    return sum(weight(t) for t in terms)


def similarity(a: Fingerprint, b: Fingerprint) -> Similarity:
    """Symmetric, in [0, 1]; 1 for identical texts.

    The term score is a weighted Ochiai coefficient: shared weight over the geometric mean of
    both texts' weights.
    """
    shared = set(a.terms) & set(b.terms)
    term_score = (
        _weight_of(shared) / sqrt(_weight_of(a.terms) * _weight_of(b.terms))
        if a.terms and b.terms
        else 0.0
    )
    sketch_score = _sketch_jaccard(a.sketch, b.sketch, max(len(a.sketch), len(b.sketch)))
    # The sketch only ever helps: reworded texts share few 4-grams, noisy OCR shares more.
    score = max(term_score, TERM_WEIGHT * term_score + (1 - TERM_WEIGHT) * sketch_score)
    objects_a, objects_b = _objects(a.terms), _objects(b.terms)
    different_things = bool(objects_a and objects_b and not objects_a & objects_b)
    if different_things:
        score *= DIFFERENT_THINGS_FACTOR
    return Similarity(
        score=round(min(1.0, score), 4),
        term_score=round(term_score, 4),
        sketch_score=round(sketch_score, 4),
        shared_terms=tuple(sorted(shared)),
        different_things=different_things,
    )


def _objects(terms: tuple[str, ...]) -> set[str]:
    return {t for t in terms if weight(t) == OBJECT_WEIGHT}
