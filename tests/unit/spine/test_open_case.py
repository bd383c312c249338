"""The first processing stage, without Kafka: bytes in, events out."""

from datetime import UTC, datetime

from processors.open_case import Unreadable, open_case, read_intake
from schemas import Channel, Submission, SubmissionReceived, tracking_id_for
from schemas.case import CaseStatus

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def received(text: str = "Buca in via Roma", ref: str = "r1") -> SubmissionReceived:
    s = Submission(
        submission_id=tracking_id_for(Channel.EMAIL, ref),
        channel=Channel.EMAIL,
        idempotency_ref=ref,
        received_at=NOW,
        legal_receipt_at=NOW,
        text=text,
    )
    return SubmissionReceived.new(s, source="/t", subject=s.submission_id, time=NOW)


def test_a_submission_opens_a_case_named_after_it() -> None:
    event = received()
    read = read_intake(event.to_json(), location="complaints.intake/0@1", now=NOW)
    assert read == event
    assert isinstance(read, SubmissionReceived)
    case = open_case(read, now=NOW)
    assert case.subject == case.data.case_id == "CASE-" + event.data.submission_id[3:]
    assert case.data.status is CaseStatus.RECEIVED
    assert case.data.tracking_ids == (event.data.submission_id,)
    assert case.data.version == 1


def test_processing_the_same_submission_twice_yields_the_same_event() -> None:
    event = received()
    later = datetime(2026, 12, 4, tzinfo=UTC)
    first, second = open_case(event, now=NOW), open_case(event, now=later)
    assert first.id == second.id
    assert first.data == second.data


def test_unreadable_messages_become_dead_letters_with_their_location() -> None:
    cases = {
        None: "empty_message",
        b"": "empty_message",
        b"{not json": "invalid_event",
        b'{"type": "sportello.submission.received", "schemaversion": 1}': "invalid_event",
    }
    for value, reason in cases.items():
        read = read_intake(value, location="complaints.intake/3@42", now=NOW)
        assert isinstance(read, Unreadable)
        letter = read.dead_letter
        assert letter.data.reason == reason
        assert letter.data.raw_location == "kafka:complaints.intake/3@42"
        assert letter.subject == "complaints.intake/3@42"


def test_an_event_of_another_kind_on_intake_is_dead_lettered() -> None:
    case = open_case(received(), now=NOW)
    read = read_intake(case.to_json(), location="complaints.intake/0@7", now=NOW)
    assert isinstance(read, Unreadable)
    assert read.dead_letter.data.reason == "unexpected_event_type"


def test_dead_letters_for_one_location_share_an_id() -> None:
    a = read_intake(b"x", location="complaints.intake/1@5", now=NOW)
    b = read_intake(b"x", location="complaints.intake/1@5", now=datetime(2027, 1, 1, tzinfo=UTC))
    assert isinstance(a, Unreadable) and isinstance(b, Unreadable)
    assert a.dead_letter.id == b.dead_letter.id
