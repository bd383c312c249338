"""The hand-written material of the corpus, parsed from this folder's text files.

- `base_<language>_<part>.txt`: full complaints. `[code]` opens a category; each following
  non-blank line is one complaint; a line starting with `~` is indirect (it never names its
  category). Placeholders `{via}`, `{via2}`, `{n}` are filled by the generator.
- `phrases_<language>.txt`: the short entries people type in a form's one-line field,
  `" | "`-separated under the same `[code]` headers.

`#` starts a comment line in both.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CORPUS_DIR = Path(__file__).resolve().parent
_BASE_FILE = re.compile(r"^base_(?P<language>[a-z]{2})_\d+\.txt$")
_PHRASE_FILE = re.compile(r"^phrases_(?P<language>[a-z]{2})\.txt$")
_HEADER = re.compile(r"^\[(?P<code>[a-z][a-z0-9_]+)\]$")

Kind = Literal["direct", "indirect", "phrase"]


@dataclass(frozen=True)
class BaseText:
    """One hand-written complaint or short entry; `group` names it and every variant the
    generator composes from it."""

    group: str
    label: str
    language: str
    text: str
    kind: Kind


def _sections(text: str) -> Iterator[tuple[str, str]]:
    code: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            code = header.group("code")
            continue
        if code is None:
            raise ValueError(f"line {number}: text before any [category] header")
        yield code, line


def parse_base_texts(text: str, language: str, prefix: str) -> list[BaseText]:
    """Parse one file of full complaints; groups are `<prefix>-<code>-<index>`."""
    result: list[BaseText] = []
    counts: dict[str, int] = {}
    for code, line in _sections(text):
        kind: Kind = "indirect" if line.startswith("~") else "direct"
        index = counts.get(code, 0)
        counts[code] = index + 1
        group = f"{prefix}-{code}-{index:02d}"
        result.append(BaseText(group, code, language, line.lstrip("~").strip(), kind))
    return result


def parse_phrases(text: str, language: str) -> list[BaseText]:
    """Parse one file of short entries; groups are `<language>_ph-<code>-<index>`."""
    result: list[BaseText] = []
    counts: dict[str, int] = {}
    for code, line in _sections(text):
        for phrase in (p.strip() for p in line.split("|")):
            if phrase:
                index = counts.get(code, 0)
                counts[code] = index + 1
                group = f"{language}_ph-{code}-{index:03d}"
                result.append(BaseText(group, code, language, phrase, "phrase"))
    return result


def load_base_texts(directory: Path = CORPUS_DIR) -> list[BaseText]:
    """Every complaint and short entry in `directory`, in a stable order (file, then line)."""
    texts: list[BaseText] = []
    for path in sorted(directory.iterdir()):
        base, phrases = _BASE_FILE.match(path.name), _PHRASE_FILE.match(path.name)
        if base:
            prefix = path.stem.removeprefix("base_")
            content = path.read_text(encoding="utf-8")
            texts.extend(parse_base_texts(content, base["language"], prefix))
        elif phrases:
            texts.extend(parse_phrases(path.read_text(encoding="utf-8"), phrases["language"]))
    return texts
