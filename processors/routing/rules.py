"""Routing rules: parsed from TOML, checked against the bodies and the taxonomy, compiled.

A rule file that names an unknown body, category or channel, or a rule with no condition
(which would shadow every rule after it), is refused at load: a typo must stop the worker at
start, not misroute complaints for a month.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter

from processors.bodies import Body, load_bodies
from processors.dedup.place import normalize_district
from processors.dedup.text import words
from processors.taxonomy import Category, load_taxonomy
from schemas._strict import StrictModel
from schemas.submission import Channel

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.toml")


class Rule(StrictModel):
    """One rule as written in the file."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
    body: str
    why: Annotated[str, Field(min_length=1, max_length=1000)]
    categories: tuple[str, ...] = ()
    not_categories: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    keywords: tuple[str, ...] = ()
    not_keywords: tuple[str, ...] = ()


_RULES = TypeAdapter(tuple[Rule, ...])


@dataclass(frozen=True)
class Keyword:
    """A keyword compiled to folded words; `prefix` when written with a trailing "*"."""

    text: str
    words: tuple[str, ...]
    prefix: bool

    @classmethod
    def compile(cls, text: str) -> "Keyword":
        compiled = tuple(words(text))
        if not compiled:
            raise ValueError(f"keyword {text!r} has no words")
        return cls(text, compiled, text.rstrip().endswith("*"))

    def find(self, tokens: tuple[str, ...], token_set: frozenset[str]) -> bool:
        first = self.words[0]
        if len(self.words) == 1 and not self.prefix:
            return first in token_set
        n = len(self.words)
        for i in range(len(tokens) - n + 1):
            if tokens[i : i + n - 1] != self.words[:-1]:
                continue
            last = tokens[i + n - 1]
            if last == self.words[-1] or (self.prefix and last.startswith(self.words[-1])):
                return True
        return False


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to match; `match` says which conditions held, or `None`."""

    rule: Rule
    districts: frozenset[str]
    keywords: tuple[Keyword, ...]
    not_keywords: tuple[Keyword, ...]

    def match(
        self,
        category: str | None,
        district: str | None,
        channel: str | None,
        tokens: tuple[str, ...],
        token_set: frozenset[str],
    ) -> tuple[str, ...] | None:
        rule = self.rule
        held: list[str] = []
        if rule.categories:
            if category not in rule.categories:
                return None
            held.append(f"category {category}")
        if rule.not_categories and category in rule.not_categories:
            return None
        if self.districts:
            if district not in self.districts:
                return None
            held.append(f"district {district}")
        if rule.channels:
            if channel not in {c.value for c in rule.channels}:
                return None
            held.append(f"channel {channel}")
        if self.keywords:
            found = [k.text for k in self.keywords if k.find(tokens, token_set)]
            if not found:
                return None
            held.append("keyword " + ", ".join(repr(k) for k in found))
        if any(k.find(tokens, token_set) for k in self.not_keywords):
            return None
        return tuple(held)


@dataclass(frozen=True)
class RuleSet:
    """Ordered rules, category defaults and the bodies they name: what `route` needs."""

    rules: tuple[CompiledRule, ...]
    defaults: dict[str, str]
    bodies: dict[str, Body]


def parse_rules(text: str, bodies: tuple[Body, ...], taxonomy: tuple[Category, ...]) -> RuleSet:
    """Parse and check a rules file against `bodies` and `taxonomy`; raises `ValueError`."""
    rules = _RULES.validate_python(tomllib.loads(text).get("rule", []))
    body_ids = {b.id for b in bodies}
    codes = {c.code for c in taxonomy}
    problems: list[str] = []
    ids = [r.id for r in rules]
    problems += [
        f"rule id {i!r} appears more than once" for i in sorted(set(ids)) if ids.count(i) > 1
    ]
    for rule in rules:
        if rule.body not in body_ids:
            problems.append(f"rule {rule.id!r}: unknown body {rule.body!r}")
        for code in (*rule.categories, *rule.not_categories):
            if code not in codes:
                problems.append(f"rule {rule.id!r}: unknown category {code!r}")
        if not (rule.categories or rule.districts or rule.channels or rule.keywords):
            problems.append(f"rule {rule.id!r} has no condition and would match everything")
    unknown_defaults = sorted({c.body for c in taxonomy} - body_ids)
    problems += [f"the taxonomy names unknown body {b!r}" for b in unknown_defaults]
    if problems:
        raise ValueError("; ".join(problems))
    compiled = tuple(
        CompiledRule(
            rule=rule,
            districts=frozenset(normalize_district(d) for d in rule.districts),
            keywords=tuple(Keyword.compile(k) for k in rule.keywords),
            not_keywords=tuple(Keyword.compile(k) for k in rule.not_keywords),
        )
        for rule in rules
    )
    return RuleSet(
        rules=compiled,
        defaults={c.code: c.body for c in taxonomy},
        bodies={b.id: b for b in bodies},
    )


def load_rules(
    path: Path | None = None,
    bodies: tuple[Body, ...] | None = None,
    taxonomy: tuple[Category, ...] | None = None,
) -> RuleSet:
    """The shipped rules, bodies and taxonomy unless others are given."""
    bodies = bodies if bodies is not None else load_bodies()
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    return parse_rules((path or DEFAULT_RULES_FILE).read_text(encoding="utf-8"), bodies, taxonomy)
