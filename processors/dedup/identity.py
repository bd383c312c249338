"""Citizen identifiers, normalized so that the same person writing twice is recognised.

Three kinds, strongest first: an Italian tax code (codice fiscale), an email address, a phone
number. Each normalizer returns the canonical text or `None` when the input cannot be an
identifier of that kind; a `None` is not an error, the identifier is simply not used. Every
normalizer is idempotent: its output, normalized again, is unchanged.

Keys derived from identifiers (`Identity.digest`) are SHA-256 digests, so Kafka keys and
table changelogs do not show an email or a phone number in clear. That is pseudonymisation,
not anonymisation: the space of phone numbers is small enough to enumerate.
"""

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from schemas.submission import Citizen


class IdentityKind(StrEnum):
    """Ordered strongest first: a tax code names one person; a phone may be a household's."""

    TAX_CODE = "tax_code"
    EMAIL = "email"
    PHONE = "phone"


_PRIORITY = {IdentityKind.TAX_CODE: 0, IdentityKind.EMAIL: 1, IdentityKind.PHONE: 2}


@dataclass(frozen=True, order=True)
class Identity:
    """One normalized identifier of a citizen."""

    kind: IdentityKind
    value: str

    @property
    def digest(self) -> str:
        """A stable pseudonymous key for tables and partitioning."""
        return hashlib.sha256(f"{self.kind.value}:{self.value}".encode()).hexdigest()[:24]

    @property
    def priority(self) -> int:
        return _PRIORITY[self.kind]


# Providers documented to deliver `local+tag@domain` to `local@domain`. Elsewhere a "+" may be
# part of a different mailbox, so it is kept: merging two people is worse than missing one.
_PLUS_TAG_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.it",
        "hotmail.com",
        "hotmail.it",
        "live.com",
        "live.it",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "protonmail.com",
        "proton.me",
    }
)
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def normalize_email(raw: str) -> str | None:
    """`" Mario.Rossi+urp@GMail.com "` → `"mariorossi@gmail.com"`.

    Lowercases all of it (the local part is case-sensitive by the RFC, but no mailbox provider
    a citizen uses treats it so). Gmail ignores dots and "+tags"; the other providers in
    `_PLUS_TAG_DOMAINS` ignore "+tags" only. PEC addresses and every other domain keep their
    local part as written, lowercased.
    """
    text = unicodedata.normalize("NFC", raw).strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return None
    local = local.lower()
    domain = domain.lower().rstrip(".")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain == "gmail.com":
        local = local.replace(".", "")
    address = f"{local}@{domain}"
    return address if local and _EMAIL_SHAPE.match(address) else None


_EXTENSION = re.compile(r"(?i)\s*(?:int\.?|interno|ext\.?|extension|x)\s*\d+\s*$")


def normalize_phone(raw: str) -> str | None:
    """An E.164-like `+<country><number>`; numbers without a country are taken as Italian.

    `"051 234 5678"` → `"+390512345678"`: in Italy the leading 0 of a landline is part of
    the number and is kept after +39. `"0039 333 1234567"`, `"39 333 1234567"` and
    `"+39 333-123.45.67"` are one number. `"+44 (0)20 7946 0000"` drops the "(0)" trunk
    prefix that other countries write in brackets. Extensions ("int. 23") are dropped.
    """
    text = _EXTENSION.sub("", raw.strip().removeprefix("tel:"))
    if not text:
        return None
    international = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if international:
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
        international = True
    elif digits.startswith("39") and len(digits) >= 11:
        # No Italian national number starts with 39 and has 11 or more digits.
        international = True
    if not international:
        digits = "39" + digits
    elif "(0)" in text.replace(" ", "") and not digits.startswith("39"):
        digits = _drop_trunk(text).removeprefix("00")
    if digits.startswith("39"):
        national = digits[2:]
        # 0 landlines, 3 mobiles, 4/5 network and VoIP, 8 freephone; 1xx are service codes.
        if not 6 <= len(national) <= 11 or national[0] not in "03458":
            return None
    elif not 8 <= len(digits) <= 15 or digits[0] == "0":
        return None
    return "+" + digits


def _drop_trunk(text: str) -> str:
    """Digits of an international number written with a "(0)" trunk prefix, without it."""
    return re.sub(r"\D", "", text.replace(" ", "").replace("(0)", "", 1))


_CF_SHAPE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
_CF_ODD_VALUES = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)  # fmt: skip  # noqa: E501
_CF_ODD = dict(zip("0123456789", _CF_ODD_VALUES[:10], strict=True)) | dict(
    zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", _CF_ODD_VALUES, strict=True)
)
_CF_EVEN = {c: (int(c) if c.isdigit() else ord(c) - ord("A")) for c in _CF_ODD}


def tax_code_check_char(first15: str) -> str:
    """The control character of a codice fiscale (DM 23/12/1976), from its first 15."""
    total = sum((_CF_ODD if i % 2 == 0 else _CF_EVEN)[c] for i, c in enumerate(first15.upper()))
    return chr(ord("A") + total % 26)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(digits[:-1]):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10 == int(digits[-1])


def normalize_tax_code(raw: str) -> str | None:
    """A valid codice fiscale, uppercased and without spaces, or `None`.

    Accepts the 16-character personal code (including "omocodia" variants, whose digits are
    replaced by letters: they are different codes of different people, so they are not
    folded) when its control character is right, and the 11-digit numeric code with its Luhn
    check. A mistyped code is not used rather than risk matching someone else.
    """
    text = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", raw)).upper()
    if len(text) == 16 and _CF_SHAPE.match(text):
        return text if tax_code_check_char(text[:15]) == text[15] else None
    if len(text) == 11 and text.isdigit() and _luhn_ok(text):
        return text
    return None


_CHANNEL_PHONE_FIELDS = ("fax_number", "caller_id", "phone")


def identities_of(
    citizen: Citizen | None, channel_details: Mapping[str, object] | None = None
) -> tuple[Identity, ...]:
    """Every usable identifier of a submission, strongest first, without duplicates.

    A fax's sending number and a contact centre's caller id (`channel_details` fields
    `fax_number`, `caller_id`, `phone`) are phone identifiers too: a citizen who writes by
    email and then faxes with only a phone number on the cover sheet is found by that.
    """
    found: set[Identity] = set()
    if citizen is not None:
        if citizen.tax_code and (cf := normalize_tax_code(citizen.tax_code)):
            found.add(Identity(IdentityKind.TAX_CODE, cf))
        if citizen.email and (email := normalize_email(citizen.email)):
            found.add(Identity(IdentityKind.EMAIL, email))
        if citizen.phone and (phone := normalize_phone(citizen.phone)):
            found.add(Identity(IdentityKind.PHONE, phone))
    for field in _CHANNEL_PHONE_FIELDS:
        value = (channel_details or {}).get(field)
        if isinstance(value, str) and (phone := normalize_phone(value)):
            found.add(Identity(IdentityKind.PHONE, phone))
    return tuple(sorted(found, key=lambda i: (i.priority, i.value)))
