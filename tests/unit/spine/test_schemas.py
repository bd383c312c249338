"""The event schemas: round-trips, and rejection of what the contract does not allow."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    BlobRef,
    CaseUpdated,
    Channel,
    Citizen,
    Coordinates,
    Location,
    Submission,
    SubmissionReceived,
    decode_event,
    tracking_id_for,
)
from schemas.export import JSON_DIR, rendered_schemas

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)

aware_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
optional_short = st.none() | st.text(max_size=40)


@st.composite
def submissions(draw: st.DrawFn) -> Submission:
    channel = draw(st.sampled_from(list(Channel)))
    ref = draw(st.text(min_size=1, max_size=80))
    received = draw(aware_times)
    citizen = draw(
        st.none()
        | st.builds(
            Citizen,
            name=optional_short,
            email=st.none() | st.emails().filter(lambda e: len(e) <= 320),
            phone=st.none() | st.from_regex(r"\+39 ?[0-9]{6,10}", fullmatch=True),
            tax_code=st.none() | st.from_regex(r"[A-Z0-9]{16}", fullmatch=True),
        )
    )
    location = draw(
        st.none()
        | st.builds(
            Location,
            address=optional_short,
            district=optional_short,
            coordinates=st.none()
            | st.builds(
                Coordinates,
                lat=st.floats(-90, 90, allow_nan=False),
                lon=st.floats(-180, 180, allow_nan=False),
            ),
        )
    )
    attachments = draw(
        st.lists(
            st.builds(
                BlobRef,
                sha256=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
                media_type=st.sampled_from(["image/tiff", "application/pdf", "image/png"]),
                size=st.integers(0, 10**9),
                filename=st.none() | st.text(max_size=50),
            ),
            max_size=3,
        )
    )
    return Submission(
        submission_id=tracking_id_for(channel, ref),
        channel=channel,
        idempotency_ref=ref,
        received_at=received,
        legal_receipt_at=received - draw(st.timedeltas(timedelta(0), timedelta(days=10))),
        text=draw(st.text(min_size=1, max_size=500)),
        subject=draw(optional_short),
        language=draw(st.none() | st.sampled_from(["it", "en", "de", "pt-BR"])),
        citizen=citizen,
        location=location,
        attachments=tuple(attachments),
        channel_details=draw(
            st.dictionaries(
                st.text(min_size=1, max_size=20),
                st.text(max_size=20) | st.integers() | st.booleans(),
                max_size=3,
            )
        ),
    )


def minimal(**overrides: object) -> dict[str, object]:
    ref = "key:abc"
    fields: dict[str, object] = {
        "submission_id": tracking_id_for(Channel.WEB, ref),
        "channel": "web",
        "idempotency_ref": ref,
        "received_at": NOW.isoformat(),
        "legal_receipt_at": NOW.isoformat(),
        "text": "Lampione spento in via Padova",
    }
    fields.update(overrides)
    return fields


@given(submissions())
def test_submission_events_round_trip_through_json(submission: Submission) -> None:
    event = SubmissionReceived.new(
        submission, source="/test", subject=submission.submission_id, time=NOW
    )
    decoded = decode_event(event.to_json())
    assert decoded == event
    assert isinstance(decoded, SubmissionReceived)


def test_a_minimal_submission_is_valid() -> None:
    s = Submission.model_validate(minimal())
    assert s.channel is Channel.WEB
    assert s.attachments == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", ""),
        ("channel", "pigeon"),
        ("received_at", "2026-12-03T10:30:00"),  # no time zone
        ("submission_id", "not-a-tracking-id"),
        ("language", "Italian"),
        ("location", {"coordinates": {"lat": 91, "lon": 0}}),
        ("citizen", {"email": "not an address"}),
        ("surprise", "an unknown field"),
    ],
)
def test_submissions_reject_what_the_contract_does_not_allow(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Submission.model_validate(minimal(**{field: value}))


def test_events_are_frozen() -> None:
    s = Submission.model_validate(minimal())
    with pytest.raises(ValidationError):
        s.text = "changed"  # type: ignore[misc]


def test_unknown_event_types_and_versions_are_refused() -> None:
    event = SubmissionReceived.new(
        Submission.model_validate(minimal()), source="/t", subject="x", time=NOW
    )
    raw = json.loads(event.to_json())
    for changes in ({"schemaversion": 2}, {"type": "sportello.other"}, {"data": {}}):
        with pytest.raises(ValidationError):
            decode_event(json.dumps({**raw, **changes}))
    with pytest.raises(ValidationError):
        decode_event(b"\xff not json")


def test_event_times_keep_their_offset() -> None:
    rome = timezone(timedelta(hours=1))
    event = SubmissionReceived.new(
        Submission.model_validate(minimal()), source="/t", subject="x", time=NOW.astimezone(rome)
    )
    assert decode_event(event.to_json()).time == NOW


@given(st.sampled_from(list(Channel)), st.text(min_size=1, max_size=200))
def test_tracking_ids_are_deterministic_and_well_formed(channel: Channel, ref: str) -> None:
    tid = tracking_id_for(channel, ref)
    assert tid == tracking_id_for(channel, ref)
    Submission.model_validate(minimal(submission_id=tid))  # matches the schema's pattern


def test_tracking_ids_differ_by_reference_and_channel() -> None:
    ids = {tracking_id_for(c, f"ref-{i}") for c in Channel for i in range(2000)}
    assert len(ids) == len(Channel) * 2000


def test_the_exported_json_schemas_are_fresh() -> None:
    for name, text in rendered_schemas().items():
        path = JSON_DIR / name
        assert path.exists(), f"{name} is not exported; run 'sportello schemas'"
        assert path.read_text(encoding="utf-8") == text, f"{name} is stale; run 'sportello schemas'"
    assert {p.name for p in JSON_DIR.glob("*.json")} == set(rendered_schemas())


def test_case_events_are_in_the_exported_contract() -> None:
    assert CaseUpdated.tag() == "sportello.case.updated/v1"
    assert any("case.updated" in name for name in rendered_schemas())
