"""Open311 input, however malformed, is a complaint or a field-level refusal: never an
exception a caller would see as a 500."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestors.web.open311 import (
    Open311Invalid,
    complaint_from_fields,
    fields_from_json,
    loads_lenient,
    parse_w3c,
)
from processors.taxonomy import load_taxonomy

CATEGORIES = {c.code: c for c in load_taxonomy()}
KNOWN = sorted(CATEGORIES)

NAMES = st.sampled_from(
    [
        "service_code", "lat", "long", "address_string", "address_id", "email", "phone",
        "first_name", "last_name", "description", "media_url", "device_id", "account_id",
        "jurisdiction_id", "attribute[WHISHETN]", "attribute[]", "attribute[", "",
    ]
) | st.text(max_size=20)  # fmt: skip
VALUES = (
    st.text(max_size=60)
    | st.sampled_from(KNOWN)
    | st.sampled_from(["nan", "inf", "-inf", "1e400", "45.46", "9.19", "-0", "\uff10", " 45 "])
    | st.floats(allow_nan=True, allow_infinity=True).map(str)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=12))
@settings(max_examples=400)
def test_any_form_is_a_complaint_or_a_refusal_by_field(fields: list[tuple[str, str]]) -> None:
    try:
        complaint, details, code = complaint_from_fields(fields, categories=CATEGORIES, aliases={})
    except Open311Invalid as refused:
        errors = refused.errors
        assert errors and all(field for field, _ in errors)
    else:
        assert complaint.text.strip()
        assert details["open311_service_code"] == code[: len(details["open311_service_code"])]


@given(JSON_VALUES)
def test_any_json_value_is_fields_or_a_refusal(value: object) -> None:
    try:
        fields = fields_from_json(value)
    except Open311Invalid as refused:
        errors = refused.errors
        assert errors
    else:
        assert all(isinstance(n, str) and isinstance(v, str) for n, v in fields)


@given(st.text(max_size=200) | st.text(alphabet='[]{}"0123456789,:-.e ', max_size=200))
def test_lenient_json_raises_nothing_but_a_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        loads_lenient(text)


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000]
)
def test_lenient_json_refuses_deep_nesting_as_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"nested too deeply|Expecting"):
        loads_lenient(text)


@given(st.text(max_size=40))
def test_any_date_text_is_a_date_or_none(text: str) -> None:
    parsed = parse_w3c(text)
    assert parsed is None or parsed.tzinfo is not None
