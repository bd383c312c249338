"""The transition table is well formed and documented as it is."""

from processors.lifecycle import RULES, TERMINAL, describe_rules, rules_for
from processors.lifecycle import table as table_module
from schemas.case import CaseStatus
from schemas.status import Transition


def test_rows_of_one_verb_have_disjoint_sources() -> None:
    for transition in Transition:
        rows = [r for r in RULES if r.transition is transition]
        seen: set[CaseStatus] = set()
        for row in rows:
            assert not (row.sources & seen), transition
            seen |= row.sources


def test_every_verb_has_a_row_and_every_row_someone_who_may_do_it() -> None:
    assert {r.transition for r in RULES} == set(Transition)
    assert all(r.who and r.sources for r in RULES)


def test_every_state_is_reachable_from_received_and_only_closed_is_final() -> None:
    reached = {CaseStatus.RECEIVED}
    frontier = [CaseStatus.RECEIVED]
    while frontier:
        status = frontier.pop()
        for transition in Transition:
            rule = rules_for(transition, status)
            if rule is not None and rule.target not in reached:
                reached.add(rule.target)
                frontier.append(rule.target)
    assert reached == set(CaseStatus)
    leaving = {s for r in RULES for s in r.sources}
    assert set(CaseStatus) - leaving == set(TERMINAL) == {CaseStatus.CLOSED}


def test_module_docstring_shows_the_table_as_it_is() -> None:
    assert table_module.__doc__ is not None
    assert describe_rules() in table_module.__doc__
