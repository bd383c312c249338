"""Which SLA alerts a stored case owes by a given time on the workers' clock, computed with
the worker's own pure functions (`open_sla`, the shipped policies and calendar), so the
fault suite can tell a missing alert from one not yet due.

The suite's cases are never acknowledged nor resolved by anyone, so their clocks never
stop or pause: the resolution clock runs from the legal receipt time, and the
acknowledgement clock from the assignment (the `time` of the `sportello.case.assigned`
event, the worker's clock when it assigned the case) under the assigned body's policy.
"""

from collections.abc import Iterable
from datetime import datetime

from bench.harness.observe import CaseFacts
from processors.sla.policy import Policies
from processors.sla.tracking import open_sla


def owed(facts: CaseFacts, policies: Policies) -> list[tuple[str, str, datetime]]:
    """(clock, kind, when) of every alert `facts`' case will owe, soonest first."""
    policy = policies.for_case(facts.category, facts.body)
    assigned = facts.body is not None and facts.assigned_at is not None
    state = open_sla(
        facts.case_id,
        facts.legal_receipt_at,
        policy,
        policies.calendar,
        body=facts.body if assigned else None,
        assigned_at=facts.assigned_at if assigned else None,
    )
    out: list[tuple[str, str, datetime]] = []
    for clock in (state.resolution, state.acknowledgement):
        if clock is not None:
            out.extend((clock.kind.value, kind, when) for kind, _, when in clock.pending())
    return sorted(out, key=lambda a: a[2])


def due_between(
    cases: Iterable[CaseFacts], policies: Policies, after: datetime, until: datetime
) -> set[tuple[str, str, str]]:
    """(case id, clock, kind) of the alerts due in (`after`, `until`] on the workers' clock."""
    return {
        (facts.case_id, clock, kind)
        for facts in cases
        for clock, kind, when in owed(facts, policies)
        if after < when <= until
    }
