"""Builders for CaseBook tests: the shipped rules and policies, a classifier that answers
from a table, submissions and status reports as the topics carry them, and a driver that
feeds a case through the book the way the case agent does."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from processors.app import build_book
from processors.cases import AddFollowUp, CaseBook, CaseRecord, OpenCase, Step, Tick
from processors.cases.book import Guess
from processors.settings import WorkerSettings
from schemas import topics
from schemas.case import case_id_for
from schemas.events import (
    Event,
    FollowUpReceived,
    SlaAlerted,
    StatusReported,
    SubmissionReceived,
)
from schemas.followup import FollowUp
from schemas.routing import CategoryCandidate
from schemas.status import Actor, StatusUpdate, Transition
from schemas.submission import Channel, Citizen, Location, Submission, tracking_id_for

ROME = ZoneInfo("Europe/Rome")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=ROME).astimezone(UTC)  # a Tuesday, no holiday near

UNSURE = "forse"  # a text with this word gets an unsure guess from `FakeClassifier`


@dataclass
class FakeClassifier:
    """Answers by keyword, and remembers what it was asked (to show when it was not)."""

    asked: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> Guess:
        self.asked.append(text)
        lowered = text.lower()
        if UNSURE in lowered:
            return Guess(
                "parchi",
                0.31,
                "it",
                candidates=(
                    CategoryCandidate(category="parchi", confidence=0.31),
                    CategoryCandidate(category="alberi", confidence=0.27),
                ),
            )
        for word, category in (
            ("semaforo", "semafori"),
            ("buca", "buche_stradali"),
            ("lampione", "lampioni"),
            ("rifiuti", "raccolta_rifiuti"),
        ):
            if word in lowered:
                return Guess(category, 0.93, "it")
        return Guess(None, 0.0)


def book_with(classify: FakeClassifier) -> CaseBook:
    """The book as the worker builds it, over the shipped bodies, taxonomy, rules and SLA
    policies (arguments, so no SPORTELLO_* variable of the environment can change them)."""
    settings = WorkerSettings(
        bodies_file=None,
        rules_file=None,
        taxonomy_file=None,
        sla_policies_file=None,
        triage_below=0.5,
    )
    return build_book(settings, classify=classify)


def submission(
    ref: str,
    text: str,
    *,
    channel: Channel = Channel.WEB,
    at: datetime = T0,
    legal_at: datetime | None = None,
    hint: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    district: str | None = None,
    subject: str | None = None,
) -> SubmissionReceived:
    """A `SubmissionReceived` as an ingestor publishes it on complaints.intake."""
    citizen = Citizen(name="Giulia Bianchi", phone=phone, email=email) if phone or email else None
    data = Submission(
        submission_id=tracking_id_for(channel, ref),
        channel=channel,
        idempotency_ref=ref,
        received_at=at,
        legal_receipt_at=legal_at or at,
        text=text,
        subject=subject,
        citizen=citizen,
        location=Location(district=district) if district else None,
        category_hint=hint,
    )
    return SubmissionReceived.new(
        data, source="/tests", subject=data.submission_id, time=at, event_id=f"in-{ref}"
    )


def opening(sub: SubmissionReceived, **kwargs: Any) -> OpenCase:
    return OpenCase(case_id=case_id_for(sub.data.submission_id), submission=sub, **kwargs)


def report(
    case_id: str,
    transition: Transition,
    at: datetime,
    *,
    body: str | None = None,
    actor: Actor = Actor.BODY,
    reason: str | None = None,
    note: str | None = None,
    reassign_to: str | None = None,
    event_id: str | None = None,
) -> StatusReported:
    """A `StatusReported` as a department publishes it on complaints.status."""
    update = StatusUpdate(
        case_id=case_id,
        transition=transition,
        actor=actor,
        body=body,
        reason=reason,
        note_for_citizen=note,
        reported_at=at,
        reassign_to=reassign_to,
    )
    return StatusReported.new(
        update,
        source="/tests/department",
        subject=case_id,
        time=at,
        event_id=event_id or f"st-{case_id}-{transition.value}-{at.isoformat()}",
    )


def followup(tracking_id: str, text: str, at: datetime, ref: str) -> FollowUpReceived:
    data = FollowUp(
        tracking_id=tracking_id,
        channel=Channel.EMAIL,
        received_at=at,
        text=text,
        idempotency_ref=ref,
    )
    return FollowUpReceived.new(
        data, source="/tests", subject=tracking_id, time=at, event_id=f"fu-{ref}"
    )


def on(step: Step, topic: str) -> list[Event[Any]]:
    return [event for name, event in step.out if name == topic]


def types_on(step: Step, topic: str) -> list[str]:
    return [event.type for event in on(step, topic)]


@dataclass
class Case:
    """One case driven through the book as the case agent drives it: each step's record is
    kept (when there is one) and its events are logged, in order."""

    book: CaseBook
    record: CaseRecord
    log: list[tuple[str, Event[Any]]] = field(default_factory=list)

    @classmethod
    def opened(cls, book: CaseBook, sub: SubmissionReceived, now: datetime) -> "Case":
        step = book.open(opening(sub), now)
        assert step.record is not None
        return cls(book, step.record, list(step.out))

    @property
    def case_id(self) -> str:
        return self.record.snapshot.case_id

    @property
    def body(self) -> str | None:
        return self.record.snapshot.body

    def take(self, step: Step) -> Step:
        assert step.record is not None
        self.record = step.record
        self.log.extend(step.out)
        return step

    def report(self, transition: Transition, at: datetime, **kwargs: Any) -> Step:
        kwargs.setdefault(
            "body", self.body if kwargs.get("actor", Actor.BODY) is Actor.BODY else None
        )
        event = report(self.case_id, transition, at, **kwargs)
        return self.take(self.book.report(self.record, event, at))

    def follow_up(self, text: str, at: datetime, ref: str) -> Step:
        cmd = AddFollowUp(
            case_id=self.case_id,
            followup=followup(self.record.snapshot.tracking_ids[0], text, at, ref),
        )
        return self.take(self.book.follow_up(self.record, cmd, at))

    def tick(self, at: datetime) -> Step:
        return self.take(self.book.tick(self.record, Tick(case_id=self.case_id, at=at), at))

    def ticks(self, times: Iterable[datetime]) -> list[SlaAlerted]:
        """Tick at every time given (as the timer would, whether or not anything is due)
        and return the alerts published on complaints.sla."""
        alerts: list[SlaAlerted] = []
        for at in times:
            for event in on(self.tick(at), topics.SLA):
                assert isinstance(event, SlaAlerted)
                alerts.append(event)
        return alerts


def every(step: timedelta, start: datetime, end: datetime) -> list[datetime]:
    out = []
    at = start
    while at <= end:
        out.append(at)
        at += step
    return out
