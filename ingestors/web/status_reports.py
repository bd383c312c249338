"""Status reports over HTTP: who may send one, and what the answer will be. Pure.

`POST /v1/cases/{case_id}/status` must answer at once (202, 403, 409, 422) although only the
case agent changes cases. So the web intake forecasts: it reads the case as the store has it
and runs the lifecycle's own rules (`processors.lifecycle.apply`) on that state. `forecast`
is that decision, with no I/O:

    found = forecast(snapshot, update, acting_for="strade", now=now, known_bodies=ids)
    match found:
        case Forecast(previous, status): publish, answer 202 with `status`
        case Denial(status, code, detail, pointer): answer the problem, publish nothing

The forecast can be wrong in both directions, because the store trails the case agent (by
the sink's lag, usually well under a second) and other reports may be on their way: see the
endpoint's description in `cases_api`.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from processors.lifecycle import Accepted, CaseState, RefusalCode, Refused, apply
from schemas.case import CaseSnapshot, CaseStatus
from schemas.status import Actor, StatusUpdate, Transition

# How each refusal of the lifecycle is told over HTTP, and which field it is about.
_STATUS_OF: dict[RefusalCode, int] = {
    RefusalCode.WRONG_CASE: 422,
    RefusalCode.CLOSED: 409,
    RefusalCode.NOT_ALLOWED_FROM_STATE: 409,
    RefusalCode.SAME_BODY: 409,
    RefusalCode.ACTOR_NOT_ALLOWED: 403,
    RefusalCode.NOT_OWNER: 403,
    RefusalCode.BODY_MISSING: 422,
    RefusalCode.BODY_NOT_EXPECTED: 422,
    RefusalCode.REASON_REQUIRED: 422,
    RefusalCode.NOTE_REQUIRED: 422,
    RefusalCode.TARGET_REQUIRED: 422,
    RefusalCode.TARGET_NOT_EXPECTED: 422,
    RefusalCode.UNKNOWN_BODY: 422,
}
_POINTER_OF: dict[RefusalCode, str] = {
    RefusalCode.WRONG_CASE: "/case_id",
    RefusalCode.BODY_MISSING: "/body",
    RefusalCode.BODY_NOT_EXPECTED: "/body",
    RefusalCode.REASON_REQUIRED: "/reason",
    RefusalCode.NOTE_REQUIRED: "/note_for_citizen",
    RefusalCode.TARGET_REQUIRED: "/reassign_to",
    RefusalCode.TARGET_NOT_EXPECTED: "/reassign_to",
    RefusalCode.UNKNOWN_BODY: "/reassign_to",
}


@dataclass(frozen=True)
class Forecast:
    """The report may be applied: the case is `previous` in the store, and should become
    `status` (None for a body's "not ours", where the routing rules choose what follows)."""

    previous: CaseStatus
    status: CaseStatus | None


@dataclass(frozen=True)
class Denial:
    """The report is refused now: the HTTP status, a stable code, what to tell the caller,
    and the request field it is about (a JSON pointer), if one."""

    status: int
    code: str
    detail: str
    pointer: str | None = None


def acting_body(client_id: str, named: str | None, *, any_body_client: str | None) -> str | None:
    """The body a caller reports as: the body whose key it presented, or, for the
    development client (`any_body_client`), the body the report names."""
    if any_body_client is not None and client_id == any_body_client:
        return named
    return client_id


def check_reporter(
    path_case_id: str, update: StatusUpdate, acting_for: str | None
) -> Denial | None:
    """What is wrong with a body's report before the case is looked at: another case than
    the URL's, another actor than the body, another body than the caller's."""
    if update.case_id != path_case_id:
        return Denial(422, "wrong_case", "case_id differs from the case in the URL", "/case_id")
    if update.actor is not Actor.BODY:
        return Denial(
            403,
            "actor_not_allowed",
            "a body's key reports as that body: actor must be 'body'",
            "/actor",
        )
    if update.body is None:
        return Denial(422, "body_missing", "a body reporting must say which body it is", "/body")
    if acting_for != update.body:
        return Denial(
            403, "not_this_body", f"this key acts for {acting_for}, not for {update.body}", "/body"
        )
    return None


def forecast(
    snapshot: CaseSnapshot,
    update: StatusUpdate,
    *,
    now: datetime,
    known_bodies: frozenset[str],
) -> Forecast | Denial:
    """What the case agent would do with `update` if the case were as `snapshot` says.

    Ownership comes first, so a body learns nothing of another body's case (403), then the
    lifecycle's checks in their own order. A body's `reassign` without a target is its "not
    ours", which the case agent accepts by routing the case again.
    """
    previous = snapshot.status
    if update.actor is Actor.BODY and update.body != snapshot.body:
        return Denial(403, RefusalCode.NOT_OWNER.value, "this case is not owned by this body")
    outcome = apply(CaseState.from_snapshot(snapshot), update, now, known_bodies=known_bodies)
    if isinstance(outcome, Accepted):
        return Forecast(previous, outcome.state.status)
    assert isinstance(outcome, Refused)
    if (
        outcome.code is RefusalCode.TARGET_REQUIRED
        and update.transition is Transition.REASSIGN
        and update.actor is Actor.BODY
    ):
        return Forecast(previous, None)
    return Denial(
        _STATUS_OF[outcome.code],
        outcome.code.value,
        outcome.message,
        _POINTER_OF.get(outcome.code),
    )


def report_event_id(client_id: str, idempotency_key: str | None, body: bytes) -> str | None:
    """The event id of a report sent with an `Idempotency-Key`: the same for a retry of the
    same request (so the case agent applies it once), another for another request; None
    (a random id) without a key."""
    if idempotency_key is None:
        return None
    digest = hashlib.sha256(
        b"\x00".join((b"status-report", client_id.encode(), idempotency_key.encode(), body))
    )
    return "http-" + digest.hexdigest()[:40]
