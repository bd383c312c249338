"""Routing: the body (department or company) that owns each case, by ordered rules.

    rules = load_rules()                       # rules.toml + bodies.toml + taxonomy.toml
    routing = route(facts_of(case), rules, refusals_of(case))
    if routing.is_triage:  publish CaseTriaged(triage_for(case, routing, candidates))
    else:                  publish CaseAssigned(assignment_for(case, routing))
                           on complaints.routed.<routing.body_id>

Rules are tried in file order; then the category's default body; then triage. A body that
refuses a case is skipped when it is routed again (`Refusal`), with its reason in the
explanation.
"""

from processors.routing.assign import (
    assignment_for,
    contact_of,
    facts_of,
    refusals_of,
    triage_for,
)
from processors.routing.engine import CaseFacts, Refusal, Routing, route
from processors.routing.rules import DEFAULT_RULES_FILE, RuleSet, load_rules, parse_rules

__all__ = [
    "DEFAULT_RULES_FILE",
    "CaseFacts",
    "Refusal",
    "Routing",
    "RuleSet",
    "assignment_for",
    "contact_of",
    "facts_of",
    "load_rules",
    "parse_rules",
    "refusals_of",
    "route",
    "triage_for",
]
