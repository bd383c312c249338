"""From a case and its routing to what is published: `Assignment` or `Triage`.

Personal data goes only where it is needed: a body gets the contact it needs to answer
(name, email, phone), never the tax code; metrics get nothing from here.
"""

from collections.abc import Sequence

from processors.routing.engine import CaseFacts, Refusal, Routing
from schemas.blob import BlobRef
from schemas.case import CaseSnapshot
from schemas.routing import Assignment, CategoryCandidate, CitizenContact, Triage
from schemas.submission import Citizen


def facts_of(case: CaseSnapshot) -> CaseFacts:
    """The routing facts of a case: its category, text, district and first channel."""
    return CaseFacts(
        category=case.category,
        text=case.text,
        subject=case.subject,
        district=case.location.district if case.location else None,
        channel=case.channels[0],
    )


def refusals_of(case: CaseSnapshot) -> tuple[Refusal, ...]:
    return tuple(Refusal(r.body, r.reason) for r in case.refusals)


def contact_of(citizen: Citizen | None) -> CitizenContact | None:
    """Name, email and phone: enough to answer, nothing more."""
    if citizen is None or not (citizen.name or citizen.email or citizen.phone):
        return None
    return CitizenContact(name=citizen.name, email=citizen.email, phone=citizen.phone)


def tracking_id_of(case: CaseSnapshot) -> str:
    """The number the citizen was given for the case: its first submission's."""
    return case.tracking_ids[0]


def assignment_for(
    case: CaseSnapshot, routing: Routing, *, attachments: Sequence[BlobRef] = ()
) -> Assignment:
    """The `CaseAssigned` data for the body `routing` chose; raises `ValueError` for a
    triage routing (use `triage_for`)."""
    if routing.body_id is None:
        raise ValueError(f"{case.case_id} goes to triage, not to a body")
    return Assignment(
        case_id=case.case_id,
        tracking_id=tracking_id_of(case),
        body=routing.body_id,
        category=case.category,
        rule_id=routing.rule_id,
        explanation=routing.explanation,
        text=case.text,
        subject=case.subject,
        language=case.language,
        channel=case.channels[0],
        location=case.location,
        contact=contact_of(case.citizen),
        attachments=tuple(attachments),
        legal_receipt_at=case.legal_receipt_at,
        deadline_at=case.deadline_at,
        related_case_ids=case.related_case_ids,
    )


def triage_for(
    case: CaseSnapshot,
    routing: Routing,
    candidates: Sequence[CategoryCandidate] = (),
    *,
    reason: str | None = None,
) -> Triage:
    """The `CaseTriaged` data: why no body was chosen, and the classifier's best guesses.

    `reason` overrides the routing's (the classifier sends `low_confidence` cases here
    without routing them)."""
    return Triage(
        case_id=case.case_id,
        tracking_id=tracking_id_of(case),
        reason=reason or routing.triage_reason or "unrouted",
        explanation=routing.explanation,
        candidates=tuple(sorted(candidates, key=lambda c: (-c.confidence, c.category))),
        refused_by=routing.refused_by,
        text=case.text,
        subject=case.subject,
        language=case.language,
        channel=case.channels[0],
        location=case.location,
        contact=contact_of(case.citizen),
        legal_receipt_at=case.legal_receipt_at,
        deadline_at=case.deadline_at,
        related_case_ids=case.related_case_ids,
    )
