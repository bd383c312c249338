"""From messages to rows: dead letters named as the worker names them, one row per event
wherever it was seen, redaction of what is erased."""

import json
from datetime import UTC, datetime
from typing import Any

from processors.reading import Unreadable, read_intake
from schemas.events import CaseUpdated, Event, FollowUpReceived, SlaAlerted
from sinks.postgres.privacy import ERASED
from sinks.postgres.records import (
    Message,
    Recorded,
    Rejected,
    dead_letter_id,
    read_message,
    rows_for,
    rows_of_messages,
)
from tests.integration.record.histories import History

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def message(topic: str, event: Event[Any], n: int = 0) -> Message:
    return Message(topic, 0, n, 1_700_000_000_000, event.to_json())


def test_what_cannot_be_read_is_a_dead_letter_named_after_where_it_is() -> None:
    for value, reason in ((b"{", "invalid_event"), (None, "empty_message"), (b"", "empty_message")):
        got = read_message(Message("complaints.intake", 3, 17, 1_700_000_000_000, value))
        assert isinstance(got, Rejected) and got.letter.data.reason == reason
        assert got.letter.id == dead_letter_id("complaints.intake/3@17")
        assert got.letter.data.source_ref == "complaints.intake/3@17"
    # The worker dead-letters a bad intake message under the same id: one row, not two.
    worker = read_intake(b"{", location="complaints.intake/3@17", now=NOW)
    assert isinstance(worker, Unreadable)
    assert worker.dead_letter.id == dead_letter_id("complaints.intake/3@17")


def test_nul_characters_never_reach_the_database_through_a_dead_letter() -> None:
    got = read_message(Message("complaints.cases", 0, 1, 0, b'{"x": "\\u0000", "y": 1' + b"\x00"))
    assert isinstance(got, Rejected)
    assert "\x00" not in got.letter.data.detail
    assert "\x00" not in json.loads(got.letter.to_json())["data"]["detail"]


def test_one_row_per_event_wherever_it_was_seen(nyc_histories: list[History]) -> None:
    h = next(h for h in nyc_histories if any(isinstance(e, SlaAlerted) for _, e in h.published))
    items = [read_message(message(t, e, n)) for n, (t, e) in enumerate(h.published)]
    items += [read_message(message(t, e, 99)) for t, e in h.published[:2]]  # redelivered
    rows = rows_for(items, frozenset())
    ids = [r[1] for r in rows.events]
    assert len(ids) == len(set(ids)) == len({e.id for _, e in h.published})
    alert = next(e for _, e in h.published if isinstance(e, SlaAlerted))
    [row] = [r for r in rows.events if r[1] == alert.id]
    assert row[-2] == ["complaints.routed.polizia_locale", "complaints.sla"]
    assert len(rows.versions) == sum(1 for _, e in h.published if isinstance(e, CaseUpdated))
    assert rows.subjects >= {h.case_id, h.tracking_id}
    assert rows_of_messages([i.message for i in items]) == rows


def test_copies_that_differ_are_both_left_for_the_store_to_choose(
    nyc_histories: list[History],
) -> None:
    h = next(
        h for h in nyc_histories if any(isinstance(e, FollowUpReceived) for _, e in h.published)
    )
    copies = [(t, e) for t, e in h.published if isinstance(e, FollowUpReceived)]
    rows = rows_for([read_message(message(t, e)) for t, e in copies], frozenset())
    assert [r[2] for r in rows.events] == [None, h.case_id]  # case ids: the intake's has none
    assert rows.events[0][-2] == rows.events[1][-2] and len(rows.events[0][-2]) == 2


def test_an_erased_citizen_is_redacted_and_their_case_follows(
    nyc_histories: list[History],
) -> None:
    h = next(h for h in nyc_histories if len(h.published) > 4)
    items = [read_message(message(t, e, n)) for n, (t, e) in enumerate(h.published)]
    rows = rows_for(items, frozenset({h.tracking_id}))
    assert rows.newly_erased == {h.case_id: h.tracking_id}
    for r in rows.events:
        assert h.email not in r[-1]
    assert any(ERASED in r[-1] for r in rows.events)
    plain = rows_for(items, frozenset())
    assert any(h.email in r[-1] for r in plain.events)
    assert all(isinstance(i, Recorded) for i in items)


def test_dead_letters_from_the_topic_and_from_the_sink_are_rows_of_their_own(
    nyc_requests_letters: list[Any],
) -> None:
    letter = nyc_requests_letters[0]
    items = [
        read_message(Message("complaints.deadletter", 0, 1, 0, letter.to_json())),
        read_message(Message("complaints.status", 0, 2, 0, b"not json")),
    ]
    rows = rows_for(items, frozenset())
    assert not rows.events
    assert [r[1] for r in rows.dead_letters] == [letter.id, dead_letter_id("complaints.status/0@2")]
    assert rows.rejected == ["invalid_event"]
    assert rows.dead_letters[0][-2] == ["complaints.deadletter"]
