"""Opening a case: a hint or a sure classification is routed and assigned at once, with the
rule that fired and a deadline; an unsure one waits in triage with the classifier's
candidates; the SLA clock starts at the legal receipt time, on the city's calendar."""

from dataclasses import replace
from datetime import UTC, datetime

from processors.cases.book import Guess
from processors.sla.calendar import MILAN, DayKind
from schemas import topics
from schemas.case import CaseStatus
from schemas.dedup import CaseLink
from schemas.events import CaseAssigned, CaseDeduplicated, CaseTriaged, CaseUpdated
from schemas.evidence import MatchEvidence, MatchSignal
from schemas.submission import Channel
from tests.unit.cases.support import (
    DAY,
    HOUR,
    ROME,
    T0,
    FakeClassifier,
    book_with,
    on,
    opening,
    submission,
)


def test_a_category_hint_is_assigned_at_once_by_the_categorys_default_body() -> None:
    classify = FakeClassifier()
    book = book_with(classify)
    sub = submission("hint-1", "Via Padova 44: la luce pubblica è spenta", hint="lampioni")

    step = book.open(opening(sub), T0)

    assert classify.asked == [], "a known hint is not second-guessed by the classifier"
    assert step.record is not None
    snap = step.record.snapshot
    assert snap.status is CaseStatus.ASSIGNED
    assert (snap.category, snap.body) == ("lampioni", "illuminazione")
    assert snap.routing_rule_id == "default:lampioni"
    assert snap.routing_explanation is not None
    assert "illuminazione" in snap.routing_explanation
    # lampioni: 10 working days from Tuesday 10 March 2026: the last is Tuesday 24 March.
    assert snap.deadline_at == datetime(2026, 3, 24, 23, 0, tzinfo=UTC)
    assert snap.version == 1
    [assigned] = on(step, topics.routed("illuminazione"))
    assert isinstance(assigned, CaseAssigned)
    assert assigned.data.rule_id == "default:lampioni"
    assert assigned.data.deadline_at == snap.deadline_at
    assert assigned.data.tracking_id == sub.data.submission_id
    assert [name for name, _ in step.out][-1] == topics.CASES, "the snapshot comes last"
    [updated] = on(step, topics.CASES)
    assert isinstance(updated, CaseUpdated)
    assert updated.data == snap
    assert updated.id == f"{snap.case_id}@1"
    assert on(step, topics.TRIAGE) == []
    assert step.next_alert_at is not None
    assert step.record.sla is not None
    assert step.record.sla.acknowledgement is not None, "the owner's acknowledgement clock runs"


def test_an_unknown_hint_is_ignored_and_the_classifier_decides() -> None:
    classify = FakeClassifier()
    step = book_with(classify).open(
        opening(submission("hint-2", "Buca profonda in via Celoria", hint="potholes")), T0
    )
    assert len(classify.asked) == 1
    assert step.record is not None
    assert step.record.snapshot.category == "buche_stradali"
    assert step.record.snapshot.body == "strade"


def test_a_sure_classification_is_routed_by_the_first_rule_that_fires() -> None:
    book = book_with(FakeClassifier())
    sub = submission(
        "rule-1",
        "C'è una buca enorme e dal tubo rotto esce acqua da tre giorni",
        subject="Buca in via Ripamonti",
    )
    step = book.open(opening(sub), T0)

    assert step.record is not None
    snap = step.record.snapshot
    assert (snap.category, snap.body, snap.routing_rule_id) == (
        "buche_stradali",
        "acqua",
        "water-main-damage",
    )
    [assigned] = on(step, topics.routed("acqua"))
    assert isinstance(assigned, CaseAssigned)
    assert assigned.data.rule_id == "water-main-damage"
    assert "water operator" in assigned.data.explanation
    assert on(step, topics.routed("strade")) == []


def test_an_unsure_classification_waits_in_triage_with_the_candidates() -> None:
    book = book_with(FakeClassifier())
    sub = submission("unsure-1", "Forse c'è un problema con le panchine del parco Sempione")

    step = book.open(opening(sub), T0)

    assert step.record is not None
    record = step.record
    snap = record.snapshot
    assert record.triaged
    assert snap.status is CaseStatus.RECEIVED
    assert (snap.category, snap.body) == (None, None)
    assert snap.routing_rule_id == "triage:low_confidence"
    assert snap.routing_explanation is not None
    assert "0.31 < 0.50" in snap.routing_explanation
    [triaged] = on(step, topics.TRIAGE)
    assert isinstance(triaged, CaseTriaged)
    assert triaged.data.reason == "low_confidence"
    assert [(c.category, c.confidence) for c in triaged.data.candidates] == [
        ("parchi", 0.31),
        ("alberi", 0.27),
    ]
    # Waiting for a person does not stop the city's clock: 30 days from the receipt.
    assert snap.deadline_at == MILAN.deadline(T0, 30, DayKind.CALENDAR)
    assert triaged.data.deadline_at == snap.deadline_at
    assert [name for name, _ in step.out] == [topics.TRIAGE, topics.CASES]


def test_no_category_and_no_rule_is_triage_too() -> None:
    step = book_with(FakeClassifier()).open(
        opening(submission("none-1", "Vorrei parlare con qualcuno, grazie")), T0
    )
    assert step.record is not None
    assert step.record.snapshot.routing_rule_id == "triage:low_confidence"
    [triaged] = on(step, topics.TRIAGE)
    assert isinstance(triaged, CaseTriaged)
    assert triaged.data.candidates == ()


def test_a_rule_can_place_a_case_the_classifier_has_no_category_for() -> None:
    """A sure guess is needed to route at all; with one, keyword rules still beat the
    category's default body."""
    book = replace(book_with(FakeClassifier()), classify=lambda text: Guess("parchi", 0.8))
    step = book.open(opening(submission("rule-2", "Lastre di eternit rotte nel parco")), T0)
    assert step.record is not None
    assert (step.record.snapshot.body, step.record.snapshot.routing_rule_id) == (
        "ambiente",
        "asbestos",
    )


def test_the_deadline_runs_from_the_legal_receipt_over_milans_holidays() -> None:
    """A letter posted on Wednesday 2 December 2026 and delivered on Friday 4 December about
    a dark traffic light (5 calendar days): the term's last day would be Monday 7 December,
    Sant'Ambrogio, then 8 December, the Immacolata, so it runs to Wednesday 9 December."""
    posted = datetime(2026, 12, 2, 10, 0, tzinfo=ROME)
    delivered = datetime(2026, 12, 4, 9, 0, tzinfo=ROME)
    sub = submission(
        "postal-1",
        "Il semaforo all'incrocio di via Melchiorre Gioia è spento di notte",
        channel=Channel.POSTAL,
        at=delivered,
        legal_at=posted,
    )
    step = book_with(FakeClassifier()).open(opening(sub), delivered)

    assert step.record is not None and step.record.sla is not None
    snap = step.record.snapshot
    end_of_9_december = datetime(2026, 12, 10, 0, 0, tzinfo=ROME)
    assert snap.deadline_at == end_of_9_december
    assert snap.legal_receipt_at == posted
    assert snap.opened_at == delivered
    resolution = step.record.sla.resolution
    assert resolution.started_at == posted, "the clock starts at the postmark, not delivery"
    # The body's day to acknowledge (1 working day, semafori) starts when it gets the case,
    # on Friday 4: Saturday, Sunday and both holidays do not count.
    ack = step.record.sla.acknowledgement
    assert ack is not None
    assert ack.started_at == delivered
    assert ack.deadline == end_of_9_december
    # The first alert due is the resolution's half-way point, from the postmark (before the
    # acknowledgement's, which starts two days later).
    assert step.next_alert_at == posted + (end_of_9_december - posted) / 2
    assert step.next_alert_at < delivered + (end_of_9_december - delivered) / 2


def test_the_default_term_of_thirty_days_rolls_past_a_holiday_too() -> None:
    # Received on Saturday 7 November 2026: day 30 is Monday 7 December, Sant'Ambrogio.
    at = datetime(2026, 11, 7, 11, 0, tzinfo=ROME)
    sub = submission("default-1", "Buca in via Padova", at=at)
    step = book_with(FakeClassifier()).open(opening(sub), at + HOUR)
    assert step.record is not None
    assert step.record.snapshot.deadline_at == datetime(2026, 12, 10, 0, 0, tzinfo=ROME)
    assert step.record.snapshot.deadline_at - at > 30 * DAY


def test_related_cases_are_recorded_in_the_history_and_on_the_case() -> None:
    evidence = MatchEvidence(
        signals=(MatchSignal.SAME_PLACE, MatchSignal.SIMILAR_TEXT),
        similarity=0.7,
        explanation="same street, same problem",
    )
    other = "CASE-AAAA-BBBB-CCCC"
    sub = submission("related-1", "Lampione spento in via Tortona 31")
    step = book_with(FakeClassifier()).open(
        opening(sub, related=(CaseLink(case_id=other, evidence=evidence),)), T0
    )
    assert step.record is not None
    assert step.record.snapshot.related_case_ids == (other,)
    history = [e for e in on(step, topics.CASES) if isinstance(e, CaseDeduplicated)]
    assert len(history) == 1
    assert history[0].data.decision.kind == "linked"
    [assigned] = on(step, topics.routed("illuminazione"))
    assert isinstance(assigned, CaseAssigned)
    assert assigned.data.related_case_ids == (other,)


def test_opening_is_a_function_of_its_input() -> None:
    """The same command opens the same case with the same event ids: a replay after a crash
    republishes what was published, which consumers recognise."""
    sub = submission("same-1", "Semaforo guasto in piazza Loreto")
    first = book_with(FakeClassifier()).open(opening(sub), T0)
    again = book_with(FakeClassifier()).open(opening(sub), T0)
    assert first.record == again.record
    assert [(n, e.id) for n, e in first.out] == [(n, e.id) for n, e in again.out]
