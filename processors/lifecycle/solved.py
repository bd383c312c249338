"""When a resolved case counts as solved, for the metrics ("92.9% solved").

A body saying "resolved" is not enough: the citizen may say "not solved" (a `reopen`). A case
counts as solved once the citizen confirmed it, or once the contest period has passed since
the resolution without a reopen. Closing the case early does not shorten the period, so the
figure cannot be raised by closing quickly. A reopened case is not solved until it is
resolved again, and the period then starts again from the new resolution.
"""

from datetime import UTC, datetime, timedelta

from processors.lifecycle.machine import CaseState
from schemas.case import CaseStatus

_AFTER_RESOLUTION = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


def solved_at(state: CaseState, contest_period: timedelta) -> datetime | None:
    """When the case counts (or will count, if nobody contests it) as solved; None if it
    does not: never resolved, rejected, or reopened and not resolved again."""
    if state.status not in _AFTER_RESOLUTION or state.resolved_at is None:
        return None
    unconfirmed = state.resolved_at.astimezone(UTC) + contest_period
    if state.confirmed_at is not None:
        return min(state.confirmed_at, unconfirmed)
    return unconfirmed


def counts_as_solved(state: CaseState, now: datetime, contest_period: timedelta) -> bool:
    """True when, at `now`, the case counts as solved: resolved, and confirmed by the citizen
    or not contested for `contest_period` (elapsed time) since the resolution."""
    when = solved_at(state, contest_period)
    return when is not None and when <= now
