"""Redaction removes what identifies or describes the citizen and keeps what the statistics
count; identifiers compare however they are written."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.events import Event, decode_event
from sinks.postgres.privacy import (
    ERASED,
    email_key,
    phone_key,
    redact,
    subjects_of,
    tax_code_key,
)
from tests.integration.record.histories import History

KEPT = ("case_id", "tracking_id", "submission_id", "channel", "status", "body", "category",
        "received_at", "legal_receipt_at", "opened_at", "updated_at", "deadline_at", "version",
        "kind", "due_at", "transition", "district")


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= leaves(v, f"{path}.{k}")
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= leaves(v, f"{path}[{i}]")
        return out
    return {path: value}


def every_event(hs: list[History]) -> list[Event[Any]]:
    return list({e.id: e for h in hs for _, e in h.published}.values())


def test_redaction_removes_the_citizen_and_keeps_the_facts(nyc_histories: list[History]) -> None:
    events = every_event(nyc_histories)
    owner = {e.id: h for h in nyc_histories for _, e in h.published}
    assert len({e.type for e in events}) >= 8
    for event in events:
        before = leaves(event.model_dump(mode="json"))
        after = leaves(redact(event).model_dump(mode="json"))
        h = owner[event.id]
        text = str(after)
        assert h.email not in text
        assert "Citizen " not in text and "photo of" not in text
        for path, value in before.items():
            name = path.rsplit(".", 1)[-1]
            if name in KEPT:
                assert after.get(path) == value, (event.type, path)
            if name in ("text", "note_for_citizen", "explanation") and value and (
                "evidence" in path or name != "explanation"
            ):
                assert after.get(path) == ERASED, (event.type, path)
        assert decode_event(redact(event).to_json()) == redact(event), "still a valid event"
        assert redact(redact(event)) == redact(event)


def test_an_event_about_the_case_names_its_submissions_too(nyc_histories: list[History]) -> None:
    h = nyc_histories[0]
    for _, event in h.published:
        assert subjects_of(event) & {h.case_id, h.tracking_id}


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=12),
    st.sampled_from(["+39 ", "0039", "(+39) ", "+39-"]),
    st.sampled_from([" ", "-", ".", ""]),
)
def test_a_phone_number_is_one_key_however_it_is_written(
    digits: str, prefix: str, separator: str
) -> None:
    written = prefix + separator.join([digits[:3], digits[3:]])
    assert phone_key(written) == "+39" + digits


def test_emails_and_tax_codes_compare_without_case_or_spaces() -> None:
    assert email_key("  Mario.Rossi@Example.IT ") == "mario.rossi@example.it"
    assert tax_code_key("rss mra 80a01 f205x") == "RSSMRA80A01F205X"
