"""The signed "not solved" link: only the case and answer it was minted for, until it
expires, with the key it was minted with."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sinks.notify.links import DEV_REOPEN_SECRET, Grant, Invalid, link_key, mint, reopen_url, verify

KEY = b"k" * 32
CASE = "CASE-7K3M-9QXD-2B4F"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_a_minted_token_verifies_for_its_case_and_answer() -> None:
    token = mint(KEY, CASE, seq=7, expires_at=LATER)
    assert verify(KEY, CASE, token, now=NOW) == Grant(7, LATER)


def test_another_case_another_key_or_an_edited_step_is_forged() -> None:
    token = mint(KEY, CASE, seq=7, expires_at=LATER)
    assert verify(KEY, "CASE-7K3M-9QXD-2B4G", token, now=NOW) == Invalid("forged")
    assert verify(b"other key", CASE, token, now=NOW) == Invalid("forged")
    seq, expires, mac = token.split(".")
    assert verify(KEY, CASE, f"8.{expires}.{mac}", now=NOW) == Invalid("forged")
    assert verify(KEY, CASE, f"{seq}.{int(expires) + 86400}.{mac}", now=NOW) == Invalid("forged")


def test_an_expired_token_is_refused() -> None:
    token = mint(KEY, CASE, seq=1, expires_at=NOW + timedelta(seconds=1))
    assert isinstance(verify(KEY, CASE, token, now=NOW), Grant)
    assert verify(KEY, CASE, token, now=NOW + timedelta(seconds=1)) == Invalid("expired")


@given(st.text(max_size=80))
def test_any_other_string_is_malformed_or_forged_never_an_error(token: str) -> None:
    assert isinstance(verify(KEY, CASE, token, now=NOW), Invalid)


def test_the_url_carries_the_token_escaped_and_production_needs_a_secret() -> None:
    token = mint(KEY, CASE, seq=3, expires_at=LATER)
    url = reopen_url("https://reclami.comune.example/", CASE, token)
    assert url == f"https://reclami.comune.example/v1/cases/{CASE}/reopen?token={token}"
    assert link_key(None, "development") == DEV_REOPEN_SECRET.encode()
    assert link_key(None, "production") is None
    assert link_key("s3cret", "production") == b"s3cret"
