"""Complaint fingerprints: reworded complaints score high, different ones low."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.dedup.decisions import DedupConfig
from processors.dedup.lexicon import CONCEPTS
from processors.dedup.text import (
    CONCEPT_OF,
    MAX_TERMS,
    SKETCH_SIZE,
    Fingerprint,
    fingerprint,
    may_reach,
    similarity,
    stem,
    terms,
    words,
)

MERGE = DedupConfig().merge_threshold
RELATED = DedupConfig().related_threshold

# The same complaint told twice, as citizens do: a reminder, other words, another language,
# a fax read by OCR.
SAME = [
    (
        "Buongiorno, in via Garibaldi 14 c'è una buca profonda sul marciapiede, mia madre è "
        "caduta martedì. Chiedo un intervento urgente.",
        "Sollecito: la buca davanti al civico 14 di via Garibaldi è ancora lì, è pericolosa, "
        "mia mamma ci è caduta. Intervenite.",
    ),
    (
        "Il lampione di via Verdi 3 è spento da tre settimane, la sera la strada è "
        "completamente al buio.",
        "Via Verdi 3: illuminazione pubblica non funzionante da settimane, buio totale di "
        "sera. Il palo della luce è spento.",
    ),
    (
        "There is a huge pothole in front of Via Garibaldi 14, my mother fell in it last Tuesday.",
        "C'è una voragine enorme davanti a via Garibaldi 14, mia madre è caduta martedì scorso.",
    ),
    (
        "Rats everywhere near the bins in Piazza Leonardo da Vinci, the rubbish has not been "
        "collected for a week.",
        "Topi vicino ai cassonetti in piazza Leonardo da Vinci, la spazzatura non viene "
        "raccolta da una settimana.",
    ),
    (
        "Il tram 9 salta la corsa tutte le mattine alle 8 alla fermata di Porta Genova, "
        "arrivo sempre in ritardo al lavoro.",
        "Ancora una volta il 9 non è passato alla fermata Porta Genova alle 8: è la terza "
        "volta questa settimana che il tram salta.",
    ),
    (
        "Segnalo un lampi0ne spent0 in via Vendi 3 da tre settimane, la strada e al buio",
        "Il lampione di via Verdi 3 è spento da tre settimane, la sera la strada è "
        "completamente al buio.",
    ),
    (
        "Da tre giorni non ritirano la spazzatura in via Padova 120, i sacchi sono sul "
        "marciapiede e c'è puzza.",
        "Rubbish not collected for three days at Via Padova 120, bags on the pavement and a "
        "terrible smell.",
    ),
]

# Different complaints, some from the same street: they must not look alike.
DIFFERENT = [
    (
        "Buongiorno, in via Garibaldi 14 c'è una buca profonda sul marciapiede.",
        "Il lampione di via Verdi 3 è spento da tre settimane, la strada è al buio.",
    ),
    (
        "Musica ad alto volume tutte le notti dal bar di via Lecco fino alle 3.",
        "Auto parcheggiate sul marciapiede in via Lecco tutte le sere, non si passa col "
        "passeggino.",
    ),
    (
        "Rats everywhere near the bins in Piazza Leonardo da Vinci.",
        "The bus 90 was 20 minutes late at the stop in Piazza Leonardo da Vinci.",
    ),
    (
        "Ho ricevuto un avviso di pagamento TARI doppio per il 2023, l'ho già pagato.",
        "La mensa scolastica della scuola di via Russo serve pasti freddi ai bambini.",
    ),
    (
        "Il lampione di via Verdi 3 è spento.",
        "Il semaforo di via Verdi angolo via Rossi è spento da ieri.",
    ),
    (
        "Buca in via Garibaldi 14 sul marciapiede.",
        "Albero caduto in via Garibaldi 14, i rami bloccano il marciapiede.",
    ),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_reworded_complaints_reach_the_merge_threshold(a: str, b: str) -> None:
    assert similarity(fingerprint(a), fingerprint(b)).score >= MERGE


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_complaints_stay_below_the_related_threshold(a: str, b: str) -> None:
    assert similarity(fingerprint(a), fingerprint(b)).score < RELATED


def test_concepts_cross_languages_and_explain_the_score() -> None:
    sim = similarity(
        fingerprint("There is a huge pothole in front of Via Garibaldi 14"),
        fingerprint("C'è una voragine enorme davanti a via Garibaldi 14"),
    )
    assert {"~pothole", "~deep", "garibald", "14"} <= set(sim.shared_terms)


def test_different_things_at_one_place_are_marked() -> None:
    sim = similarity(
        fingerprint("Il lampione di via Verdi 3 è spento."),
        fingerprint("Il semaforo di via Verdi è spento."),
    )
    assert sim.different_things


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("buca", "buche"),
        ("lampione", "lampioni"),
        ("strada", "strade"),
        ("marciapiede", "marciapiedi"),
        ("parked", "parking"),
        ("lights", "light"),
        ("cities", "city"),
        ("damaged", "damage"),
    ],
)
def test_stemmer_joins_inflections(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_every_lexicon_word_has_one_concept() -> None:
    owners: dict[str, set[str]] = {}
    for concept, members in CONCEPTS.items():
        for word in words(members):
            owners.setdefault(stem(word), set()).add(concept)
    clashes = {s: c for s, c in owners.items() if len(c) > 1}
    assert clashes == {}
    assert all(CONCEPT_OF[s] in c for s, c in owners.items())


def test_stopwords_and_greetings_carry_no_weight() -> None:
    assert terms("Gentile Comune, buongiorno, cordiali saluti. Dear Sir, kind regards.") == ()


def test_fingerprint_is_bounded_and_json() -> None:
    long_text = " ".join(f"parola{i} word{i}" for i in range(5000))
    fp = fingerprint(long_text)
    assert len(fp.terms) == MAX_TERMS
    assert len(fp.sketch) == SKETCH_SIZE
    assert Fingerprint.from_state(json.loads(json.dumps(fp.to_state()))) == fp


_TEXT = st.lists(
    st.sampled_from([*list("abcdeèilmnoprstuvz 0123456789',."), "buca ", "via ", "tram "]),
    max_size=200,
).map("".join)


@given(_TEXT, _TEXT)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    fa, fb = fingerprint(a), fingerprint(b)
    ab, ba = similarity(fa, fb), similarity(fb, fa)
    assert ab.score == ba.score
    assert 0.0 <= ab.score <= 1.0


@given(_TEXT)
def test_a_text_is_identical_to_itself(text: str) -> None:
    fp = fingerprint(text)
    if fp.terms:
        assert similarity(fp, fp).score == 1.0


@given(_TEXT, _TEXT, st.floats(min_value=0.0, max_value=1.0))
def test_may_reach_never_rejects_a_pair_that_reaches(a: str, b: str, threshold: float) -> None:
    fa, fb = fingerprint(a), fingerprint(b)
    if similarity(fa, fb).score >= threshold:
        assert may_reach(fa, fb, threshold)


@pytest.mark.parametrize(("a", "b"), SAME)
def test_may_reach_lets_reworded_pairs_through(a: str, b: str) -> None:
    assert may_reach(fingerprint(a), fingerprint(b), MERGE)
