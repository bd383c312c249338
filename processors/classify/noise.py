"""Text damage as it really happens: OCR misreadings and people's typos.

Both functions are pure given their `random.Random`, so a seeded generator or test gets the
same damaged text every time. They are used to build the training corpus (the scans and
postal channels feed the classifier Tesseract output of elderly people's handwriting) and to
evaluate the classifier on noisy text it has never seen.

    rng = random.Random(7)
    ocr_noise("Il lampione è spento da giorni", rng)   # e.g. "Il 1ampione e spcnto da\\ngiomi"
    typos("segnalo una buca", rng)                     # e.g. "segnalo una bcua"
"""

import random
import re

# Pairs Tesseract confuses on real scans: glyphs of similar shape in either direction.
_OCR_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("rn", "m"),
    ("m", "rn"),
    ("l", "1"),
    ("1", "l"),
    ("I", "l"),
    ("i", "l"),
    ("e", "c"),
    ("c", "e"),
    ("o", "0"),
    ("O", "0"),
    ("a", "o"),
    ("u", "n"),
    ("n", "u"),
    ("h", "b"),
    ("cl", "d"),
    ("d", "cl"),
    ("vv", "w"),
    ("ri", "n"),
    ("li", "h"),
    ("t", "f"),
    ("f", "t"),
    ("S", "5"),
    ("B", "8"),
    (",", "."),
)

# Typographic quotes (\u2019 \u2018 \u201c \u201d) come out of OCR as plain ones.
_ACCENTS = str.maketrans("àáèéìíòóùúÀÈÉÌÒÙ\u2019\u2018\u201c\u201d«»", 'aaeeiioouuAEEIOU\'\'""""')
_WORD = re.compile(r"[^\W\d_]{5,}")


def ocr_noise(text: str, rng: random.Random, *, level: float = 1.0) -> str:
    """Damage `text` the way OCR of a poor scan or of handwriting does.

    `level` scales every kind of damage: 1.0 is a poor but readable scan (about one word in
    six is touched), 2.0 is shaky handwriting. Kinds of damage: look-alike glyph confusions
    (rn→m, l→1, e→c, o→0, ...), accents dropped or turned into an apostrophe, words broken
    by a space or a hyphenated line break, neighbouring words run together, stray line
    breaks, lost characters and specks read as punctuation.
    """
    p = max(0.0, level)
    out = _drop_accents(text, rng, p)
    out = _confuse_glyphs(out, rng, 0.035 * p)
    out = _break_words(out, rng, 0.04 * p)
    return _mangle_spacing(out, rng, 0.05 * p)


def typos(text: str, rng: random.Random, *, rate: float = 0.04) -> str:
    """Add a person's typing slips to about `rate` of the words: swapped, doubled, dropped or
    neighbouring-key letters, and accents written as an apostrophe or left out."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) < 4 or rng.random() >= rate:
            continue
        words[i] = _slip(word, rng)
    out = " ".join(words)
    if rng.random() < 0.5:
        out = out.replace("è", "e'" if rng.random() < 0.5 else "e")
        out = out.replace("à", "a'").replace("ù", "u'").replace("ò", "o'").replace("ì", "i'")
    return out


_KEYBOARD_NEIGHBOURS = {
    "a": "sqz",
    "e": "wrd",
    "i": "uok",
    "o": "ipl",
    "u": "yij",
    "n": "bm",
    "m": "n",
    "r": "et",
    "t": "ry",
    "s": "adw",
    "l": "kp",
    "c": "xv",
    "d": "sf",
    "p": "ol",
}


def _slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1 :]
    near = _KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1 :]


def _drop_accents(text: str, rng: random.Random, p: float) -> str:
    if not any(ch in text for ch in "àáèéìíòóùú\u2019"):
        return text
    if rng.random() < min(1.0, 0.6 * p):
        return text.translate(_ACCENTS)
    return "".join(
        (ch.translate(_ACCENTS) + ("'" if rng.random() < 0.3 else ""))
        if ch in "àèéìòù" and rng.random() < 0.5 * p
        else ch
        for ch in text
    )


def _confuse_glyphs(text: str, rng: random.Random, p: float) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        for src, dst in _OCR_CONFUSIONS:
            if text.startswith(src, i) and rng.random() < p:
                out.append(dst)
                i += len(src)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _break_words(text: str, rng: random.Random, p: float) -> str:
    def split(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= p:
            return word
        cut = rng.randrange(2, len(word) - 2)
        joint = rng.choice((" ", "-\n", " ", "\n"))
        return word[:cut] + joint + word[cut:]

    return _WORD.sub(split, text)


def _mangle_spacing(text: str, rng: random.Random, p: float) -> str:
    out: list[str] = []
    for ch in text:
        r = rng.random()
        if ch == " " and r < p * 0.5:
            out.append("\n")
        elif (ch == " " and r < p * 0.7) or (ch.isalpha() and r < p * 0.06):
            continue
        elif r < p * 0.02:
            out.append(ch + rng.choice(".,'`;:"))
        else:
            out.append(ch)
    return "".join(out)
