"""Joining, linking and following up: a redelivery changes nothing but is recorded; a merge
adds the tracking id, the channel and the evidence; a link relates cases once; a citizen's
follow-up reaches the owner and resumes a case that was waiting for it."""

from processors.cases import JoinCase, LinkCase
from processors.dedup import Deduplicator, Merge, NewCase, Redelivery
from processors.dedup.history import records_for
from schemas import topics
from schemas.case import CaseStatus
from schemas.dedup import CaseLink, DedupRecord, Linked
from schemas.events import CaseDeduplicated, CaseUpdated, FollowUpReceived
from schemas.evidence import MatchEvidence, MatchSignal
from schemas.status import Transition
from schemas.submission import Channel
from tests.unit.cases.support import (
    DAY,
    HOUR,
    T0,
    Case,
    FakeClassifier,
    book_with,
    on,
    submission,
)

PHONE = "+39 02 8845 1203"
EMAIL_TEXT = (
    "Buongiorno, in via Giambellino 58 c'è una buca profonda davanti al civico, "
    "ieri sera un motorino è caduto. Chiedo un intervento urgente."
)
FAX_TEXT = (
    "Spett. Comune, segnalo di nuovo la buca pericolosa in via Giambellino 58: "
    "un motociclista è già caduto. Vi prego di intervenire."
)


def email_then_fax() -> tuple[Case, JoinCase]:
    """An email, then the same citizen's fax about the same pothole, decided by the real
    deduplicator (tiers 1-3 over dicts), as the dedup stages do before the case agent."""
    book = book_with(FakeClassifier())
    dedup = Deduplicator()
    email = submission("mail-1", EMAIL_TEXT, channel=Channel.EMAIL, phone=PHONE)
    fax = submission("fax-1", FAX_TEXT, channel=Channel.FAX, phone=PHONE, at=T0 + 3 * HOUR)
    assert isinstance(dedup.decide(email.data), NewCase)
    case = Case.opened(book, email, T0)
    decision = dedup.decide(fax.data)
    assert isinstance(decision, Merge), decision
    assert decision.case_id == case.case_id
    [record] = records_for(decision, fax.data)
    return case, JoinCase(case_id=case.case_id, submission=fax, record=record)


def test_a_merge_adds_the_tracking_id_the_channel_and_the_evidence() -> None:
    case, join = email_then_fax()
    before = case.record.snapshot
    step = case.take(case.book.join(case.record, join, T0 + 3 * HOUR))

    snap = case.record.snapshot
    fax = join.submission.data
    assert snap.version == before.version + 1
    assert snap.tracking_ids == (*before.tracking_ids, fax.submission_id)
    assert snap.channels == (Channel.EMAIL, Channel.FAX)
    [merge] = snap.merges
    assert merge.submission_id == fax.submission_id
    assert merge.channel is Channel.FAX
    assert MatchSignal.PHONE in merge.evidence.signals
    assert merge.evidence.explanation
    assert (snap.status, snap.body, snap.deadline_at) == (
        before.status,
        before.body,
        before.deadline_at,
    ), "a merge neither moves the case nor restarts its clock"
    assert snap.text == before.text, "the first text stays the case's text"
    history = [e for e in on(step, topics.CASES) if isinstance(e, CaseDeduplicated)]
    [merged] = history
    assert merged.data.decision.kind == "merged"
    assert merged.data.decision.text == FAX_TEXT, "the body reads what the fax added"
    assert on(step, topics.routed("strade")) == [merged], "the owner hears of the merge"
    last = step.out[-1][1]
    assert isinstance(last, CaseUpdated)
    assert last.id == f"{snap.case_id}@2"


def test_a_merge_delivered_again_changes_nothing() -> None:
    case, join = email_then_fax()
    first = case.take(case.book.join(case.record, join, T0 + 3 * HOUR))
    merged = case.record
    again = case.book.join(merged, join, T0 + 4 * HOUR)
    assert again.record == merged
    assert [e.id for _, e in again.out] == [e.id for _, e in first.out if _ == topics.CASES]


def test_a_redelivery_changes_nothing_but_is_recorded_in_the_history() -> None:
    book = book_with(FakeClassifier())
    dedup = Deduplicator()
    sub = submission("web-retry-1", "Buca in via Lorenteggio 120", phone=PHONE)
    dedup.decide(sub.data)
    case = Case.opened(book, sub, T0)
    decision = dedup.decide(sub.data)
    assert isinstance(decision, Redelivery)
    [record] = records_for(decision, sub.data)
    opened = case.record

    step = book.join(opened, JoinCase(case_id=case.case_id, submission=sub, record=record), T0)

    assert step.record == opened
    history, snapshot = on(step, topics.CASES)
    assert isinstance(history, CaseDeduplicated)
    assert history.data.decision.kind == "redelivery"
    assert isinstance(snapshot, CaseUpdated)
    assert snapshot.id == f"{case.case_id}@1", "republished under its own id: no new version"
    assert snapshot.data == opened.snapshot
    assert [name for name, _ in step.out] == [topics.CASES, topics.CASES]
    assert step.next_alert_at is not None, "the case stays in the deadline index"


def _link_to(case_id: str, other: str) -> LinkCase:
    evidence = MatchEvidence(
        signals=(MatchSignal.SAME_PLACE,), distance_m=40.0, explanation="40 m apart"
    )
    record = DedupRecord(
        case_id=case_id,
        decided_at=T0 + DAY,
        decision=Linked(links=(CaseLink(case_id=other, evidence=evidence),)),
    )
    return LinkCase(case_id=case_id, record=record)


def test_a_link_relates_the_cases_once() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("lnk-1", "Buca in via Tortona"), T0)
    other = "CASE-ZZZZ-YYYY-XXXX"
    step = case.take(case.book.link(case.record, _link_to(case.case_id, other), T0 + DAY))
    assert case.record.snapshot.related_case_ids == (other,)
    assert case.record.snapshot.version == 2
    kinds = [e.type for e in on(step, topics.CASES)]
    assert kinds == ["sportello.case.deduplicated", "sportello.case.updated"]
    assert len(on(step, topics.routed("strade"))) == 1

    linked = case.record
    again = case.book.link(linked, _link_to(case.case_id, other), T0 + DAY)
    assert again.record == linked
    assert again.out == []


def test_a_follow_up_reaches_the_owner_without_changing_the_case() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("fu-1", "Buca in via Tortona"), T0)
    opened = case.record
    step = case.follow_up("Allego una foto della buca", T0 + DAY, "fu-msg-1")
    assert case.record == opened
    [forwarded] = on(step, topics.routed("strade"))
    assert isinstance(forwarded, FollowUpReceived)
    assert forwarded.subject == case.case_id, "keyed by case id on the routed topic"
    assert on(step, topics.CASES) == []


def test_a_follow_up_of_a_case_in_triage_goes_to_triage() -> None:
    sub = submission("fu-2", "Forse qualcuno dovrebbe guardare il parco")
    case = Case.opened(book_with(FakeClassifier()), sub, T0)
    step = case.follow_up("Ho dimenticato di dire: parco Trotter", T0 + HOUR, "fu-msg-2")
    assert [e.type for e in on(step, topics.TRIAGE)] == ["sportello.followup.received"]


def test_a_follow_up_resumes_a_case_waiting_for_the_citizen() -> None:
    case = Case.opened(book_with(FakeClassifier()), submission("fu-3", "Buca in via Tortona"), T0)
    first = case.record.snapshot.deadline_at
    assert first is not None
    case.report(Transition.START, T0 + HOUR)
    case.report(Transition.ASK_CITIZEN, T0 + DAY, note="Ci può indicare il civico esatto?")
    assert case.record.snapshot.status is CaseStatus.WAITING_FOR_CITIZEN
    assert case.record.snapshot.deadline_at is None, "paused: no deadline while waiting"

    answered = T0 + 4 * DAY
    step = case.follow_up("È davanti al civico 31", answered, "fu-msg-3")

    snap = case.record.snapshot
    assert snap.status is CaseStatus.IN_PROGRESS
    assert snap.deadline_at == first + 3 * DAY, "the three days waiting do not count"
    assert [e.type for e in on(step, topics.routed("strade"))] == ["sportello.followup.received"]
    assert on(step, topics.CASES)[-1].data == snap
