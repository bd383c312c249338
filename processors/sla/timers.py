"""SLA clocks and the alerts they owe: pure values and functions, no timer of their own.

A case has a resolution clock (from the legal receipt time to the resolution deadline) and,
while a body holds it unacknowledged, an acknowledgement clock. Each clock has points: the
warnings (`warning_50` when half of the allowed time has elapsed) and the `breach` (the
deadline itself). Time spent waiting for the citizen is a pause: the clock stands still, and
every point not yet reached moves later by the length of the pause.

Precisely, with `allowed = base_deadline - started_at` (elapsed time, from the calendar), the
point at p% is the instant at which the clock's running time, pauses excluded, reaches
p% of `allowed`; the breach is the point at 100%, the effective deadline. A point reached
before the clock stopped (resolution, rejection, acknowledgement) is owed, even if nobody
looked in time; a point after the stop never is. So a case resolved in time owes no breach.

Each alert is emitted once. It is named `(case_id, clock, kind, generation)`. When a clock's
schedule changes at time t (the end of a pause, a reopening, a new policy because the
category or the owner changed):

- an alert already emitted stays emitted (it is not sent again) if its point in the new
  schedule is at or before t;
- it is re-armed, and will be sent once more, only if the change moved its point after t.
  Then, and only then, the clock's generation grows by one, so that the second sending has
  a name of its own. A new owner's acknowledgement clock also starts a new generation.

A pause moves only the points after its start, and an ordinary pause starts when it is
reported, so it re-arms nothing and leaves the generation alone: the names of the alerts
then do not depend on when the ticks came, and two workers, or a replay, name them alike.
What re-arms a warning is a change that really moved it into the future: a longer deadline
after a change of category or body, or a pause reported late that began before the warning
was sent.

The adapter calls `due_alerts(state, now)`, publishes what it returns, then stores
`mark_emitted(state, alerts)` and puts the case in the deadline index at `next_alert_at`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from processors.sla.clock import UtcDatetime, as_utc
from processors.sla.policy import DeadlineRule
from schemas._strict import StrictModel
from schemas.case import CaseId
from schemas.status import BodyId

BREACH = "breach"


class ClockKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    RESOLUTION = "resolution"


class Pause(StrictModel):
    start: UtcDatetime
    end: UtcDatetime | None = None


class SlaClock(StrictModel):
    """One clock. Build it with `start_clock`; change it with its methods (they return a new
    clock; the model is frozen)."""

    kind: ClockKind
    rule: DeadlineRule
    owner: Annotated[
        BodyId | None, Field(description="the body an acknowledgement clock waits for")
    ] = None
    started_at: UtcDatetime
    base_deadline: UtcDatetime
    pauses: tuple[Pause, ...] = ()
    stopped_at: UtcDatetime | None = None
    generation: Annotated[int, Field(ge=0)] = 0
    fired: tuple[str, ...] = Field(default=(), description="kinds emitted in this generation")

    def points(self) -> list[tuple[str, int]]:
        """(kind, percent) in order: the warnings, then the breach at 100."""
        warnings = [(f"warning_{p}", p) for p in self.rule.warn_at_percent]
        return [*warnings, (BREACH, 100)]

    def point_at(self, percent: int) -> datetime | None:
        """When the running time reaches `percent` of the allowed time; None if a pause that
        began before then is still open. Ignores the stop (see `owes`)."""
        when = self.started_at + (self.base_deadline - self.started_at) * percent / 100
        for pause in self.pauses:
            if pause.start >= when:
                break
            if pause.end is None:
                return None
            when += pause.end - pause.start
        return when

    @property
    def deadline(self) -> datetime | None:
        """The effective deadline (base plus pauses); None while a pause is open."""
        return self.point_at(100)

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def pending(self) -> list[tuple[str, int, datetime]]:
        """(kind, percent, when) of the points not yet emitted whose time is known and
        reached while the clock runs (before its stop, if it stopped)."""
        out = []
        for kind, percent in self.points():
            when = self.point_at(percent)
            if kind in self.fired or when is None:
                continue
            if self.stopped_at is None or when <= self.stopped_at:
                out.append((kind, percent, when))
        return out

    def pause(self, at: datetime) -> "SlaClock":
        """Stop the running time at `at` (waiting for the citizen). No-op if stopped or
        already paused."""
        if self.stopped_at is not None or self.paused:
            return self
        at = self._not_before_last(at)
        return self.model_copy(update={"pauses": (*self.pauses, Pause(start=at))})

    def resume(self, at: datetime) -> "SlaClock":
        """End the open pause at `at`; the points after its start move later by its length."""
        if not self.paused:
            return self
        at = max(as_utc(at), self.pauses[-1].start)
        pauses = (*self.pauses[:-1], Pause(start=self.pauses[-1].start, end=at))
        return self._rescheduled(self.model_copy(update={"pauses": pauses}), at)

    def stop(self, at: datetime) -> "SlaClock":
        """The clock's job is done at `at` (an open pause ends there). No-op if stopped."""
        if self.stopped_at is not None:
            return self
        at = self._not_before_last(at)
        pauses = self.pauses
        if self.paused:
            pauses = (*pauses[:-1], Pause(start=pauses[-1].start, end=at))
        return self.model_copy(update={"pauses": pauses, "stopped_at": at})

    def reopen(self, at: datetime) -> "SlaClock":
        """Run again after a stop (the citizen says "not solved"). The time between the stop
        and `at` was the citizen's, so it counts as a pause. No-op if running."""
        if self.stopped_at is None:
            return self
        at = max(as_utc(at), self.stopped_at)
        pauses = (*self.pauses, Pause(start=self.stopped_at, end=at))
        moved = self.model_copy(update={"pauses": pauses, "stopped_at": None})
        return self._rescheduled(moved, at)

    def with_rule(self, rule: DeadlineRule, base_deadline: datetime, at: datetime) -> "SlaClock":
        """Same start and pauses under a new rule (a new policy). No-op if nothing changes."""
        base_deadline = as_utc(base_deadline)
        if rule == self.rule and base_deadline == self.base_deadline:
            return self
        moved = self.model_copy(update={"rule": rule, "base_deadline": base_deadline})
        return self._rescheduled(moved, max(as_utc(at), self.started_at))

    def _rescheduled(self, moved: "SlaClock", at: datetime) -> "SlaClock":
        """`moved` with the alerts this clock emitted carried over, except those the change
        moved after `at`: those are re-armed, under a new generation."""
        percent = dict(moved.points())
        kept = tuple(
            kind
            for kind in self.fired
            if kind in percent and _at_or_before(moved.point_at(percent[kind]), at)
        )
        rearmed = any(kind in percent and kind not in kept for kind in self.fired)
        generation = self.generation + 1 if rearmed else self.generation
        return moved.model_copy(update={"generation": generation, "fired": kept})

    def _not_before_last(self, at: datetime) -> datetime:
        """`at`, but not before the start nor before the last pause began or ended."""
        last = self.started_at
        if self.pauses:
            last = max(last, self.pauses[-1].end or self.pauses[-1].start)
        return max(as_utc(at), last)


def _at_or_before(when: datetime | None, limit: datetime) -> bool:
    return when is not None and when <= limit


def start_clock(
    kind: ClockKind,
    rule: DeadlineRule,
    started_at: datetime,
    base_deadline: datetime,
    *,
    owner: str | None = None,
) -> SlaClock:
    return SlaClock(
        kind=kind, rule=rule, owner=owner, started_at=started_at, base_deadline=base_deadline
    )


class SlaState(StrictModel):
    """The SLA of one case: JSON-serializable, for a Faust table keyed by case id.

    `retired` keeps a replaced clock (the previous owner's acknowledgement clock) while it
    still owes an alert reached before it was replaced, so that a tick coming late loses
    nothing; `mark_emitted` drops it once it owes nothing more.
    """

    case_id: CaseId
    body: BodyId | None = None
    resolution: SlaClock
    acknowledgement: SlaClock | None = None
    retired: tuple[SlaClock, ...] = ()

    def clocks(self) -> list[SlaClock]:
        current = [c for c in (self.acknowledgement, self.resolution) if c is not None]
        return [*self.retired, *current]

    @property
    def deadline_at(self) -> datetime | None:
        """The resolution deadline as it stands (None while waiting for the citizen)."""
        return self.resolution.deadline


class Alert(StrictModel):
    """A warning or a breach, for `complaints.sla` and the owning body's routed topic.

    `alert_id` is `case_id/clock/kind/g<generation>`: use it as the event id, so a replay or
    a second worker producing the same alert is recognised downstream as the same fact.
    """

    alert_id: str
    case_id: CaseId
    body: BodyId | None
    clock: ClockKind
    kind: Annotated[str, Field(examples=["warning_50", "breach"])]
    percent: Annotated[int, Field(ge=1, le=100)]
    generation: int
    due_at: UtcDatetime
    deadline_at: UtcDatetime | None


def alert_id(case_id: str, clock: ClockKind, kind: str, generation: int) -> str:
    return f"{case_id}/{clock.value}/{kind}/g{generation}"


def due_alerts(state: SlaState, now: datetime) -> list[Alert]:
    """The alerts owed at `now` and not yet emitted in their clock's generation, by time.

    Several may be due at once (a tick came late, or a change moved a point into the past);
    all are returned, each once: the set of alerts a case gets does not depend on when the
    ticks happen.
    """
    now = as_utc(now)
    alerts = [
        Alert(
            alert_id=alert_id(state.case_id, clock.kind, kind, clock.generation),
            case_id=state.case_id,
            body=clock.owner or state.body,
            clock=clock.kind,
            kind=kind,
            percent=percent,
            generation=clock.generation,
            due_at=when,
            deadline_at=clock.deadline,
        )
        for clock in state.clocks()
        for kind, percent, when in clock.pending()
        if when <= now
    ]
    alerts.sort(key=lambda a: (a.due_at, a.clock.value, a.percent))
    return alerts


def mark_emitted(state: SlaState, alerts: Iterable[Alert]) -> SlaState:
    """The state after `alerts` were published. Alerts of another case or of an older
    generation are ignored: their clock has moved on."""
    sent = {(a.clock, a.generation, a.kind) for a in alerts if a.case_id == state.case_id}

    def marked(clock: SlaClock) -> SlaClock:
        kinds = tuple(
            kind
            for kind, _ in clock.points()
            if kind in clock.fired or (clock.kind, clock.generation, kind) in sent
        )
        return clock if kinds == clock.fired else clock.model_copy(update={"fired": kinds})

    ack = None if state.acknowledgement is None else marked(state.acknowledgement)
    resolution = marked(state.resolution)
    retired = tuple(c for c in map(marked, state.retired) if c.pending())
    if (ack, resolution, retired) == (state.acknowledgement, state.resolution, state.retired):
        return state
    return state.model_copy(
        update={"acknowledgement": ack, "resolution": resolution, "retired": retired}
    )


def next_alert_at(state: SlaState) -> datetime | None:
    """When the next alert of this case falls due (maybe already past), or None if none can
    until something changes (stopped clocks, or every point left behind an open pause)."""
    return min((when for c in state.clocks() for _, _, when in c.pending()), default=None)


def overdue_by(state: SlaState, now: datetime) -> timedelta | None:
    """How late the resolution is at `now` (positive once breached), None while paused."""
    deadline = state.resolution.deadline
    end = state.resolution.stopped_at or as_utc(now)
    return None if deadline is None else end - deadline
