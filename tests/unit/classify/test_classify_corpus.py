"""The shipped corpus: what the generator makes, varied, in both languages, every category."""

from collections import Counter, defaultdict

import pytest

from processors.classify import CorpusRow
from processors.classify.corpus.generate import DEFAULT_SEED, corpus_csv, generate_corpus
from processors.classify.corpus.sources import load_base_texts, parse_base_texts
from processors.classify.data import DEFAULT_CORPUS
from processors.taxonomy import load_taxonomy

CODES = {c.code for c in load_taxonomy()}


def test_committed_corpus_is_what_the_seeded_generator_writes() -> None:
    regenerated = corpus_csv(generate_corpus(load_base_texts(), DEFAULT_SEED))
    assert regenerated == DEFAULT_CORPUS.read_text(encoding="utf-8")


def test_corpus_is_large_small_enough_and_covers_the_taxonomy(corpus: list[CorpusRow]) -> None:
    assert len(corpus) > 5000
    assert DEFAULT_CORPUS.stat().st_size < 5_000_000
    assert {row.label for row in corpus} == CODES
    per_language = Counter((row.language, row.label) for row in corpus)
    assert set(per_language) == {(lang, code) for lang in ("it", "en") for code in CODES}


def test_base_texts_are_many_and_distinct() -> None:
    bases = load_base_texts()
    full = [b for b in bases if b.kind != "phrase"]
    assert len(full) > 800, "hundreds of hand-written complaints"
    assert len({b.text for b in bases}) == len(bases), "no base text written twice"
    assert sum(b.kind == "indirect" for b in bases) > 200, "complaints that never name it"
    per_category = Counter((b.language, b.label) for b in full)
    assert min(per_category.values()) >= 10


def test_each_group_has_one_label_and_many_styles(corpus: list[CorpusRow]) -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for row in corpus:
        labels[row.group].add(row.label)
    assert all(len(v) == 1 for v in labels.values())
    styles = {row.style.split(":")[0] for row in corpus}
    assert styles >= {"form", "email", "angry", "letter", "chat", "operator", "ocr", "short"}


def test_base_file_without_a_header_is_refused() -> None:
    with pytest.raises(ValueError, match="before any"):
        parse_base_texts("una buca in strada\n", "it", "it_x")
