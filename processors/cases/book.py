"""The case book: every change to a case, as a pure function of the case and a command.

Each method returns a `Step`: the case as it is afterwards, the events to publish (topic and
event), and when the case's next SLA alert falls due (for the timer's index). Event ids are
derived from the case and its version (or from the fact they record), so reprocessing a
command after a crash republishes the same events, which consumers recognise.

Where it goes: a confident classification is routed by the rules and assigned at once (the
Customer Care Service's sorting); an unsure one, or one no rule and no body will take, waits
in `complaints.triage` for a person. The SLA clock starts at the legal receipt time either way.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from processors.cases.commands import AddFollowUp, Command, JoinCase, LinkCase, OpenCase, Tick
from processors.cases.contest import reopen_reason, says_not_solved
from processors.cases.record import CaseRecord
from processors.dedup.history import event_id_for
from processors.lifecycle.machine import (
    Accepted,
    CaseState,
    HistoryEntry,
    RefusalCode,
    Refused,
    apply,
    snapshot_with,
)
from processors.routing import (
    Refusal,
    Routing,
    RuleSet,
    assignment_for,
    facts_of,
    refusals_of,
    route,
    triage_for,
)
from processors.sla.calendar import WorkingCalendar
from processors.sla.policy import Policies
from processors.sla.timers import Alert, due_alerts, mark_emitted, next_alert_at
from processors.sla.tracking import after_transition, open_sla
from schemas import topics
from schemas.case import BodyRefusal, CaseAnswer, CaseSnapshot, CaseStatus
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupRecord, Linked, Merged
from schemas.events import (
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    DeadLettered,
    Event,
    SlaAlerted,
    StatusReported,
)
from schemas.evidence import MergeRecord
from schemas.routing import CategoryCandidate
from schemas.sla import SlaAlert
from schemas.status import Actor, StatusUpdate, Transition
from schemas.submission import Citizen

SOURCE = "/processors/cases"
APPLIED_KEPT = 32


@dataclass(frozen=True)
class Guess:
    """What the classifier says of a text: its best category, how sure, the language."""

    category: str | None
    confidence: float
    language: str | None = None
    candidates: tuple[CategoryCandidate, ...] = ()


Classify = Callable[[str], Guess]
ClassifyMany = Callable[[Sequence[str]], list[Guess]]


@dataclass(frozen=True)
class Step:
    record: CaseRecord | None
    out: list[tuple[str, Event[Any]]] = field(default_factory=list)
    next_alert_at: datetime | None = None


@dataclass(frozen=True)
class CaseBook:
    """The rules a case lives by: classification, routing, lifecycle and SLA policies."""

    classify: Classify
    rules: RuleSet
    policies: Policies
    calendar: WorkingCalendar
    triage_below: float
    categories: frozenset[str]
    bodies: frozenset[str]
    classify_many: ClassifyMany | None = None
    """`classify` for many texts at once, which costs less than one at a time."""

    # -- classifying --------------------------------------------------------------------

    def text_to_classify(self, cmd: OpenCase) -> str | None:
        """What `open` has the classifier read; None when the submission's own category
        hint is one of ours."""
        s = cmd.submission.data
        if s.category_hint in self.categories:
            return None
        return f"{s.subject}\n{s.text}" if s.subject else s.text

    def with_guesses(self, commands: Iterable[Command]) -> "CaseBook":
        """This book, with the texts these commands will have classified classified at once
        (by `classify_many`); other texts are still classified one at a time."""
        texts = [
            text
            for cmd in commands
            if isinstance(cmd, OpenCase) and (text := self.text_to_classify(cmd)) is not None
        ]
        if self.classify_many is None or not texts:
            return self
        texts = list(dict.fromkeys(texts))
        guesses = dict(zip(texts, self.classify_many(texts), strict=True))
        one = self.classify

        def classify(text: str) -> Guess:
            guess = guesses.get(text)
            return guess if guess is not None else one(text)

        return replace(self, classify=classify)

    # -- opening ----------------------------------------------------------------------

    def open(self, cmd: OpenCase, now: datetime) -> Step:
        s = cmd.submission.data
        text = self.text_to_classify(cmd)
        guess = Guess(s.category_hint, 1.0, s.language) if text is None else self.classify(text)
        confident = guess.category is not None and guess.confidence >= self.triage_below
        snapshot = CaseSnapshot(
            case_id=cmd.case_id,
            version=1,
            status=CaseStatus.RECEIVED,
            tracking_ids=(s.submission_id,),
            channels=(s.channel,),
            opened_at=s.received_at,
            legal_receipt_at=s.legal_receipt_at,
            updated_at=s.received_at,
            text=s.text,
            subject=s.subject,
            language=s.language or guess.language,
            citizen=s.citizen,
            location=s.location,
            category=guess.category if confident else None,
            related_case_ids=tuple(link.case_id for link in cmd.related),
        )
        out: list[tuple[str, Event[Any]]] = []
        if cmd.related:
            linked = DedupRecord(
                case_id=cmd.case_id, decided_at=s.received_at, decision=Linked(links=cmd.related)
            )
            out.append((topics.CASES, self._dedup_event(linked, s.submission_id)))
        lifecycle = CaseState.from_snapshot(snapshot)
        policy = self.policies.for_case(snapshot.category, None)
        sla = open_sla(snapshot.case_id, snapshot.legal_receipt_at, policy, self.calendar)
        record = CaseRecord(snapshot=snapshot, lifecycle=lifecycle, sla=sla)
        if not confident:
            routing = Routing(
                None,
                "triage:low_confidence",
                f"the classifier is not sure ({guess.confidence:.2f} < {self.triage_below:.2f})",
                triage_reason="low_confidence",
            )
            return self._to_triage(record, routing, guess.candidates, out, now, new=True)
        routing = route(facts_of(snapshot), self.rules)
        if routing.is_triage:
            return self._to_triage(record, routing, guess.candidates, out, now, new=True)
        return self._assign(record, routing, out, now, new=True)

    # -- joining, linking, following up -------------------------------------------------

    def join(self, record: CaseRecord, cmd: JoinCase, now: datetime) -> Step:
        s = cmd.submission.data
        dedup = self._dedup_event(cmd.record, s.submission_id)
        snap = record.snapshot
        if not isinstance(cmd.record.decision, Merged) or s.submission_id in snap.tracking_ids:
            # A redelivery: recorded in the history; the case is as it was (the snapshot is
            # republished under its own id, so the topic's last word on the case stays one).
            return self._emit(record, [(topics.CASES, dedup)], now)
        merged = cmd.record.decision
        snapshot = snap.model_copy(
            update={
                "version": snap.version + 1,
                "tracking_ids": (*snap.tracking_ids, s.submission_id),
                "channels": tuple(dict.fromkeys((*snap.channels, s.channel))),
                "merges": (
                    *snap.merges,
                    MergeRecord(
                        submission_id=s.submission_id,
                        channel=s.channel,
                        merged_at=s.received_at,
                        evidence=merged.evidence,
                    ),
                ),
                "updated_at": max(snap.updated_at, s.received_at),
            }
        )
        out: list[tuple[str, Event[Any]]] = [(topics.CASES, dedup)]
        if snap.body:
            out.append((topics.routed(snap.body), dedup))
        return self._emit(record.model_copy(update={"snapshot": snapshot}), out, now)

    def link(self, record: CaseRecord, cmd: LinkCase, now: datetime) -> Step:
        assert isinstance(cmd.record.decision, Linked)
        new_ids = [
            link.case_id
            for link in cmd.record.decision.links
            if link.case_id not in record.snapshot.related_case_ids
        ]
        if not new_ids:
            return Step(record, [], self._next(record))
        snap = record.snapshot
        snapshot = snap.model_copy(
            update={
                "version": snap.version + 1,
                "related_case_ids": (*snap.related_case_ids, *new_ids),
            }
        )
        dedup = self._dedup_event(cmd.record, new_ids[0])
        out: list[tuple[str, Event[Any]]] = [(topics.CASES, dedup)]
        if snap.body:
            out.append((topics.routed(snap.body), dedup))
        return self._emit(record.model_copy(update={"snapshot": snapshot}), out, now)

    def follow_up(self, record: CaseRecord, cmd: AddFollowUp, now: datetime) -> Step:
        """The citizen wrote again: the owner hears of it, a case waiting for the citizen's
        answer resumes, and a resolved or rejected case whose citizen says "not solved" (in
        their own words, see `contest`, from the address the case has) is reopened."""
        forwarded = cmd.followup.model_copy(update={"subject": record.snapshot.case_id})
        owner = record.snapshot.body
        out: list[tuple[str, Event[Any]]] = [
            (topics.routed(owner) if owner else topics.TRIAGE, forwarded)
        ]
        data = cmd.followup.data
        change: StatusUpdate | None = None
        if record.lifecycle.status is CaseStatus.WAITING_FOR_CITIZEN:
            change = StatusUpdate(
                case_id=record.snapshot.case_id,
                transition=Transition.RESUME,
                actor=Actor.CITIZEN,
                reported_at=data.received_at,
            )
        elif (
            record.lifecycle.status in _ANSWERED
            and _same_citizen(record.snapshot, data.citizen)
            and says_not_solved(data.text)
        ):
            change = StatusUpdate(
                case_id=record.snapshot.case_id,
                transition=Transition.REOPEN,
                actor=Actor.CITIZEN,
                reason=reopen_reason(data.text),
                reported_at=data.received_at,
            )
        if change is not None:
            step = self._transition(record, change, now)
            return Step(step.record, out + step.out, step.next_alert_at)
        return Step(record, out, self._next(record))

    # -- the departments' side ------------------------------------------------------------

    def report(self, record: CaseRecord, event: StatusReported, now: datetime) -> Step:
        """A status update from a body, the front office or the citizen.

        A body's `reassign` without a target is a refusal ("not ours"): the rules route the
        case again without that body (and any that refused before), or send it to triage.
        """
        if event.id in record.applied:
            return Step(record, [], self._next(record))
        step = self._report(record, event, now)
        if step.record is None:
            return step
        applied = (*record.applied, event.id)[-APPLIED_KEPT:]
        return Step(
            step.record.model_copy(update={"applied": applied}), step.out, step.next_alert_at
        )

    def _report(self, record: CaseRecord, event: StatusReported, now: datetime) -> Step:
        update = event.data
        if (
            update.transition is Transition.REASSIGN
            and update.actor is Actor.BODY
            and update.reassign_to is None
            and update.body is not None
            and update.body == record.lifecycle.body
        ):
            return self._refused_by_owner(record, event, now)
        step = self._transition(record, update, now, source_event=event)
        if step.record is not None and step.record.triaged and step.record.snapshot.body:
            step = Step(
                step.record.model_copy(update={"triaged": False}), step.out, step.next_alert_at
            )
        return step

    def _refused_by_owner(self, record: CaseRecord, event: StatusReported, now: datetime) -> Step:
        update = event.data
        assert update.body is not None
        # Allowed only where the lifecycle would let this body hand the case on (a target
        # is all it lacks); otherwise refused, and the case keeps no trace of it.
        check = apply(record.lifecycle, update, now, known_bodies=self.bodies)
        if not (isinstance(check, Refused) and check.code is RefusalCode.TARGET_REQUIRED):
            return self._transition(record, update, now, source_event=event)
        reason = update.reason
        assert reason is not None  # a reassign without a reason was refused above
        refusal = BodyRefusal(body=update.body, reason=reason, refused_at=update.reported_at)
        snap = record.snapshot
        refused = snap.model_copy(update={"refusals": (*snap.refusals, refusal)})
        routing = route(
            facts_of(refused),
            self.rules,
            (*refusals_of(snap), Refusal(update.body, reason)),
        )
        record = record.model_copy(update={"snapshot": refused})
        if routing.is_triage:
            return self._to_triage(record, routing, (), [], now, new=False)
        target = update.model_copy(update={"reassign_to": routing.body_id})
        return self._transition(record, target, now, source_event=event, routing=routing)

    def _transition(
        self,
        record: CaseRecord,
        update: StatusUpdate,
        now: datetime,
        *,
        source_event: StatusReported | None = None,
        routing: Routing | None = None,
    ) -> Step:
        """Apply `update`; `routing` says why the new owner, if any, was chosen (the rules,
        after a refusal), and goes into the published snapshot and assignment."""
        outcome = apply(record.lifecycle, update, now, known_bodies=self.bodies)
        if not isinstance(outcome, Accepted):
            ref = (
                source_event.id
                if source_event
                else f"{record.snapshot.case_id}/{update.transition}"
            )
            letter = DeadLetter(
                stage="processors.cases",
                source_ref=ref,
                reason=f"refused_{outcome.code.value}",
                detail=outcome.message,
                received_at=now,
                raw_location=f"kafka:{topics.STATUS} event {ref}",
            )
            dead = DeadLettered.new(
                letter, source=SOURCE, subject=ref, time=now, event_id=f"refused:{ref}"
            )
            return Step(record, [(topics.DEADLETTER, dead)], self._next(record))
        state, entry = outcome.state, outcome.entry
        before = record.lifecycle.body
        snapshot = snapshot_with(record.snapshot, state)
        if entry.to_status in _ANSWERED or entry.transition is Transition.REOPEN:
            snapshot = snapshot.model_copy(update={"answer": _answer(entry)})
        if routing is not None:
            snapshot = snapshot.model_copy(
                update={
                    "routing_rule_id": routing.rule_id,
                    "routing_explanation": routing.explanation,
                }
            )
        sla = record.sla
        if sla is not None:
            policy = self.policies.for_case(snapshot.category, state.body)
            sla = after_transition(sla, entry, policy, self.calendar)
            snapshot = snapshot.model_copy(update={"deadline_at": sla.deadline_at})
        updated = record.model_copy(update={"snapshot": snapshot, "lifecycle": state, "sla": sla})
        out: list[tuple[str, Event[Any]]] = []
        if state.body and state.body != before:
            routing = routing or Routing(
                state.body, f"status:{entry.transition}", entry.reason or ""
            )
            out.append((topics.routed(state.body), self._assigned_event(snapshot, routing, now)))
        return self._emit(updated, out, now)

    # -- time -----------------------------------------------------------------------------

    def tick(self, record: CaseRecord, cmd: Tick, now: datetime) -> Step:
        """Emit the SLA alerts that are due and not yet emitted; each exactly once per case
        state, however many ticks arrive."""
        if record.sla is None:
            return Step(record, [], None)
        alerts = due_alerts(record.sla, max(now, cmd.at))
        if not alerts:
            return Step(record, [], self._next(record))
        sla = mark_emitted(record.sla, alerts)
        out: list[tuple[str, Event[Any]]] = []
        for alert in alerts:
            event = SlaAlerted.new(
                _public(alert),
                source=SOURCE,
                subject=alert.case_id,
                time=now,
                event_id=alert.alert_id,
            )
            out.append((topics.SLA, event))
            if alert.body:
                out.append((topics.routed(alert.body), event))
        updated = record.model_copy(update={"sla": sla})
        return Step(updated, out, self._next(updated))

    # -- shared -------------------------------------------------------------------------

    def _assign(
        self,
        record: CaseRecord,
        routing: Routing,
        out: list[tuple[str, Event[Any]]],
        now: datetime,
        *,
        new: bool,
    ) -> Step:
        assert routing.body_id is not None
        assign = StatusUpdate(
            case_id=record.snapshot.case_id,
            transition=Transition.ASSIGN,
            actor=Actor.FRONT_OFFICE,
            reassign_to=routing.body_id,
            reported_at=max(now, record.lifecycle.updated_at),
        )
        outcome = apply(record.lifecycle, assign, now, known_bodies=self.bodies)
        assert isinstance(outcome, Accepted), outcome
        state = outcome.state
        policy = self.policies.for_case(record.snapshot.category, state.body)
        sla = record.sla
        if sla is not None:
            sla = after_transition(sla, outcome.entry, policy, self.calendar)
        snapshot = record.snapshot.model_copy(
            update={
                "status": state.status,
                "body": state.body,
                "routing_rule_id": routing.rule_id,
                "routing_explanation": routing.explanation,
                "deadline_at": sla.deadline_at if sla else None,
                "version": record.snapshot.version + (0 if new else 1),
            }
        )
        updated = CaseRecord(snapshot=snapshot, lifecycle=state, sla=sla, triaged=False)
        out = [*out, (topics.routed(routing.body_id), self._assigned_event(snapshot, routing, now))]
        return self._emit(updated, out, now)

    def _to_triage(
        self,
        record: CaseRecord,
        routing: Routing,
        candidates: tuple[CategoryCandidate, ...],
        out: list[tuple[str, Event[Any]]],
        now: datetime,
        *,
        new: bool,
    ) -> Step:
        snapshot = record.snapshot
        if not new:
            snapshot = snapshot.model_copy(update={"version": snapshot.version + 1})
        snapshot = snapshot.model_copy(
            update={
                "routing_rule_id": routing.rule_id,
                "routing_explanation": routing.explanation,
                "deadline_at": record.sla.deadline_at if record.sla else None,
            }
        )
        triage = triage_for(snapshot, routing, candidates)
        event = CaseTriaged.new(
            triage,
            source=SOURCE,
            subject=snapshot.case_id,
            time=now,
            event_id=f"{snapshot.case_id}@{snapshot.version}/triage",
        )
        updated = record.model_copy(update={"snapshot": snapshot, "triaged": True})
        return self._emit(updated, [*out, (topics.TRIAGE, event)], now)

    def _emit(self, record: CaseRecord, out: list[tuple[str, Event[Any]]], now: datetime) -> Step:
        """Append the case's snapshot (last, so the compacted topic's last word per case is
        a snapshot) and say when the next alert is due."""
        snapshot = record.snapshot
        event = CaseUpdated.new(
            snapshot,
            source=SOURCE,
            subject=snapshot.case_id,
            time=snapshot.updated_at,
            event_id=f"{snapshot.case_id}@{snapshot.version}",
        )
        return Step(record, [*out, (topics.CASES, event)], self._next(record))

    def _assigned_event(
        self, snapshot: CaseSnapshot, routing: Routing, now: datetime
    ) -> CaseAssigned:
        return CaseAssigned.new(
            assignment_for(snapshot, routing),
            source=SOURCE,
            subject=snapshot.case_id,
            time=now,
            event_id=f"{snapshot.case_id}@{snapshot.version}/assigned/{routing.body_id}",
        )

    @staticmethod
    def _dedup_event(record: DedupRecord, submission_id: str) -> CaseDeduplicated:
        return CaseDeduplicated.new(
            record,
            source=SOURCE,
            subject=record.case_id,
            time=record.decided_at,
            event_id=event_id_for(record, submission_id),
        )

    @staticmethod
    def _next(record: CaseRecord) -> datetime | None:
        return next_alert_at(record.sla) if record.sla is not None else None


_ANSWERED = frozenset({CaseStatus.RESOLVED, CaseStatus.REJECTED})


def _same_citizen(snapshot: CaseSnapshot, writer: Citizen | None) -> bool:
    """Whether a follow-up comes from the address the case was opened with: a tracking
    number in a subject is no proof of who writes, and only the citizen may contest."""
    known = snapshot.citizen.email if snapshot.citizen else None
    said = writer.email if writer else None
    return bool(known and said and known.strip().lower() == said.strip().lower())


def _answer(entry: HistoryEntry) -> CaseAnswer | None:
    """The answer a transition gives the citizen: a resolution's note, a rejection's note or
    else its reason; none after a reopen (the case is open again)."""
    text = entry.note_for_citizen or entry.reason
    if entry.to_status not in _ANSWERED or text is None:
        return None
    return CaseAnswer(
        seq=entry.seq,
        outcome=entry.to_status,
        text=text,
        body=entry.reported_by or entry.owner_before,
        answered_at=entry.effective_at,
    )


def _public(alert: Alert) -> SlaAlert:
    return SlaAlert.model_validate(alert.model_dump(mode="json"))
