"""Identity normalization: the same citizen's identifiers, however written, are equal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.dedup.identity import (
    Identity,
    IdentityKind,
    identities_of,
    normalize_email,
    normalize_phone,
    normalize_tax_code,
    tax_code_check_char,
)
from schemas.submission import Citizen


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Mario.Rossi@Example.IT ", "mario.rossi@example.it"),
        ("mailto:M.Rossi@example.it.", "m.rossi@example.it"),
        ("<maria.bianchi@pec.comune.milano.it>", "maria.bianchi@pec.comune.milano.it"),
        ("Mario.Rossi+urp@GMail.com", "mariorossi@gmail.com"),
        ("mario.rossi@googlemail.com", "mariorossi@gmail.com"),
        ("anna+comune@outlook.it", "anna@outlook.it"),
        # not a provider known to deliver +tags to one mailbox: the tag may be a mailbox
        ("ufficio+tecnico@libero.it", "ufficio+tecnico@libero.it"),
        ("first.last@example.com", "first.last@example.com"),
        ("no-at-sign", None),
        ("a@localhost", None),
        ("+tag@gmail.com", None),
    ],
)
def test_email(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("051 234 5678", "+390512345678"),  # the landline's leading 0 stays after +39
        ("051/2345678", "+390512345678"),
        ("+39 051 234 5678", "+390512345678"),
        ("0039 051 2345678", "+390512345678"),
        ("+39 (0)51 2345678", "+390512345678"),
        ("333 123 4567", "+393331234567"),
        ("+39 333-123.45.67", "+393331234567"),
        ("39 333 1234567", "+393331234567"),
        ("393 1234567", "+393931234567"),  # a national mobile number starting 393
        ("02 1234 5678 int. 23", "+390212345678"),
        ("tel:+390212345678", "+390212345678"),
        ("800 123 456", "+39800123456"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("+1 212 555 0100", "+12125550100"),
        ("112", None),
        ("12345", None),
        ("not a phone", None),
    ],
)
def test_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_tax_code_check_character_of_known_codes() -> None:
    # By hand, with the tables of DM 23/12/1976: odd positions R S R 8 A 1 5 1 are worth
    # 8+12+8+19+1+0+13+0 = 61, even positions S M A 0 0 H 0 are worth 18+12+0+0+0+7+0 = 37;
    # 98 mod 26 = 20, the letter U.
    assert tax_code_check_char("RSSMRA80A01H501") == "U"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RSSMRA80A01H501U", "RSSMRA80A01H501U"),
        ("rssmra 80a01 h501u", "RSSMRA80A01H501U"),
        ("RSS-MRA-80A01-H501U", "RSSMRA80A01H501U"),
        ("RSSMRA80A01H501X", None),  # wrong check character: a typo, not used
        ("RSSMRA80Z01H501U", None),  # Z is no month
        ("00743110157", "00743110157"),  # 11-digit numeric code, Luhn check
        ("00743110158", None),
        ("X1234", None),
    ],
)
def test_tax_code(raw: str, expected: str | None) -> None:
    assert normalize_tax_code(raw) == expected


def test_omocodia_variants_are_distinct_valid_codes() -> None:
    base = "RSSMRA80A01H501"
    omocode = base[:14] + "M"  # the last digit 1 written as M (omocodia)
    code = omocode + tax_code_check_char(omocode)
    assert normalize_tax_code(code) == code
    assert code != "RSSMRA80A01H501U"


@given(st.text(max_size=60))
def test_email_normalization_is_idempotent(raw: str) -> None:
    once = normalize_email(raw)
    if once is not None:
        assert normalize_email(once) == once


@given(st.emails())
def test_real_shaped_emails_survive_and_are_idempotent(raw: str) -> None:
    once = normalize_email(raw)
    if once is not None:
        assert normalize_email(once) == once
        assert once == once.lower()


_PHONE_CHARS = st.sampled_from([*list("0123456789 +-./()"), "int. ", "00", "39", "(0)"])


@given(st.lists(_PHONE_CHARS, max_size=25).map("".join))
def test_phone_normalization_is_idempotent(raw: str) -> None:
    once = normalize_phone(raw)
    if once is not None:
        assert normalize_phone(once) == once
        assert once.startswith("+")
        assert once[1:].isdigit()


@given(
    st.from_regex(r"[A-Z]{6}[0-9]{2}[ABCDEHLMPRST][0-9]{2}[A-Z][0-9]{3}", fullmatch=True),
    st.sampled_from(
        [str.lower, str.upper, lambda s: " ".join(s[i : i + 4] for i in range(0, 16, 4))]
    ),
)
def test_tax_code_normalization_is_idempotent_and_accepts_any_spelling(
    first15: str, spelling: object
) -> None:
    code = first15 + tax_code_check_char(first15)
    assert callable(spelling)
    assert normalize_tax_code(spelling(code)) == code
    assert normalize_tax_code(code) == code


@given(st.text(max_size=20))
def test_tax_code_normalization_never_raises_and_is_idempotent(raw: str) -> None:
    once = normalize_tax_code(raw)
    if once is not None:
        assert normalize_tax_code(once) == once


def test_identities_of_uses_the_fax_number_and_orders_strongest_first() -> None:
    citizen = Citizen(email="Maria.Rossi@example.it", tax_code="rssmra80a01h501u")
    found = identities_of(citizen, {"fax_number": "051 234 5678", "pages": 2})
    assert found == (
        Identity(IdentityKind.TAX_CODE, "RSSMRA80A01H501U"),
        Identity(IdentityKind.EMAIL, "maria.rossi@example.it"),
        Identity(IdentityKind.PHONE, "+390512345678"),
    )


def test_identities_of_drops_unusable_identifiers_and_duplicates() -> None:
    citizen = Citizen(phone="+39 051 2345678", tax_code="RSSMRA80A01H501X")
    found = identities_of(citizen, {"caller_id": "0512345678"})
    assert found == (Identity(IdentityKind.PHONE, "+390512345678"),)
    assert identities_of(None) == ()


def test_digests_are_stable_and_do_not_show_the_identifier() -> None:
    identity = Identity(IdentityKind.EMAIL, "maria.rossi@example.it")
    assert identity.digest == Identity(IdentityKind.EMAIL, "maria.rossi@example.it").digest
    assert "rossi" not in identity.digest
    assert identity.digest != Identity(IdentityKind.PHONE, "maria.rossi@example.it").digest
