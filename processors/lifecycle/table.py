"""The allowed transitions of a case, as one explicit table.

Each row says: this verb, from one of these states, by one of these actors, leads to this
state, and needs these fields. A verb may have several rows (the front office may reject a
case that was never assigned; the owning body may reject one it holds). Anything the table
does not list is refused. `OWNER` means "a body, and the one that owns the case now".

- assign: received -> assigned; by front_office; needs reassign_to
- acknowledge: assigned, reassigned -> acknowledged; by owner; needs -
- start: assigned, acknowledged, reassigned -> in_progress; by owner; needs -
- ask_citizen: acknowledged, in_progress -> waiting_for_citizen; by owner; needs
  note_for_citizen
- resume: waiting_for_citizen -> in_progress; by owner, front_office, citizen; needs -
- resolve: acknowledged, in_progress -> resolved; by owner; needs note_for_citizen
- reject: received -> rejected; by front_office; needs reason
- reject: assigned, acknowledged, in_progress, waiting_for_citizen, reassigned -> rejected;
  by owner, front_office; needs reason
- reassign: assigned, acknowledged, in_progress, reassigned -> reassigned; by owner,
  front_office; needs reason, reassign_to
- reopen: resolved, rejected -> assigned (*); by front_office, citizen; needs reason
- confirm: resolved -> closed; by citizen; needs -
- close: resolved, rejected -> closed; by front_office; needs -

(*) A reopened case goes back to the body that owns it, which must acknowledge it again; a case
the front office rejected before assigning it has no owner and goes back to `received`.

Why these rows: a body may skip `acknowledge` (starting work acknowledges it), but may resolve
only what it has acknowledged or started, so the acknowledgement clock always stops first.
`closed` is final: a complaint about a closed case is a new case. The clock of the citizen's
side (`ask_citizen` … `resume`) is what the SLA pauses on.
"""

import textwrap
from dataclasses import dataclass
from enum import StrEnum

from schemas.case import CaseStatus
from schemas.status import Transition

S = CaseStatus
T = Transition


class Who(StrEnum):
    """Who may perform a row: the owning body, the front office, or the citizen."""

    OWNER = "owner"
    FRONT_OFFICE = "front_office"
    CITIZEN = "citizen"


class Need(StrEnum):
    """A field of `StatusUpdate` a row requires."""

    REASON = "reason"
    NOTE_FOR_CITIZEN = "note_for_citizen"
    REASSIGN_TO = "reassign_to"


@dataclass(frozen=True)
class Rule:
    transition: Transition
    sources: frozenset[CaseStatus]
    target: CaseStatus
    who: frozenset[Who]
    needs: frozenset[Need] = frozenset()


def _rule(
    transition: Transition,
    sources: set[CaseStatus],
    target: CaseStatus,
    who: set[Who],
    needs: set[Need] | None = None,
) -> Rule:
    return Rule(transition, frozenset(sources), target, frozenset(who), frozenset(needs or ()))


_HELD = {S.ASSIGNED, S.REASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS}
_BODY_OR_FRONT = {Who.OWNER, Who.FRONT_OFFICE}

RULES: tuple[Rule, ...] = (
    _rule(T.ASSIGN, {S.RECEIVED}, S.ASSIGNED, {Who.FRONT_OFFICE}, {Need.REASSIGN_TO}),
    _rule(T.ACKNOWLEDGE, {S.ASSIGNED, S.REASSIGNED}, S.ACKNOWLEDGED, {Who.OWNER}),
    _rule(T.START, {S.ASSIGNED, S.REASSIGNED, S.ACKNOWLEDGED}, S.IN_PROGRESS, {Who.OWNER}),
    _rule(
        T.ASK_CITIZEN,
        {S.ACKNOWLEDGED, S.IN_PROGRESS},
        S.WAITING_FOR_CITIZEN,
        {Who.OWNER},
        {Need.NOTE_FOR_CITIZEN},
    ),
    _rule(
        T.RESUME,
        {S.WAITING_FOR_CITIZEN},
        S.IN_PROGRESS,
        {Who.OWNER, Who.FRONT_OFFICE, Who.CITIZEN},
    ),
    _rule(
        T.RESOLVE,
        {S.ACKNOWLEDGED, S.IN_PROGRESS},
        S.RESOLVED,
        {Who.OWNER},
        {Need.NOTE_FOR_CITIZEN},
    ),
    _rule(T.REJECT, {S.RECEIVED}, S.REJECTED, {Who.FRONT_OFFICE}, {Need.REASON}),
    _rule(T.REJECT, _HELD | {S.WAITING_FOR_CITIZEN}, S.REJECTED, _BODY_OR_FRONT, {Need.REASON}),
    _rule(T.REASSIGN, _HELD, S.REASSIGNED, _BODY_OR_FRONT, {Need.REASON, Need.REASSIGN_TO}),
    _rule(
        T.REOPEN,
        {S.RESOLVED, S.REJECTED},
        S.ASSIGNED,
        {Who.FRONT_OFFICE, Who.CITIZEN},
        {Need.REASON},
    ),
    _rule(T.CONFIRM, {S.RESOLVED}, S.CLOSED, {Who.CITIZEN}),
    _rule(T.CLOSE, {S.RESOLVED, S.REJECTED}, S.CLOSED, {Who.FRONT_OFFICE}),
)

TERMINAL: frozenset[CaseStatus] = frozenset({S.CLOSED})
"""States no transition leaves."""


def rules_for(transition: Transition, status: CaseStatus) -> Rule | None:
    """The row that allows `transition` from `status`, or None. At most one row matches:
    rows of the same verb have disjoint sources (a test checks it)."""
    for rule in RULES:
        if rule.transition is transition and status in rule.sources:
            return rule
    return None


def describe_rules(rules: tuple[Rule, ...] = RULES) -> str:
    """The table as text, one row a paragraph (the module docstring holds its output)."""
    lines: list[str] = []
    for rule in rules:
        sources = ", ".join(s.value for s in _ordered(rule.sources))
        who = ", ".join(w.value for w in Who if w in rule.who)
        needs = ", ".join(n.value for n in Need if n in rule.needs) or "-"
        target = rule.target.value + (" (*)" if rule.transition is T.REOPEN else "")
        text = f"{rule.transition.value}: {sources} -> {target}; by {who}; needs {needs}"
        lines.extend(textwrap.wrap(text, width=92, initial_indent="- ", subsequent_indent="  "))
    return "\n".join(lines)


def _ordered(states: frozenset[CaseStatus]) -> list[CaseStatus]:
    return [s for s in CaseStatus if s in states]


def sources_of(transition: Transition) -> frozenset[CaseStatus]:
    """Every state `transition` is allowed from, by anyone."""
    return frozenset().union(*(r.sources for r in RULES if r.transition is transition))
