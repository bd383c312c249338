"""Dedup decisions as history entries: the `CaseDeduplicated` data an agent publishes.

`records_for` gives one record per case the decision touches, keyed by that case's id:
a redelivery and a merge touch the existing case; related cases are linked both ways, so
each body sees the other citizens' reports of its problem. A new case has no entry here: it
is opened as any case is. Every record is dated by the submission, not the clock, and
`event_id_for` names the event after the submission and the case, so a replay republishes
the same ids and idempotent sinks write each fact once.
"""

import hashlib

from processors.dedup.decisions import Decision, Merge, NewCase, Redelivery, Related
from schemas.dedup import CaseLink, DedupRecord, Linked, Merged, Redelivered
from schemas.evidence import MergeRecord
from schemas.submission import Submission


def records_for(decision: Decision, submission: Submission) -> tuple[DedupRecord, ...]:
    at = submission.received_at
    match decision:
        case Redelivery(existing_case_id=case_id):
            redelivered = Redelivered(
                submission_id=submission.submission_id,
                channel=submission.channel,
                received_at=at,
            )
            return (DedupRecord(case_id=case_id, decided_at=at, decision=redelivered),)
        case Merge(case_id=case_id, evidence=evidence):
            merged = Merged(
                submission_id=submission.submission_id,
                channel=submission.channel,
                received_at=at,
                evidence=evidence,
                text=submission.text,
                subject=submission.subject,
            )
            return (DedupRecord(case_id=case_id, decided_at=at, decision=merged),)
        case Related(case_id=case_id, links=links):
            own = DedupRecord(case_id=case_id, decided_at=at, decision=Linked(links=links))
            back = tuple(
                DedupRecord(
                    case_id=link.case_id,
                    decided_at=at,
                    decision=Linked(links=(CaseLink(case_id=case_id, evidence=link.evidence),)),
                )
                for link in links
            )
            return (own, *back)
        case NewCase():
            return ()


def merge_record(decision: Merge, submission: Submission) -> MergeRecord:
    """What the case snapshot keeps of a merge (`CaseSnapshot.merges`), for undoing it."""
    return MergeRecord(
        submission_id=submission.submission_id,
        channel=submission.channel,
        merged_at=submission.received_at,
        evidence=decision.evidence,
    )


def event_id_for(record: DedupRecord, submission_id: str) -> str:
    """A stable event id: the same submission's same fact about the same case."""
    key = f"{submission_id}\x00{record.case_id}\x00{record.decision.kind}"
    return "dedup-" + hashlib.sha256(key.encode()).hexdigest()[:32]
