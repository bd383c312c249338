"""What bodies and triage receive: enough to answer the citizen, and no more."""

from datetime import UTC, datetime, timedelta

import pytest

from processors.routing import (
    RuleSet,
    assignment_for,
    facts_of,
    refusals_of,
    route,
    triage_for,
)
from schemas import topics
from schemas.case import BodyRefusal, CaseSnapshot, CaseStatus
from schemas.events import CaseAssigned, CaseTriaged, decode_event
from schemas.routing import CategoryCandidate
from schemas.submission import Channel, Citizen, Coordinates, Location

NOW = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)


def _case(**changes: object) -> CaseSnapshot:
    case = CaseSnapshot(
        case_id="CASE-7K3M-9QXD-2B4F",
        version=2,
        status=CaseStatus.RECEIVED,
        tracking_ids=("SP-7K3M-9QXD-2B4F",),
        channels=(Channel.FAX,),
        opened_at=NOW,
        legal_receipt_at=NOW - timedelta(hours=3),
        updated_at=NOW,
        text="Da tre settimane c'è una buca profonda sul marciapiede davanti al civico 14.",
        subject="Buca in via Garibaldi",
        language="it",
        citizen=Citizen(
            name="Maria Grazia Rossi",
            email="mg.rossi@example.it",
            phone="+390512345678",
            tax_code="RSSMRA80A01H501U",
        ),
        location=Location(
            address="Via Garibaldi 14",
            district="Municipio 1",
            coordinates=Coordinates(lat=45.46, lon=9.19),
        ),
        category="buche_stradali",
        deadline_at=NOW + timedelta(days=30),
        related_case_ids=("CASE-AAAA-BBBB-CCCC",),
    )
    return case.model_copy(update=changes)


def test_assignment_carries_contact_but_not_the_tax_code(rules: RuleSet) -> None:
    case = _case()
    routing = route(facts_of(case), rules)
    assignment = assignment_for(case, routing)
    assert assignment.body == "strade"
    assert assignment.tracking_id == "SP-7K3M-9QXD-2B4F"
    assert assignment.rule_id == "default:buche_stradali"
    assert assignment.contact is not None
    assert assignment.contact.email == "mg.rossi@example.it"
    assert assignment.related_case_ids == ("CASE-AAAA-BBBB-CCCC",)
    assert assignment.deadline_at == case.deadline_at
    event = CaseAssigned.new(assignment, source="/processors/route", subject=case.case_id, time=NOW)
    raw = event.to_json()
    assert b"RSSMRA80A01H501U" not in raw
    assert decode_event(raw) == event
    assert topics.routed(assignment.body) == "complaints.routed.strade"


def test_triage_carries_the_candidates_best_first(rules: RuleSet) -> None:
    case = _case(category=None)
    routing = route(facts_of(case), rules)
    assert routing.is_triage
    triage = triage_for(
        case,
        routing,
        [
            CategoryCandidate(category="marciapiedi", confidence=0.31),
            CategoryCandidate(category="buche_stradali", confidence=0.44),
        ],
    )
    assert triage.reason == "no_category"
    assert [c.category for c in triage.candidates] == ["buche_stradali", "marciapiedi"]
    event = CaseTriaged.new(triage, source="/processors/route", subject=case.case_id, time=NOW)
    assert b"RSSMRA80A01H501U" not in event.to_json()
    assert decode_event(event.to_json()) == event
    with pytest.raises(ValueError, match="triage"):
        assignment_for(case, routing)


def test_a_low_confidence_case_is_triaged_with_the_classifiers_reason(rules: RuleSet) -> None:
    case = _case()
    triage = triage_for(case, route(facts_of(case), rules), reason="low_confidence")
    assert triage.reason == "low_confidence"


def test_refusals_kept_on_the_case_reroute_it(rules: RuleSet) -> None:
    case = _case(
        refusals=(BodyRefusal(body="strade", reason="strada privata", refused_at=NOW),),
    )
    routing = route(facts_of(case), rules, refusals_of(case))
    assert routing.is_triage
    assert "strade refused it: 'strada privata'" in routing.explanation
    triage = triage_for(case, routing)
    assert triage.reason == "all_refused"
    assert triage.refused_by == ("strade",)


def test_an_anonymous_case_has_no_contact(rules: RuleSet) -> None:
    case = _case(citizen=None)
    assert assignment_for(case, route(facts_of(case), rules)).contact is None
