import random

from processors.classify import ocr_noise, typos

LETTER = (
    "Egregio signor Sindaco, le scrivo perché il lampione davanti a casa mia in via Garibaldi "
    "è spento da più di un mese e la sera non si vede niente. Distinti saluti."
)


def test_ocr_noise_is_deterministic_for_a_seed() -> None:
    assert ocr_noise(LETTER, random.Random(3)) == ocr_noise(LETTER, random.Random(3))
    assert ocr_noise(LETTER, random.Random(3)) != ocr_noise(LETTER, random.Random(4))


def test_ocr_noise_damages_like_a_scan() -> None:
    damaged = [ocr_noise(LETTER, random.Random(seed), level=1.5) for seed in range(40)]
    assert all(d != LETTER for d in damaged)
    assert any("\n" in d for d in damaged), "random line breaks"
    assert any("è" not in d for d in damaged), "dropped accents"
    assert any(("1" in d) or ("0" in d) or ("rn" in d) for d in damaged), "glyph confusions"
    # Still mostly the same text: a scan is poor, not random.
    same = sum(a == b for d in damaged for a, b in zip(d, LETTER, strict=False))
    assert same / sum(len(d) for d in damaged) > 0.3


def test_level_zero_leaves_text_alone() -> None:
    assert ocr_noise(LETTER, random.Random(1), level=0.0) == LETTER


def test_typos_touch_some_words_deterministically() -> None:
    text = "segnalo una buca profonda davanti al portone del condominio " * 5
    slipped = typos(text, random.Random(2), rate=0.3)
    assert slipped == typos(text, random.Random(2), rate=0.3)
    assert slipped != text
    assert len(slipped.split()) == len(text.split())
