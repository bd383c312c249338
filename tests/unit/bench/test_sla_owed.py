"""The fault suite's expectation of SLA alerts is the worker's own: for a case opened by the
real CaseBook (shipped rules and policies), `owed` from the stored facts gives exactly the
points the book's SLA clocks will emit, for cases routed to a body and sent to triage,
on days with holidays near and without."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bench.faults.sla import due_between, owed
from bench.faults.suite import shipped_policies
from bench.harness.observe import CaseFacts
from processors.app import build_book
from processors.cases import CaseBook, OpenCase
from processors.cases.book import Guess
from processors.settings import WorkerSettings
from schemas.case import case_id_for
from schemas.events import CaseAssigned, SubmissionReceived
from schemas.submission import Channel, Submission, tracking_id_for

ROME = ZoneInfo("Europe/Rome")


def book(category: str | None, confidence: float) -> CaseBook:
    settings = WorkerSettings(
        bodies_file=None, rules_file=None, taxonomy_file=None, sla_policies_file=None
    )
    return build_book(settings, classify=lambda text: Guess(category, confidence, "it"))


def opened(
    book: CaseBook, received: datetime, now: datetime
) -> tuple[CaseFacts, list[tuple[str, str, datetime]]]:
    ref = f"ref-{received.isoformat()}"
    data = Submission(
        submission_id=tracking_id_for(Channel.WEB, ref),
        channel=Channel.WEB,
        idempotency_ref=ref,
        received_at=received,
        legal_receipt_at=received,
        text="Il semaforo di via Padova lampeggia da ieri",
    )
    event = SubmissionReceived.new(data, source="/t", subject=data.submission_id, time=received)
    step = book.open(OpenCase(case_id=case_id_for(data.submission_id), submission=event), now)
    assert step.record is not None and step.record.sla is not None
    snap = step.record.snapshot
    assigned = [e.time for _, e in step.out if isinstance(e, CaseAssigned)]
    facts = CaseFacts(snap.case_id, snap.category, snap.body, snap.legal_receipt_at,
                      assigned[0] if assigned else None)  # fmt: skip
    sla = step.record.sla
    points = [
        (c.kind.value, kind, when)
        for c in (sla.resolution, sla.acknowledgement)
        if c is not None
        for kind, _, when in c.pending()
    ]
    return facts, sorted(points, key=lambda p: p[2])


@pytest.mark.parametrize(
    ("category", "confidence"),
    [("semafori", 0.9), ("raccolta_rifiuti", 0.9), ("lampioni", 0.9), (None, 0.1)],
)
@pytest.mark.parametrize(
    "received",
    [
        datetime(2026, 12, 3, 19, 30, tzinfo=ROME),  # Thursday before Sant'Ambrogio
        datetime(2026, 3, 10, 9, 0, tzinfo=ROME),  # an ordinary Tuesday
    ],
)
def test_owed_alerts_are_the_ones_the_case_book_schedules(
    category: str | None, confidence: float, received: datetime
) -> None:
    # The worker's clock runs ahead of real time (a faster clock): assignment at `now`.
    now = received.astimezone(UTC) + timedelta(days=3, hours=5)
    facts, points = opened(book(category, confidence), received.astimezone(UTC), now)
    assert points, "every case has a resolution clock"
    assert owed(facts, shipped_policies()) == points
    if facts.body is not None:
        assert any(clock == "acknowledgement" for clock, _, _ in points)


def test_due_between_takes_the_alerts_in_the_window_only() -> None:
    received = datetime(2026, 3, 10, 9, 0, tzinfo=ROME).astimezone(UTC)
    facts, points = opened(book("semafori", 0.9), received, received)
    first, second = points[0][2], points[1][2]
    window = due_between([facts], shipped_policies(), first - timedelta(seconds=1), first)
    assert window == {(facts.case_id, points[0][0], points[0][1])}
    assert due_between([facts], shipped_policies(), first, second) == {
        (facts.case_id, points[1][0], points[1][1])
    }
