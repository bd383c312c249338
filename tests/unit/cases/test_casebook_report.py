"""Reports from the departments: accepted transitions move the case; refused ones become a
dead letter and change nothing; a report delivered twice is applied once; a body's "not
ours" re-routes the case by the rules without that body, or sends it to triage."""

import pytest

from schemas import topics
from schemas.case import CaseStatus
from schemas.events import CaseAssigned, CaseTriaged, CaseUpdated, DeadLettered
from schemas.status import Actor, Transition
from tests.unit.cases.support import (
    DAY,
    HOUR,
    T0,
    Case,
    FakeClassifier,
    book_with,
    on,
    report,
    submission,
)

ASBESTOS_ON_A_ROAD = "Lastre di eternit rotte accanto alla buca di via Padova 12"


def pothole() -> Case:
    return Case.opened(book_with(FakeClassifier()), submission("rep-1", "Buca in via Tortona"), T0)


def test_a_body_moves_its_case_through_the_lifecycle() -> None:
    case = pothole()
    statuses = []
    for transition, kwargs in (
        (Transition.ACKNOWLEDGE, {}),
        (Transition.START, {}),
        (Transition.RESOLVE, {"note": "Buca chiusa il 12 marzo"}),
    ):
        step = case.report(transition, case.record.lifecycle.updated_at + HOUR, **kwargs)
        [updated] = on(step, topics.CASES)
        assert isinstance(updated, CaseUpdated)
        statuses.append((updated.data.status, updated.data.version))
        assert on(step, topics.DEADLETTER) == []
    assert statuses == [
        (CaseStatus.ACKNOWLEDGED, 2),
        (CaseStatus.IN_PROGRESS, 3),
        (CaseStatus.RESOLVED, 4),
    ]
    assert case.record.sla is not None
    assert case.record.sla.resolution.stopped_at == T0 + 3 * HOUR
    assert case.record.snapshot.deadline_at is not None


def test_a_refused_report_is_a_dead_letter_and_changes_nothing() -> None:
    case = pothole()
    opened = case.record
    # Resolving needs an acknowledgement or a start first.
    step = case.book.report(
        opened,
        report(case.case_id, Transition.RESOLVE, T0 + HOUR, body="strade", note="Fatto"),
        T0 + HOUR,
    )
    [letter] = [e for n, e in step.out]
    assert isinstance(letter, DeadLettered)
    assert step.out[0][0] == topics.DEADLETTER
    assert letter.data.reason == "refused_not_allowed_from_state"
    assert "resolve is not allowed from assigned" in letter.data.detail
    assert step.record is not None
    assert step.record.model_copy(update={"applied": ()}) == opened
    assert step.next_alert_at is not None


def test_only_the_owner_may_report() -> None:
    case = pothole()
    step = case.book.report(
        case.record,
        report(case.case_id, Transition.ACKNOWLEDGE, T0 + HOUR, body="verde"),
        T0 + HOUR,
    )
    [(topic, letter)] = step.out
    assert topic == topics.DEADLETTER
    assert isinstance(letter, DeadLettered)
    assert letter.data.reason == "refused_not_owner"
    assert step.record is not None
    assert step.record.snapshot == case.record.snapshot


def test_the_same_report_twice_is_applied_once() -> None:
    case = pothole()
    ack = report(case.case_id, Transition.ACKNOWLEDGE, T0 + HOUR, body="strade")
    first = case.take(case.book.report(case.record, ack, T0 + HOUR))
    assert len(on(first, topics.CASES)) == 1
    acknowledged = case.record
    again = case.book.report(acknowledged, ack, T0 + 2 * HOUR)
    assert again.record == acknowledged
    assert again.out == [], "no dead letter either: it is the same fact, already applied"


def test_a_refused_report_delivered_twice_is_one_dead_letter() -> None:
    case = pothole()
    bad = report(case.case_id, Transition.CONFIRM, T0 + HOUR, actor=Actor.CITIZEN)
    first = case.take(case.book.report(case.record, bad, T0 + HOUR))
    assert len(on(first, topics.DEADLETTER)) == 1
    again = case.book.report(case.record, bad, T0 + HOUR)
    assert again.out == []


def test_not_ours_re_routes_by_the_rules_without_that_body() -> None:
    book = book_with(FakeClassifier())
    case = Case.opened(book, submission("not-ours-1", ASBESTOS_ON_A_ROAD), T0)
    assert (case.body, case.record.snapshot.routing_rule_id) == ("ambiente", "asbestos")

    step = case.report(
        Transition.REASSIGN, T0 + DAY, reason="Non è amianto: sono lastre di plastica"
    )

    snap = case.record.snapshot
    assert snap.status is CaseStatus.REASSIGNED
    assert snap.body == "strade"
    assert snap.routing_rule_id == "default:buche_stradali"
    assert snap.routing_explanation is not None
    assert "ambiente refused it: 'Non è amianto: sono lastre di plastica'" in (
        snap.routing_explanation
    )
    assert "rule 'asbestos' would choose ambiente, which refused it" in snap.routing_explanation
    assert [(r.body, r.reason) for r in snap.refusals] == [
        ("ambiente", "Non è amianto: sono lastre di plastica")
    ]
    [assigned] = on(step, topics.routed("strade"))
    assert isinstance(assigned, CaseAssigned)
    assert assigned.data.body == "strade"
    assert assigned.data.rule_id == "default:buche_stradali", "the body is told which rule"
    assert assigned.data.explanation == snap.routing_explanation
    assert on(step, topics.routed("ambiente")) == []
    [updated] = on(step, topics.CASES)
    assert isinstance(updated, CaseUpdated)
    assert updated.data == snap
    assert updated.data.version == 2
    assert on(step, topics.DEADLETTER) == []


def test_a_second_not_ours_skips_both_bodies_and_ends_in_triage() -> None:
    book = book_with(FakeClassifier())
    case = Case.opened(book, submission("not-ours-2", ASBESTOS_ON_A_ROAD), T0)
    case.report(Transition.REASSIGN, T0 + DAY, reason="Non è amianto")
    assert case.body == "strade"

    step = case.report(Transition.REASSIGN, T0 + 2 * DAY, reason="È un cantiere privato")

    snap = case.record.snapshot
    assert case.record.triaged
    assert snap.routing_rule_id == "triage:all_refused"
    assert [r.body for r in snap.refusals] == ["ambiente", "strade"]
    [triaged] = on(step, topics.TRIAGE)
    assert isinstance(triaged, CaseTriaged)
    assert triaged.data.reason == "all_refused"
    assert triaged.data.refused_by == ("ambiente", "strade")
    assert "strade refused it: 'È un cantiere privato'" in triaged.data.explanation
    [updated] = on(step, topics.CASES)
    assert updated.data == snap


def test_not_ours_from_a_body_that_does_not_own_the_case_is_refused() -> None:
    case = pothole()
    step = case.book.report(
        case.record,
        report(case.case_id, Transition.REASSIGN, T0 + HOUR, body="verde", reason="no"),
        T0 + HOUR,
    )
    [(topic, letter)] = step.out
    assert topic == topics.DEADLETTER
    assert isinstance(letter, DeadLettered)
    assert letter.data.reason == "refused_not_owner"
    assert step.record is not None
    assert step.record.snapshot == case.record.snapshot


def test_a_front_office_reassignment_takes_a_case_out_of_triage() -> None:
    sub = submission("triage-out-1", "Forse bisogna potare gli alberi del parco")
    case = Case.opened(book_with(FakeClassifier()), sub, T0)
    assert case.record.triaged
    step = case.report(
        Transition.ASSIGN,
        T0 + HOUR,
        actor=Actor.FRONT_OFFICE,
        reassign_to="verde",
        reason="alberi",
    )
    assert not case.record.triaged
    assert case.body == "verde"
    [assigned] = on(step, topics.routed("verde"))
    assert isinstance(assigned, CaseAssigned)
    assert assigned.data.rule_id == "status:assign"


@pytest.mark.parametrize(
    ("text", "owner"), [(ASBESTOS_ON_A_ROAD, "ambiente"), ("Buca in via Tortona", "strade")]
)
def test_a_refused_not_ours_leaves_no_refusal_behind(text: str, owner: str) -> None:
    """While the case waits for the citizen, reassigning is not allowed: the body's "not
    ours" is refused to the dead letters, whether another body would take the case or only
    triage would, and the case must not remember a refusal that never took effect (it
    would steer every later routing away from that body)."""
    case = Case.opened(book_with(FakeClassifier()), submission("refused-not-ours", text), T0)
    assert case.body == owner
    case.report(Transition.START, T0 + HOUR)
    case.report(Transition.ASK_CITIZEN, T0 + DAY, note="Ci manda una foto?")
    waiting = case.record

    step = case.book.report(
        waiting,
        report(case.case_id, Transition.REASSIGN, T0 + 2 * DAY, body=owner, reason="no"),
        T0 + 2 * DAY,
    )

    [(topic, letter)] = step.out
    assert topic == topics.DEADLETTER
    assert isinstance(letter, DeadLettered)
    assert letter.data.reason == "refused_not_allowed_from_state"
    assert step.record is not None
    assert step.record.model_copy(update={"applied": waiting.applied}) == waiting


def test_not_ours_needs_a_reason_like_any_reassignment() -> None:
    """The next body and the operator read why; without one the report is refused and the
    case stays with its owner, with no refusal recorded."""
    book = book_with(FakeClassifier())
    case = Case.opened(book, submission("not-ours-no-reason", ASBESTOS_ON_A_ROAD), T0)
    opened = case.record
    step = book.report(
        opened, report(case.case_id, Transition.REASSIGN, T0 + HOUR, body="ambiente"), T0 + HOUR
    )
    [(topic, letter)] = step.out
    assert topic == topics.DEADLETTER
    assert isinstance(letter, DeadLettered)
    assert letter.data.reason == "refused_reason_required"
    assert step.record is not None
    assert step.record.snapshot == opened.snapshot
