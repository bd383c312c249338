"""Write the training corpus: every base complaint composed in each way citizens write.

    python -m processors.classify.corpus.generate [--seed 20240601] [--out corpus.csv]

Deterministic: the same base files and seed give the same CSV byte for byte (each variant's
random choices are seeded by seed, group and style, never by process state).
"""

import argparse
import csv
import io
import random
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from processors.classify.corpus.pieces import PIECES, Pieces
from processors.classify.corpus.sources import BaseText, load_base_texts
from processors.classify.data import CORPUS_COLUMNS, DEFAULT_CORPUS, CorpusRow
from processors.classify.noise import ocr_noise, typos

DEFAULT_SEED = 20240601
# Web and app forms are the busiest channel, so each base text gets two form entries.
STYLES = ("form", "form", "email", "angry", "letter", "chat", "operator", "ocr")
# A short entry is typed alone, set in a few words of its own, or sent as a chat message.
PHRASE_STYLES = ("short", "short", "short")


class _Composer:
    def __init__(self, base: BaseText, rng: random.Random) -> None:
        self.base = base
        self.rng = rng
        self.p: Pieces = PIECES[base.language]
        self.street = rng.choice(self.p.streets)
        self.name = f"{rng.choice(self.p.first_names)} {rng.choice(self.p.last_names)}"
        self.city = rng.choice(self.p.cities)

    def pick(self, options: tuple[str, ...]) -> str:
        return self.fill(self.rng.choice(options))

    def maybe(self, probability: float, options: tuple[str, ...]) -> str:
        return self.pick(options) if self.rng.random() < probability else ""

    def fill(self, template: str) -> str:
        r = self.rng
        values = {
            "via": self.street,
            "via2": r.choice([s for s in self.p.streets if s != self.street]),
            "street": self.street,
            "n": str(r.randint(1, 180)) + r.choice(("", "", "", "/a", "/b", " bis")),
            "city": self.city,
            "name": self.name,
            "birth": f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(1935, 2002)}",
            "date": self.date(),
            "time": f"{r.randint(8, 19):02d}:{r.randint(0, 59):02d}",
            "ticket": f"{r.choice(('SEG', 'TK', 'URP', '#'))}{r.randint(10000, 999999)}",
            "weeks": str(r.randint(2, 12)),
            "age": str(r.randint(76, 94)),
            "phone": self.phone(),
        }
        return template.format_map(values)

    def date(self) -> str:
        r = self.rng
        day, month, year = r.randint(1, 28), r.randint(1, 12), r.choice((2023, 2024, 2025))
        if r.random() < 0.5:
            return f"{day:02d}/{month:02d}/{year}"
        return f"{day} {self.p.months[month - 1]} {year}"

    def phone(self) -> str:
        r = self.rng
        return f"3{r.randint(20, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"

    def complaint(self) -> str:
        text = self.fill(self.base.text)
        return text[:1].upper() + text[1:]

    def signature(self) -> str:
        lines = [self.name]
        if self.rng.random() < 0.4:
            lines.append(f"{self.p.phone_label} {self.phone()}")
        if self.rng.random() < 0.3:
            lines.append(f"{self.p.address_label} {self.fill('{street} {n}')}, {self.city}")
        if self.rng.random() < 0.15:
            lines.append(self.pick(self.p.sent_from))
        return "\n".join(lines)

    def context(self, probability: float, most: int) -> str:
        if self.rng.random() >= probability:
            return ""
        picked = self.rng.sample(self.p.context, self.rng.randint(1, most))
        return " ".join(self.fill(c) for c in picked)


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def _form(c: _Composer) -> str:
    r = c.rng
    text = c.complaint()
    if r.random() < 0.3:
        text = text.rstrip(".")
    if r.random() < 0.3:
        text = text.lower()
    if r.random() < 0.25:
        text = f"{text} - {c.fill('{street} {n}')}"
    return typos(c.pick(c.p.form_prefixes) + text, r, rate=0.05)


def _email(c: _Composer) -> str:
    r = c.rng
    body = _join(c.maybe(0.6, c.p.openers), c.complaint(), c.context(0.7, 2))
    text = _join(c.maybe(0.85, c.p.greetings), body, c.pick(c.p.closings), sep="\n\n")
    return typos(_join(text, c.signature(), sep="\n"), r, rate=0.02)


def _angry(c: _Composer) -> str:
    r = c.rng
    complaint = c.complaint()
    if r.random() < 0.3:
        complaint = complaint.upper()
    complaint = re.sub(r"\.(\s|$)", lambda m: "!" * r.randint(1, 4) + m.group(1), complaint)
    shouts = " ".join(c.fill(s) for s in r.sample(c.p.angry, r.randint(1, 3)))
    parts = [c.maybe(0.5, c.p.greetings), complaint, c.context(0.5, 1), shouts]
    if r.random() < 0.4:
        parts[1], parts[3] = parts[3], parts[1]
    text = _join(*parts, sep="\n" if r.random() < 0.5 else " ")
    if r.random() < 0.6:
        text = _join(text, c.name, sep="\n")
    return typos(text, r, rate=0.05)


def _letter(c: _Composer) -> str:
    head = f"{c.city}, {c.date()}"
    recipient = c.fill(
        "Al Comune di {city}\nUfficio Relazioni con il Pubblico"
        if c.base.language == "it"
        else "To the City of {city}\nCustomer Care Office"
    )
    body = _join(c.pick(c.p.letter_intro), c.complaint(), c.context(0.4, 1))
    parts = [head, recipient, c.pick(c.p.letter_subjects), c.maybe(0.7, c.p.greetings), body]
    parts += [c.pick(c.p.letter_request), c.pick(c.p.closings), c.signature()]
    return _join(*parts, sep="\n\n")


def _chat(c: _Composer) -> str:
    r = c.rng
    text = _join(c.pick(c.p.chat_openers), c.complaint().lower(), c.pick(c.p.chat_closers))
    for long, short in c.p.chat_abbreviations:
        if r.random() < 0.6:
            text = text.replace(long, short)
    if r.random() < 0.5:
        text = re.sub(r"[.,;:]", "", text)
    if r.random() < 0.2:
        text += " " + r.choice(("!!", "😡", "🙏", "...", "?!"))
    return typos(text, r, rate=0.07)


def _operator(c: _Composer) -> str:
    return _join(c.pick(c.p.operator_notes), c.complaint(), c.pick(c.p.operator_tails))


def _short(c: _Composer) -> str:
    r = c.rng
    phrase = c.base.text
    frames = c.p.short_frames
    text = c.fill(r.choice(frames)).replace("@", phrase) if r.random() < 0.6 else phrase
    if r.random() < 0.5:
        text = text[:1].upper() + text[1:]
    if r.random() < 0.15:
        text = text.upper()
    return typos(text, r, rate=0.06)


def _ocr(c: _Composer) -> str:
    r = c.rng
    lines = [c.pick(c.p.elderly_intro), c.complaint(), c.context(0.3, 1)]
    lines += [c.pick(c.p.elderly_closing), c.name, c.fill("{street} {n}")]
    text = _join(*lines, sep="\n")
    return ocr_noise(text, r, level=r.uniform(0.7, 1.8))


_STYLE_FUNCTIONS: dict[str, Callable[[_Composer], str]] = {
    "form": _form,
    "email": _email,
    "angry": _angry,
    "letter": _letter,
    "chat": _chat,
    "operator": _operator,
    "ocr": _ocr,
    "short": _short,
}


def compose_variants(base: BaseText, seed: int) -> list[CorpusRow]:
    """Every styled variant of one base complaint, each seeded on its own."""
    rows = []
    for k, style in enumerate(PHRASE_STYLES if base.kind == "phrase" else STYLES):
        rng = random.Random(f"{seed}:{base.group}:{style}:{k}")
        text = _STYLE_FUNCTIONS[style](_Composer(base, rng))
        tag = f"{style}:indirect" if base.kind == "indirect" else style
        rows.append(CorpusRow(text, base.label, base.language, base.group, tag))
    return rows


def generate_corpus(bases: Iterable[BaseText], seed: int = DEFAULT_SEED) -> list[CorpusRow]:
    """The whole corpus, in base-text order."""
    return [row for base in bases for row in compose_variants(base, seed)]


def corpus_csv(rows: Iterable[CorpusRow]) -> str:
    """Render rows as CSV text with the header `text,label,language,group,style`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CORPUS_COLUMNS)
    for row in rows:
        writer.writerow((row.text, row.label, row.language, row.group, row.style))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    rows = generate_corpus(load_base_texts(), args.seed)
    args.out.write_text(corpus_csv(rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
