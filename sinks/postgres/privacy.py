"""Personal data in the record: how identifiers are compared, and what erasing removes.

Pure. `redact(event)` is the event with the citizen's personal data removed and the facts the
statistics need kept: channel, times, category, body, status, district, deadlines, SLA alerts,
the signals of a merge. Free text goes too (a complaint or a note names people, addresses,
illnesses): complaint texts become `ERASED`, subjects and contact details disappear, the
evidence of a merge keeps its signals and figures but not its words, attachments keep their
content digest, type and size but not their file name.

The store calls it when an erasure is requested (on the rows already written) and on every
later write about an erased case or submission, so a replay of the topics cannot bring the
data back into the store. The topics themselves keep what they carried until their retention.
"""

import re
from typing import Any

from schemas.blob import BlobRef
from schemas.case import CaseSnapshot
from schemas.dedup import CaseLink, DedupRecord, Linked, Merged
from schemas.events import (
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    Event,
    FollowUpReceived,
    StatusReported,
    SubmissionReceived,
)
from schemas.evidence import MatchEvidence, MergeRecord
from schemas.followup import FollowUp
from schemas.notification import CitizenNotification
from schemas.routing import Assignment, Triage
from schemas.sla import SlaAlert
from schemas.status import StatusUpdate
from schemas.submission import Location, Submission

ERASED = "[erased]"

_NOT_DIGITS = re.compile(r"[^\d]")


def email_key(email: str) -> str:
    return email.strip().lower()


def phone_key(phone: str) -> str:
    """Digits only, with the international prefix written one way: `+39 02 1234`,
    `0039021234` and `(+39) 02-1234` are the same number."""
    digits = _NOT_DIGITS.sub("", phone)
    first = next((i for i, c in enumerate(phone) if c.isdigit()), len(phone))
    if "+" in phone[:first]:
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def tax_code_key(tax_code: str) -> str:
    return re.sub(r"\s+", "", tax_code).upper()


def _place(location: Location | None) -> Location | None:
    if location is None:
        return None
    return Location(district=location.district) if location.district else None


def _blob(ref: BlobRef) -> BlobRef:
    return ref.model_copy(update={"filename": None})


def _blobs(refs: tuple[BlobRef, ...]) -> tuple[BlobRef, ...]:
    return tuple(_blob(r) for r in refs)


def _evidence(evidence: MatchEvidence) -> MatchEvidence:
    return evidence.model_copy(update={"shared_terms": (), "explanation": ERASED})


def _merge(merge: MergeRecord) -> MergeRecord:
    return merge.model_copy(update={"evidence": _evidence(merge.evidence)})


def redact_snapshot(s: CaseSnapshot) -> CaseSnapshot:
    return s.model_copy(
        update={
            "text": ERASED,
            "subject": None,
            "citizen": None,
            "location": _place(s.location),
            "merges": tuple(_merge(m) for m in s.merges),
            "answer": s.answer.model_copy(update={"text": ERASED}) if s.answer else None,
        }
    )


def _dedup(record: DedupRecord) -> DedupRecord:
    decision = record.decision
    if isinstance(decision, Merged):
        decision = decision.model_copy(
            update={"text": ERASED, "subject": None, "evidence": _evidence(decision.evidence)}
        )
    elif isinstance(decision, Linked):
        links = tuple(
            CaseLink(case_id=link.case_id, evidence=_evidence(link.evidence))
            for link in decision.links
        )
        decision = decision.model_copy(update={"links": links})
    return record.model_copy(update={"decision": decision})


def _data(event: Event[Any]) -> Any:
    d = event.data
    match event:
        case SubmissionReceived():
            return d.model_copy(
                update={
                    "idempotency_ref": ERASED,
                    "text": ERASED,
                    "subject": None,
                    "citizen": None,
                    "location": _place(d.location),
                    "attachments": _blobs(d.attachments),
                    "raw": _blob(d.raw) if d.raw else None,
                    "channel_details": {},
                }
            )
        case FollowUpReceived():
            return d.model_copy(
                update={
                    "idempotency_ref": ERASED,
                    "text": ERASED,
                    "subject": None,
                    "citizen": None,
                    "attachments": _blobs(d.attachments),
                    "raw": _blob(d.raw) if d.raw else None,
                }
            )
        case CaseUpdated():
            return redact_snapshot(d)
        case CaseDeduplicated():
            return _dedup(d)
        case CaseAssigned() | CaseTriaged():
            update: dict[str, Any] = {
                "text": ERASED,
                "subject": None,
                "contact": None,
                "location": _place(d.location),
            }
            if isinstance(event, CaseAssigned):
                update["attachments"] = _blobs(d.attachments)
            return d.model_copy(update=update)
        case StatusReported():
            return d.model_copy(
                update={
                    "reason": ERASED if d.reason else None,
                    "note_for_citizen": ERASED if d.note_for_citizen else None,
                }
            )
    return d


def redact(event: Event[Any]) -> Event[Any]:
    """The event without the citizen's personal data; the same event when it has none
    (SLA alerts, metrics, dead letters). Idempotent: redacting twice changes nothing more."""
    data = _data(event)
    return event if data is event.data else event.model_copy(update={"data": data})


def subjects_of(event: Event[Any]) -> set[str]:
    """The case ids and tracking ids an event is about: if any of them is erased, the event
    is stored redacted."""
    d = event.data
    found = {event.subject} if event.subject.startswith(("CASE-", "SP-")) else set()
    match d:
        case Submission():
            found.add(d.submission_id)
        case FollowUp():
            found.add(d.tracking_id)
        case CaseSnapshot():
            found.add(d.case_id)
            found.update(d.tracking_ids)
        case Assignment() | Triage():
            found.update((d.case_id, d.tracking_id))
        case DedupRecord():
            found.add(d.case_id)
            if not isinstance(d.decision, Linked):
                found.add(d.decision.submission_id)
        case StatusUpdate() | SlaAlert():
            found.add(d.case_id)
        case CitizenNotification():
            found.update((d.case_id, d.tracking_id))
    return found
