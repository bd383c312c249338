"""Case histories made from real service requests (NYC 311, December 2023, shared data),
as the worker would publish them: submissions, snapshots, assignments, triage, status
reports, SLA alerts seen on two topics, dead letters, and the redeliveries a real stream has.

Each request becomes one case of a Sportello body. Times are those of the data, moved by
`shift` so that a test's windows hold nothing but its own cases.
"""

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from schemas.blob import BlobRef
from schemas.case import CaseSnapshot, CaseStatus, case_id_for
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupRecord, Merged
from schemas.events import (
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    DeadLettered,
    Event,
    FollowUpReceived,
    SlaAlerted,
    StatusReported,
    SubmissionReceived,
)
from schemas.evidence import MatchEvidence, MatchSignal, MergeRecord
from schemas.followup import FollowUp
from schemas.routing import Assignment, CitizenContact, Triage
from schemas.sla import SlaAlert
from schemas.status import Actor, StatusUpdate, Transition
from schemas.submission import Channel, Citizen, Coordinates, Location, Submission, tracking_id_for

NYC = ZoneInfo("America/New_York")
BODY_OF_AGENCY = {
    "NYPD": "polizia_locale",
    "HPD": "casa",
    "DSNY": "rifiuti",
    "DEP": "ambiente",
    "DOT": "strade",
    "DOHMH": "servizi_sociali",
    "TLC": "trasporti",
    "DPR": "verde",
}  # EDC, DCWP, DOE: no rule places them; they wait in triage
CHANNEL_OF = {
    "ONLINE": Channel.WEB,
    "MOBILE": Channel.APP,
    "PHONE": Channel.CONTACT_CENTRE,
}
MINUTES_ALLOWED = {"polizia_locale": 30}  # noise and parking need an answer at once
SOURCE = "/tests/record"


def find_shared_data() -> Path:
    """`../shared/data` beside the repository (CI, the main checkout), or one level further
    up from a worktree kept in a folder of worktrees."""
    here = Path(__file__).resolve().parents[3]
    for base in (here.parent, here.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    raise FileNotFoundError(f"no shared/data beside {here}")


@dataclass(frozen=True)
class Request:
    key: str
    created: datetime
    closed: datetime | None
    agency: str
    complaint: str
    descriptor: str
    channel: Channel
    resolution: str
    address: str
    borough: str
    lat: float | None
    lon: float | None


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=NYC) if text else None


def read_requests(shared_data: Path) -> list[Request]:
    path = shared_data / "labeled" / "nyc311" / "311_Service_Requests.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = []
    for r in rows:
        created = _time(r["created_date"])
        assert created is not None
        found.append(
            Request(
                key=r["unique_key"],
                created=created,
                closed=_time(r["closed_date"]),
                agency=r["agency"],
                complaint=r["complaint_type"],
                descriptor=r["descriptor"],
                channel=CHANNEL_OF.get(r["open_data_channel_type"], Channel.EMAIL),
                resolution=r["resolution_description"],
                address=r["incident_address"],
                borough=r["borough"],
                lat=float(r["latitude"]) if r["latitude"] else None,
                lon=float(r["longitude"]) if r["longitude"] else None,
            )
        )
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:200] or "other"


def _id(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class History:
    """One case's events in the order the worker publishes them, with the topic (without
    the test's prefix) of each; an event on two topics appears twice."""

    case_id: str
    tracking_id: str
    email: str
    published: tuple[tuple[str, Event[Any]], ...]


def history_of(r: Request, *, salt: str, shift: timedelta, index: int) -> History:
    created = r.created + shift
    closed = r.closed + shift if r.closed else None
    tracking = tracking_id_for(r.channel, f"nyc:{salt}:{r.key}")
    case_id = case_id_for(tracking)
    body = BODY_OF_AGENCY.get(r.agency)
    email = f"citizen{index}.{salt}@example.org"
    location = Location(
        address=r.address or None,
        district=r.borough or None,
        coordinates=Coordinates(lat=r.lat, lon=r.lon) if r.lat and r.lon else None,
    )
    submission = Submission(
        submission_id=tracking,
        channel=r.channel,
        idempotency_ref=f"nyc:{salt}:{r.key}",
        received_at=created,
        legal_receipt_at=created,
        text=f"{r.complaint}: {r.descriptor}. {r.address}".strip(),
        citizen=Citizen(name=f"Citizen {index}", email=email, phone=f"+1 212 555 {index:04d}"),
        location=location,
        attachments=(
            BlobRef(
                sha256=hashlib.sha256(f"photo {salt} {r.key}".encode()).hexdigest(),
                media_type="image/jpeg",
                size=100_000 + index,
                filename=f"photo of {r.address or 'the street'}.jpg",
            ),
        )
        if index % 5 == 0
        else (),
    )
    out: list[tuple[str, Event[Any]]] = []
    received = SubmissionReceived.new(
        submission, source=SOURCE, subject=tracking, time=created, event_id=_id(salt, r.key, "s")
    )
    out.append(("complaints.intake", received))
    if index % 10 == 3:  # a redelivery: the same event again
        out.append(("complaints.intake", received))
    if index % 7 == 5:  # a webhook retry: the same submission under a new event id
        retry = received.model_copy(update={"id": _id(salt, r.key, "retry")})
        out.append(("complaints.intake", retry))
    allowed = timedelta(minutes=MINUTES_ALLOWED.get(body or "", 30 * 24 * 60))
    deadline = created + allowed
    category = _slug(r.complaint)
    snap = CaseSnapshot(
        case_id=case_id,
        version=1,
        status=CaseStatus.ASSIGNED if body else CaseStatus.RECEIVED,
        tracking_ids=(tracking,),
        channels=(r.channel,),
        opened_at=created,
        legal_receipt_at=created,
        updated_at=created,
        text=submission.text,
        citizen=submission.citizen,
        location=location,
        category=category,
        body=body,
        deadline_at=deadline,
        routing_rule_id=f"category:{category}" if body else "triage:no_rule",
        routing_explanation=f"{r.agency} handles {r.complaint}",
    )
    contact = CitizenContact(name=f"Citizen {index}", email=email)

    def updated(s: CaseSnapshot) -> CaseUpdated:
        return CaseUpdated.new(
            s, source=SOURCE, subject=case_id, time=s.updated_at, event_id=f"{case_id}@{s.version}"
        )

    if body:
        assignment = Assignment(
            case_id=case_id,
            tracking_id=tracking,
            body=body,
            category=category,
            rule_id=snap.routing_rule_id or "",
            explanation=snap.routing_explanation or "",
            text=submission.text,
            channel=r.channel,
            location=location,
            contact=contact,
            legal_receipt_at=created,
            deadline_at=deadline,
        )
        out.append(
            (
                f"complaints.routed.{body}",
                CaseAssigned.new(
                    assignment,
                    source=SOURCE,
                    subject=case_id,
                    time=created,
                    event_id=f"{case_id}@1/assigned/{body}",
                ),
            )
        )
    else:
        triage = Triage(
            case_id=case_id,
            tracking_id=tracking,
            reason="no_category",
            explanation=f"no rule for {r.agency}",
            text=submission.text,
            channel=r.channel,
            contact=contact,
            legal_receipt_at=created,
            deadline_at=deadline,
        )
        out.append(
            (
                "complaints.triage",
                CaseTriaged.new(
                    triage, source=SOURCE, subject=case_id, time=created,
                    event_id=f"{case_id}@1/triage",
                ),
            )
        )
    out.append(("complaints.cases", updated(snap)))
    routed = f"complaints.routed.{body}" if body else "complaints.triage"
    quiet_until = closed if closed else created + timedelta(days=1)
    if index % 9 == 2 and quiet_until > created + timedelta(minutes=20):
        # The citizen writes again; the case agent forwards it to the owner, same id.
        at = created + timedelta(minutes=20)
        follow = FollowUp(
            tracking_id=tracking,
            channel=Channel.EMAIL,
            received_at=at,
            text=f"Any news about {r.complaint}? Still there.",
            idempotency_ref=f"<{salt}.{r.key}@mail.example.org>",
            citizen=Citizen(email=email),
        )
        intake = FollowUpReceived.new(
            follow, source=SOURCE, subject=tracking, time=at, event_id=_id(salt, r.key, "f")
        )
        out.append(("complaints.intake", intake))
        out.append((routed, intake.model_copy(update={"subject": case_id})))
    if index % 11 == 4 and quiet_until > created + timedelta(hours=1):
        # The same citizen sent it again by another channel: merged, with the evidence.
        at = created + timedelta(minutes=30)
        again = tracking_id_for(Channel.EMAIL, f"nyc:{salt}:{r.key}:again")
        second = submission.model_copy(
            update={
                "submission_id": again,
                "channel": Channel.EMAIL,
                "idempotency_ref": f"nyc:{salt}:{r.key}:again",
                "received_at": at,
                "legal_receipt_at": at,
                "text": f"I wrote already: {submission.text}",
            }
        )
        out.append(
            (
                "complaints.intake",
                SubmissionReceived.new(
                    second, source=SOURCE, subject=again, time=at, event_id=_id(salt, again)
                ),
            )
        )
        evidence = MatchEvidence(
            signals=(MatchSignal.EMAIL, MatchSignal.SIMILAR_TEXT, MatchSignal.OTHER_CHANNEL),
            similarity=0.91,
            shared_terms=tuple(_slug(r.complaint).split("_")[:4]),
            matched_submission_id=tracking,
            explanation=f"Same citizen (same email); similar text (0.91: {r.complaint})",
        )
        merged = DedupRecord(
            case_id=case_id,
            decided_at=at,
            decision=Merged(
                submission_id=again,
                channel=Channel.EMAIL,
                received_at=at,
                evidence=evidence,
                text=second.text,
            ),
        )
        dedup = CaseDeduplicated.new(
            merged, source=SOURCE, subject=case_id, time=at, event_id=_id(salt, again, case_id)
        )
        out.append(("complaints.cases", dedup))
        if body:
            out.append((routed, dedup))
        snap = snap.model_copy(
            update={
                "version": snap.version + 1,
                "tracking_ids": (tracking, again),
                "channels": tuple(dict.fromkeys((r.channel, Channel.EMAIL))),
                "merges": (
                    MergeRecord(
                        submission_id=again, channel=Channel.EMAIL, merged_at=at, evidence=evidence
                    ),
                ),
                "updated_at": at,
            }
        )
        out.append(("complaints.cases", updated(snap)))
    if body and closed and closed > created:
        started = created + (closed - created) / 2
        for transition, at, status, note in (
            (Transition.START, started, CaseStatus.IN_PROGRESS, None),
            (Transition.RESOLVE, closed, CaseStatus.RESOLVED, r.resolution or "Done."),
        ):
            report = StatusUpdate(
                case_id=case_id,
                transition=transition,
                actor=Actor.BODY,
                body=body,
                note_for_citizen=note,
                reported_at=at,
            )
            out.append(
                (
                    "complaints.status",
                    StatusReported.new(
                        report, source="/departments", subject=case_id, time=at,
                        event_id=_id(salt, r.key, transition.value),
                    ),
                )
            )
            snap = snap.model_copy(
                update={"version": snap.version + 1, "status": status, "updated_at": at}
            )
            out.append(("complaints.cases", updated(snap)))
        if closed > deadline:
            alert = SlaAlert(
                alert_id=f"{case_id}/resolution/breach/g0",
                case_id=case_id,
                body=body,
                clock="resolution",
                kind="breach",
                percent=100,
                generation=0,
                due_at=deadline,
                deadline_at=deadline,
            )
            event = SlaAlerted.new(
                alert, source=SOURCE, subject=case_id, time=deadline, event_id=alert.alert_id
            )
            out.append(("complaints.sla", event))
            out.append((f"complaints.routed.{body}", event))
    return History(case_id, tracking, email, tuple(out))


def histories(
    requests: list[Request], *, salt: str, shift: timedelta
) -> Iterator[History]:
    for index, r in enumerate(requests):
        yield history_of(r, salt=salt, shift=shift, index=index)


def dead_letters(requests: list[Request], *, salt: str, shift: timedelta, every: int = 50) -> list[
    tuple[str, Event[Any]]
]:
    """A dead letter for every `every`-th request: an unreadable fax, as an ingestor says."""
    out: list[tuple[str, Event[Any]]] = []
    for index, r in enumerate(requests[::every]):
        at = r.created + shift
        ref = f"fax:{salt}:{r.key}"
        letter = DeadLetter(
            stage="ingestors.smtp",
            source_ref=ref,
            reason="unreadable_pdf" if index % 2 else "no_pages",
            detail="the fax had no page that could be read",
            received_at=at,
            raw_location=f"var/blobs/{_id(ref)}",
        )
        event = DeadLettered.new(letter, source=SOURCE, subject=ref, time=at, event_id=_id(ref))
        out.append(("complaints.deadletter", event))
    return out
