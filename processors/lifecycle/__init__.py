"""The case lifecycle: the allowed transitions and the pure function that applies them.

    from processors.lifecycle import CaseState, apply, Accepted, Refused

    outcome = apply(state, status_update, now)

`table` holds the transition table (documented there); `machine` the function and the
models; `solved` the rule that decides when a resolved case counts as solved.
"""

from processors.lifecycle.machine import (
    Accepted,
    CaseState,
    HistoryEntry,
    Outcome,
    RefusalCode,
    Refused,
    apply,
    snapshot_with,
)
from processors.lifecycle.solved import counts_as_solved, solved_at
from processors.lifecycle.table import RULES, TERMINAL, Need, Rule, Who, describe_rules, rules_for

__all__ = [
    "RULES",
    "TERMINAL",
    "Accepted",
    "CaseState",
    "HistoryEntry",
    "Need",
    "Outcome",
    "RefusalCode",
    "Refused",
    "Rule",
    "Who",
    "apply",
    "counts_as_solved",
    "describe_rules",
    "rules_for",
    "snapshot_with",
    "solved_at",
]
