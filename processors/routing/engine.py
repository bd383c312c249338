"""`route(facts, rules)`: which body owns a case, and why. Total and deterministic.

Total: every input gets a `Routing` — a body, or triage with a reason — and nothing raises
on odd facts (an unknown category, a district nobody spelled that way, no text).
Deterministic: the same facts and refusals give the same routing, so a replay routes alike.

A body that receives a case can refuse it ("not ours", with a reason). Routing again with
its `Refusal` skips every rule naming that body and its default; if nothing else fits, the
case goes to triage. The reasons are in the explanation, so the next body and the operator
see them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from processors.dedup.place import normalize_district
from processors.dedup.text import words
from processors.routing.rules import RuleSet
from schemas.submission import Channel


@dataclass(frozen=True)
class CaseFacts:
    """What routing looks at. `category` is `None` when the classifier could not tell."""

    category: str | None
    text: str = ""
    subject: str | None = None
    district: str | None = None
    channel: Channel | str | None = None


@dataclass(frozen=True)
class Refusal:
    """A body said the case is not theirs."""

    body_id: str
    reason: str


TRIAGE_NO_CATEGORY = "no_category"
TRIAGE_UNKNOWN_CATEGORY = "unknown_category"
TRIAGE_ALL_REFUSED = "all_refused"


@dataclass(frozen=True)
class Routing:
    """Where the case goes: `body_id`, or triage when it is `None` (`triage_reason` says
    why). `rule_id` is a rule's id, `default:<category>` or `triage:<reason>`."""

    body_id: str | None
    rule_id: str
    explanation: str
    triage_reason: str | None = None
    refused_by: tuple[str, ...] = ()

    @property
    def is_triage(self) -> bool:
        return self.body_id is None


def route(facts: CaseFacts, rules: RuleSet, refusals: Sequence[Refusal] = ()) -> Routing:
    """Route one case; see the module docstring."""
    refused: dict[str, str] = {}
    for refusal in refusals:
        refused.setdefault(refusal.body_id, refusal.reason)
    notes = [f"{body} refused it: {reason!r}" for body, reason in refused.items()]
    refused_by = tuple(refused)
    text = f"{facts.subject}\n{facts.text}" if facts.subject else facts.text
    tokens = tuple(words(text))
    token_set = frozenset(tokens)
    district = normalize_district(facts.district) if facts.district else None
    channel = facts.channel.value if isinstance(facts.channel, Channel) else facts.channel
    for compiled in rules.rules:
        held = compiled.match(facts.category, district, channel, tokens, token_set)
        if held is None:
            continue
        rule = compiled.rule
        if rule.body in refused:
            notes.append(f"rule {rule.id!r} would choose {rule.body}, which refused it")
            continue
        why = f"rule {rule.id!r} ({'; '.join(held)}): {rule.why} -> {_describe(rules, rule.body)}"
        return Routing(rule.body, rule.id, _join(notes, why), refused_by=refused_by)
    if facts.category is None:
        return _triage(TRIAGE_NO_CATEGORY, "no category and no rule applies", notes, refused_by)
    body = rules.defaults.get(facts.category)
    if body is None:
        return _triage(
            TRIAGE_UNKNOWN_CATEGORY,
            f"category {facts.category!r} is not in the taxonomy and no rule applies",
            notes,
            refused_by,
        )
    if body in refused:
        return _triage(
            TRIAGE_ALL_REFUSED,
            f"category {facts.category} belongs to {body}, which refused it, and no other "
            "rule applies",
            notes,
            refused_by,
        )
    why = f"category {facts.category} belongs by default to {_describe(rules, body)}"
    return Routing(body, f"default:{facts.category}", _join(notes, why), refused_by=refused_by)


def _describe(rules: RuleSet, body_id: str) -> str:
    body = rules.bodies.get(body_id)
    return f"{body_id} ({body.name}, {body.kind.value})" if body else body_id


def _join(notes: list[str], last: str) -> str:
    return "; ".join([*notes, last])


def _triage(reason: str, why: str, notes: list[str], refused_by: tuple[str, ...]) -> Routing:
    return Routing(
        None,
        f"triage:{reason}",
        _join(notes, f"to triage: {why}"),
        triage_reason=reason,
        refused_by=refused_by,
    )
