"""Reading the worker's input topics, without Kafka: bytes in, an event or a dead letter."""

from datetime import UTC, datetime

from processors.reading import Unreadable, read_intake, read_status
from schemas import Channel, Submission, SubmissionReceived, tracking_id_for
from schemas.case import CaseSnapshot, CaseStatus
from schemas.events import CaseUpdated

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


def test_a_submission_is_read_back_as_it_was_sent() -> None:
    event = received()
    assert read_intake(event.to_json(), location="complaints.intake/0@1", now=NOW) == event


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


def test_an_event_of_another_kind_is_dead_lettered() -> None:
    snapshot = CaseSnapshot(
        case_id="CASE-AAAA-BBBB-CCCC",
        version=1,
        status=CaseStatus.RECEIVED,
        tracking_ids=("SP-AAAA-BBBB-CCCC",),
        channels=(Channel.WEB,),
        opened_at=NOW,
        legal_receipt_at=NOW,
        updated_at=NOW,
        text="x",
    )
    case = CaseUpdated.new(snapshot, source="/t", subject=snapshot.case_id, time=NOW)
    read = read_intake(case.to_json(), location="complaints.intake/0@7", now=NOW)
    assert isinstance(read, Unreadable)
    assert read.dead_letter.data.reason == "unexpected_event_type"
    status = read_status(received().to_json(), location="complaints.status/0@1", now=NOW)
    assert isinstance(status, Unreadable)


def test_dead_letters_for_one_location_share_an_id() -> None:
    a = read_intake(b"x", location="complaints.intake/1@5", now=NOW)
    b = read_intake(b"x", location="complaints.intake/1@5", now=datetime(2027, 1, 1, tzinfo=UTC))
    assert isinstance(a, Unreadable)
    assert isinstance(b, Unreadable)
    assert a.dead_letter.id == b.dead_letter.id
