"""Whether a citizen's reply to an answer says "not solved". Pure.

The notification of a resolution asks the citizen to reply "NON RISOLTO" / "NOT SOLVED" when
the problem is still there (or to use the link it carries). A reply quotes the message it
answers, instructions included, so only the citizen's own words count: the lines before the
first quotation (`>` lines, "Il giorno … ha scritto:", "-----Original Message-----", a
forwarded header block, or the first line of Sportello's own message).

What counts is a negation close before "solved" in Italian or English ("non è ancora stato
risolto", "not fixed", "isn't solved"), or "irrisolto" / "unresolved". Anything else — thanks,
a question, a photo — is a follow-up like any other, forwarded to the body.
"""

import re
import unicodedata

_QUOTE_START = re.compile(
    r"^\s*(?:>|-{2,}\s*(?:original message|messaggio originale|messaggio inoltrato|"
    r"forwarded message)|_{5,}|(?:da|from|inviato|sent|mittente)\s*:|"
    r"(?:il|on)\b.{0,200}\b(?:ha scritto|wrote)\s*:?\s*$|"
    r"gentile cittadina|sportello reclami|dear citizen)",
    re.IGNORECASE,
)
_GAP = r"[^.!?:;,\n]{0,40}"
_NOT_SOLVED = (
    re.compile(rf"\bnon\b{_GAP}\brisolt[oaie]\b"),
    re.compile(rf"\b(?:not|never|no longer)\b{_GAP}\b(?:solved|resolved|fixed)\b"),
    re.compile(rf"n't\b{_GAP}\b(?:solved|resolved|fixed)\b"),
    re.compile(r"\b(?:irrisolt[oaie]|unresolved|unsolved|unfixed)\b"),
)


def own_words(text: str) -> str:
    """The reply without what it quotes: the lines before the first quotation."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        kept.append(line)
    return "\n".join(kept)


def _plain(text: str) -> str:
    # "è" and "e'" and "é" alike; apostrophes of every kind as one.
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def says_not_solved(text: str) -> bool:
    """True when the citizen's own words in `text` say the problem is not solved."""
    words = _plain(own_words(text))
    return any(p.search(words) for p in _NOT_SOLVED)


def reopen_reason(text: str, limit: int = 2000) -> str:
    """The reason a reopen by reply carries: the citizen's own words, shortened."""
    words = " ".join(own_words(text).split())
    prefix = "the citizen replied that it is not solved: "
    return (prefix + words)[:limit] if words else prefix.rstrip(": ")
