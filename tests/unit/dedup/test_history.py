"""Dedup decisions become history events that consumers can decode."""

from collections.abc import Callable
from datetime import UTC, datetime

from processors.dedup import Deduplicator, event_id_for, merge_record, records_for
from processors.dedup.decisions import Merge, NewCase, Redelivery, Related
from schemas.events import CaseDeduplicated, decode_event
from schemas.submission import Channel, Submission

MakeSubmission = Callable[..., Submission]
NOW = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)


def _publish(record_data: object, subject: str, event_id: str) -> CaseDeduplicated:
    event: CaseDeduplicated = CaseDeduplicated.new(
        record_data, source="/processors/dedup", subject=subject, time=NOW, event_id=event_id
    )
    return event


def test_every_decision_has_its_history(submission: MakeSubmission) -> None:
    dedup = Deduplicator()
    web = submission(
        "w",
        Channel.WEB,
        "Buca profonda in via Garibaldi 14, mia madre è caduta.",
        email="maria.rossi@example.it",
        address="Via Garibaldi 14",
    )
    fax = submission(
        "f",
        Channel.FAX,
        "Sollecito per la buca di via Garibaldi 14: mia madre è caduta.",
        days=1,
        email="maria.rossi@example.it",
    )
    other = submission(
        "o",
        Channel.APP,
        "Deep pothole in Via Garibaldi by number 12, dangerous.",
        days=2,
        email="tom@example.org",
        address="Via Garibaldi 12",
    )
    opened, merged, redelivered, related = (
        dedup.decide(web),
        dedup.decide(fax),
        dedup.decide(fax),
        dedup.decide(other),
    )
    assert isinstance(opened, NewCase)
    assert records_for(opened, web) == ()

    assert isinstance(merged, Merge)
    (merge_entry,) = records_for(merged, fax)
    assert merge_entry.case_id == opened.case_id
    assert merge_entry.decision.kind == "merged"
    assert merge_record(merged, fax).evidence == merged.evidence

    assert isinstance(redelivered, Redelivery)
    (again,) = records_for(redelivered, fax)
    assert (again.case_id, again.decision.kind) == (opened.case_id, "redelivery")

    assert isinstance(related, Related)
    own, back = records_for(related, other)
    assert own.case_id == related.case_id
    assert back.case_id == opened.case_id  # linked both ways

    for record, sub in ((merge_entry, fax), (again, fax), (own, other), (back, other)):
        event = _publish(record, record.case_id, event_id_for(record, sub.submission_id))
        assert decode_event(event.to_json()) == event
    assert event_id_for(merge_entry, fax.submission_id) != event_id_for(again, fax.submission_id)
    assert event_id_for(own, other.submission_id) == event_id_for(own, other.submission_id)
