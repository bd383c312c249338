"""The web intake's forecast of a body's status report: the lifecycle's own rules on the
stored case, ownership first, each refusal with its HTTP status."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestors.smtp.ack import is_permanent
from ingestors.web.settings import DEV_CLIENT_ID, WebSettings
from ingestors.web.status_reports import (
    Denial,
    Forecast,
    acting_body,
    check_reporter,
    forecast,
    report_event_id,
)
from processors.lifecycle import CaseState, Refused, apply
from schemas.case import CaseSnapshot, CaseStatus
from schemas.status import Actor, StatusUpdate, Transition
from schemas.submission import Channel

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CASE = "CASE-AAAA-BBBB-CCCC"
BODIES = frozenset({"strade", "verde", "illuminazione"})


def stored(status: CaseStatus, body: str | None = "strade") -> CaseSnapshot:
    return CaseSnapshot(
        case_id=CASE,
        version=3,
        status=status,
        tracking_ids=("SP-AAAA-BBBB-CCCC",),
        channels=(Channel.WEB,),
        opened_at=NOW - timedelta(days=2),
        legal_receipt_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(days=1),
        text="Buca",
        body=body,
    )


def report(transition: Transition, body: str | None = "strade", **kw: str) -> StatusUpdate:
    return StatusUpdate(
        case_id=kw.pop("case_id", CASE),
        transition=transition,
        body=body,
        reported_at=NOW,
        **kw,
    )


def test_an_allowed_report_forecasts_the_status_it_leads_to() -> None:
    found = forecast(
        stored(CaseStatus.ASSIGNED), report(Transition.ACKNOWLEDGE), now=NOW, known_bodies=BODIES
    )
    assert found == Forecast(CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED)
    resolve = report(Transition.RESOLVE, note_for_citizen="Fatto")
    found = forecast(stored(CaseStatus.IN_PROGRESS), resolve, now=NOW, known_bodies=BODIES)
    assert found == Forecast(CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED)


def test_a_transition_not_allowed_from_the_stored_state_is_409() -> None:
    resolve = report(Transition.RESOLVE, note_for_citizen="Fatto")
    found = forecast(stored(CaseStatus.ASSIGNED), resolve, now=NOW, known_bodies=BODIES)
    assert isinstance(found, Denial)
    assert (found.status, found.code) == (409, "not_allowed_from_state")
    closed = forecast(
        stored(CaseStatus.CLOSED), report(Transition.START), now=NOW, known_bodies=BODIES
    )
    assert isinstance(closed, Denial) and (closed.status, closed.code) == (409, "closed")


def test_a_case_another_body_owns_or_nobody_owns_is_403_whatever_its_state() -> None:
    for case in (
        stored(CaseStatus.ASSIGNED, "verde"),
        stored(CaseStatus.CLOSED, "verde"),
        stored(CaseStatus.RECEIVED, None),
    ):
        found = forecast(case, report(Transition.ACKNOWLEDGE), now=NOW, known_bodies=BODIES)
        assert isinstance(found, Denial) and (found.status, found.code) == (403, "not_owner")


def test_a_missing_field_is_422_with_a_pointer() -> None:
    found = forecast(
        stored(CaseStatus.IN_PROGRESS), report(Transition.RESOLVE), now=NOW, known_bodies=BODIES
    )
    assert found == Denial(
        422,
        "note_for_citizen_required",
        "resolve needs a note for the citizen",
        "/note_for_citizen",
    )
    found = forecast(
        stored(CaseStatus.ASSIGNED),
        report(Transition.REOPEN, reason="x"),
        now=NOW,
        known_bodies=BODIES,
    )
    assert isinstance(found, Denial) and found.status == 409


def test_not_ours_is_accepted_and_the_rules_decide_what_follows() -> None:
    not_ours = report(Transition.REASSIGN, reason="Non è nostra: è un parco")
    found = forecast(stored(CaseStatus.ASSIGNED), not_ours, now=NOW, known_bodies=BODIES)
    assert found == Forecast(CaseStatus.ASSIGNED, None)
    handed = report(Transition.REASSIGN, reason="Parco", reassign_to="verde")
    found = forecast(stored(CaseStatus.ASSIGNED), handed, now=NOW, known_bodies=BODIES)
    assert found == Forecast(CaseStatus.ASSIGNED, CaseStatus.REASSIGNED)


@given(
    status=st.sampled_from(list(CaseStatus)),
    owner=st.sampled_from(["strade", "verde", None]),
    transition=st.sampled_from(list(Transition)),
    reason=st.none() | st.just("perché"),
    note=st.none() | st.just("nota"),
    target=st.none() | st.sampled_from(["strade", "verde", "nessuno"]),
)
def test_the_forecast_agrees_with_the_case_agent_s_lifecycle(
    status: CaseStatus,
    owner: str | None,
    transition: Transition,
    reason: str | None,
    note: str | None,
    target: str | None,
) -> None:
    update = StatusUpdate(
        case_id=CASE,
        transition=transition,
        body="strade",
        reason=reason,
        note_for_citizen=note,
        reassign_to=target,
        reported_at=NOW,
    )
    case = stored(status, owner)
    found = forecast(case, update, now=NOW, known_bodies=BODIES)
    truth = apply(CaseState.from_snapshot(case), update, NOW, known_bodies=BODIES)
    if isinstance(found, Forecast):
        not_ours = isinstance(truth, Refused) and truth.code.value == "reassign_to_required"
        assert not isinstance(truth, Refused) or not_ours
        if not not_ours:
            assert found.status is truth.state.status  # type: ignore[union-attr]
    else:
        assert isinstance(truth, Refused)
        assert found.status in (403, 409, 422)


def test_who_a_caller_reports_as() -> None:
    assert acting_body("strade", "verde", any_body_client=None) == "strade"
    assert acting_body(DEV_CLIENT_ID, "verde", any_body_client=DEV_CLIENT_ID) == "verde"
    assert acting_body("strade", "verde", any_body_client=DEV_CLIENT_ID) == "strade"
    assert check_reporter(CASE, report(Transition.START), "strade") is None
    wrong_case = check_reporter("CASE-ZZZZ-ZZZZ-ZZZZ", report(Transition.START), "strade")
    assert wrong_case is not None and (wrong_case.status, wrong_case.pointer) == (422, "/case_id")
    other = check_reporter(CASE, report(Transition.START), "verde")
    assert other is not None and (other.status, other.code) == (403, "not_this_body")
    front = StatusUpdate(
        case_id=CASE, transition=Transition.CLOSE, actor=Actor.FRONT_OFFICE, reported_at=NOW
    )
    denied = check_reporter(CASE, front, "strade")
    assert denied is not None and denied.status == 403


def test_an_idempotency_key_names_the_event_of_one_request() -> None:
    assert report_event_id("strade", None, b"{}") is None
    one = report_event_id("strade", "k1", b'{"a":1}')
    assert one == report_event_id("strade", "k1", b'{"a":1}')
    assert one != report_event_id("strade", "k1", b'{"a":2}')
    assert one != report_event_id("verde", "k1", b'{"a":1}')


def test_body_keys_in_settings_and_the_development_key() -> None:
    configured = WebSettings(body_keys={"strade": "k-strade"})
    assert [c.client_id for c in configured.body_clients()] == ["strade"]
    assert not configured.development_body_key
    assert [c.client_id for c in WebSettings().body_clients()] == [DEV_CLIENT_ID]
    assert WebSettings().development_body_key
    assert WebSettings(environment="production", api_keys=("k",)).body_clients() == ()


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"try later")}), False),
        (smtplib.SMTPDataError(554, b"rejected"), True),
        (smtplib.SMTPDataError(451, b"later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(), False),
    ],
)
def test_only_a_5xx_is_a_refusal_for_good(exc: BaseException, permanent: bool) -> None:
    assert is_permanent(exc) is permanent
