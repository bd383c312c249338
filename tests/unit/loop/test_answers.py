"""The case's answer on its snapshot (what the notifier tells the citizen), and the citizen's
"not solved" by reply: a resolved or rejected case reopens, anything else stays a follow-up."""

from datetime import datetime

from processors.cases import AddFollowUp, Step
from schemas import topics
from schemas.case import CaseStatus
from schemas.events import CaseUpdated, FollowUpReceived
from schemas.followup import FollowUp
from schemas.status import Actor, Transition
from schemas.submission import Channel, Citizen
from tests.unit.cases.support import HOUR, T0, Case, FakeClassifier, book_with, on, submission

GIULIA = "giulia@example.org"


def reply(case: Case, text: str, at: datetime, ref: str, sender: str | None = GIULIA) -> Step:
    """The citizen's mail about the case, as the SMTP intake makes it a follow-up."""
    data = FollowUp(
        tracking_id=case.record.snapshot.tracking_ids[0],
        channel=Channel.EMAIL,
        received_at=at,
        text=text,
        idempotency_ref=ref,
        citizen=Citizen(name="Giulia", email=sender) if sender else None,
    )
    event = FollowUpReceived.new(data, source="/tests", subject=data.tracking_id, time=at)
    cmd = AddFollowUp(case_id=case.case_id, followup=event)
    return case.take(case.book.follow_up(case.record, cmd, at))


def resolved_pothole(ref: str = "ans-1") -> Case:
    case = Case.opened(
        book_with(FakeClassifier()),
        submission(ref, "Buca in via Tortona 12", email=GIULIA),
        T0,
    )
    case.report(Transition.START, T0 + HOUR)
    case.report(Transition.RESOLVE, T0 + 2 * HOUR, note="Buca chiusa il 10 marzo")
    return case


def test_a_resolution_puts_its_note_on_the_snapshot_with_its_step() -> None:
    case = resolved_pothole()
    answer = case.record.snapshot.answer
    assert answer is not None
    assert answer.outcome is CaseStatus.RESOLVED
    assert answer.text == "Buca chiusa il 10 marzo"
    assert answer.body == case.body == "strade"
    assert answer.seq == case.record.lifecycle.seq
    assert answer.answered_at == T0 + 2 * HOUR
    published = [e for n, e in case.log if n == topics.CASES and isinstance(e, CaseUpdated)][-1]
    assert published.data.answer == answer


def test_a_rejection_without_a_note_answers_with_its_reason() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("ans-2", "Buca in via Roma"), T0)
    case.report(Transition.REJECT, T0 + HOUR, reason="Strada privata, non comunale")
    answer = case.record.snapshot.answer
    assert answer is not None
    assert (answer.outcome, answer.text) == (CaseStatus.REJECTED, "Strada privata, non comunale")


def test_other_transitions_leave_no_answer_and_closing_keeps_it() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("ans-3", "Buca in via Roma"), T0)
    case.report(Transition.ACKNOWLEDGE, T0 + HOUR)
    assert case.record.snapshot.answer is None
    case.report(Transition.RESOLVE, T0 + 2 * HOUR, note="Fatto")
    answer = case.record.snapshot.answer
    case.report(Transition.CLOSE, T0 + 3 * HOUR, actor=Actor.FRONT_OFFICE)
    assert case.record.snapshot.status is CaseStatus.CLOSED
    assert case.record.snapshot.answer == answer


def test_a_reply_saying_not_solved_reopens_a_resolved_case_and_clears_its_answer() -> None:
    case = resolved_pothole()
    step = reply(case, "NON RISOLTO: la buca è ancora lì\n\n> Gentile...", T0 + 5 * HOUR, "r-1")
    assert case.record.lifecycle.status is CaseStatus.ASSIGNED
    assert case.record.lifecycle.reopened == 1
    assert case.record.snapshot.answer is None
    [forwarded] = on(step, topics.routed("strade"))[:1]
    assert isinstance(forwarded, FollowUpReceived)
    [snapshot] = on(step, topics.CASES)
    assert isinstance(snapshot, CaseUpdated)
    assert snapshot.data.status is CaseStatus.ASSIGNED
    assert on(step, topics.DEADLETTER) == []


def test_a_thank_you_reply_is_a_follow_up_and_the_case_stays_resolved() -> None:
    case = resolved_pothole()
    before = case.record
    step = reply(
        case,
        "Grazie, risolto!\n\nIl giorno 10 mar ha scritto:\n> NON RISOLTO",
        T0 + 5 * HOUR,
        "r-2",
    )
    assert case.record == before
    assert [type(e) for _, e in step.out] == [FollowUpReceived]


def test_not_solved_on_a_case_still_open_is_only_a_follow_up() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("ans-4", "Buca in via Po"), T0)
    before = case.record
    step = reply(case, "Non è ancora risolto, quando intervenite?", T0 + HOUR, "r-3")
    assert case.record == before
    assert on(step, topics.DEADLETTER) == []


def test_a_new_resolution_after_a_reopen_is_a_new_answer() -> None:
    case = resolved_pothole()
    first = case.record.snapshot.answer
    reply(case, "non risolto", T0 + 5 * HOUR, "r-4")
    case.report(Transition.START, T0 + 6 * HOUR)
    case.report(Transition.RESOLVE, T0 + 7 * HOUR, note="Ora sì, asfaltata")
    second = case.record.snapshot.answer
    assert first is not None and second is not None
    assert second.seq > first.seq
    assert second.text == "Ora sì, asfaltata"


def test_not_solved_from_another_address_or_none_is_only_a_follow_up() -> None:
    case = resolved_pothole()
    before = case.record
    for sender in ("someone.else@example.org", None):
        step = reply(case, "NON RISOLTO", T0 + 5 * HOUR, f"r-5-{sender}", sender=sender)
        assert case.record == before
        assert [type(e) for _, e in step.out] == [FollowUpReceived]
    reply(case, "NON RISOLTO", T0 + 6 * HOUR, "r-6", sender=" Giulia@Example.org ".strip())
    assert case.record.lifecycle.status is CaseStatus.ASSIGNED
