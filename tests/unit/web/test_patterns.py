"""The OpenAPI description's patterns accept exactly what the server's validation accepts."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ingestors.web.complaint_request import ComplaintRequest
from ingestors.web.patterns import WHITESPACE, explicit_pattern, for_every_reader, strip
from schemas.submission import Citizen

# Characters where the regex dialects and str.strip() disagree, and ordinary ones.
tricky = st.text(
    st.sampled_from(["a", "@", " ", "\t", "\x00", "\x1c", "\x85", "\ufeff", "\u3000", "é", "."]),
    max_size=8,
)


def email_ok(value: str) -> bool:
    try:
        Citizen(email=value)
    except ValidationError:
        return False
    return "\x00" not in value


@settings(max_examples=300)
@given(tricky)
def test_the_published_email_pattern_agrees_with_the_server(value: str) -> None:
    published = explicit_pattern(Citizen.model_fields["email"].metadata[-1].pattern)
    assert bool(re.search(published, value)) == email_ok(value)


@settings(max_examples=300)
@given(tricky)
def test_the_published_text_pattern_agrees_with_the_server(value: str) -> None:
    try:
        ComplaintRequest(text=value)
        accepted = True
    except ValidationError:
        accepted = False
    assert bool(re.search(explicit_pattern("\\S"), value)) == accepted


def test_strip_is_pydantic_s_whitespace_not_python_s() -> None:
    assert strip(" \x85x\u3000") == "x"
    assert strip("\x1cx") == "\x1cx"  # str.strip() would remove it; pydantic does not
    assert all(c.isspace() for c in WHITESPACE)


def test_every_free_text_string_refuses_nul() -> None:
    schema = for_every_reader(
        {
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string", "enum": ["x"]},
                "c": {"type": "string", "format": "binary"},
            }
        }
    )
    a = schema["properties"]["a"]["pattern"]
    assert re.search(a, "ok") and not re.search(a, "n\x00l")
    assert "pattern" not in schema["properties"]["b"]
    assert "pattern" not in schema["properties"]["c"]


@pytest.mark.parametrize(
    "data", ['{"text": "a\\u0000b"}', '{"text": "a", "citizen": {"name": "\\u0000"}}']
)
def test_nul_is_refused_anywhere_in_a_complaint(data: str) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ComplaintRequest.model_validate_json(data)
