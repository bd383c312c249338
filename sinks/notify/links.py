"""The signed "not solved" link of a notification: `GET /v1/cases/{case_id}/reopen?token=…`.

Pure. The notifier mints a token for one answer of one case (`CaseAnswer.seq`), valid until
a time; the web intake verifies it with the same key and reopens the case as the citizen.
Nobody can forge a link for a case they were not told about, and a link for an earlier
answer cannot reopen a later one (the web intake compares the answer's step).

    token = mint(key, "CASE-…", seq=7, expires_at=t)         # "7.1781234567.<mac>"
    found = verify(key, "CASE-…", token, now=now)            # Grant(seq=7, …) or Invalid

The MAC is HMAC-SHA256 over a domain tag, the case id, the step and the expiry, cut to 128
bits and written base64url; it is compared in constant time before the expiry is looked at.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

DEV_REOPEN_SECRET = "sportello-dev-reopen-secret"  # noqa: S105 (development only, see link_key)
_TAG = b"sportello-reopen-link/v1"
_TOKEN = re.compile(r"^([1-9][0-9]{0,9})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class Grant:
    """A valid link: the answer it contests, and until when it could be used."""

    seq: int
    expires_at: datetime


@dataclass(frozen=True)
class Invalid:
    """Why a link is refused: `malformed`, `forged` or `expired` (safe to show)."""

    reason: str


def _mac(key: bytes, case_id: str, seq: int, expires: int) -> str:
    message = b"\x00".join((_TAG, case_id.encode(), str(seq).encode(), str(expires).encode()))
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def mint(key: bytes, case_id: str, *, seq: int, expires_at: datetime) -> str:
    """The token of the link for answer `seq` of `case_id`."""
    expires = int(expires_at.timestamp())
    return f"{seq}.{expires}.{_mac(key, case_id, seq, expires)}"


def verify(key: bytes, case_id: str, token: str, *, now: datetime) -> Grant | Invalid:
    found = _TOKEN.match(token.strip())
    if found is None:
        return Invalid("malformed")
    seq, expires, mac = int(found.group(1)), int(found.group(2)), found.group(3)
    if not hmac.compare_digest(_mac(key, case_id, seq, expires), mac):
        return Invalid("forged")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        return Invalid("expired")
    return Grant(seq, expires_at)


def reopen_url(public_url: str, case_id: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/v1/cases/{case_id}/reopen?token={quote(token, safe='')}"


def link_key(secret: str | None, environment: str) -> bytes | None:
    """The key of the links: the configured secret; in development without one, a well-known
    development secret; in production without one, None (no links are offered or honoured)."""
    if secret:
        return secret.encode()
    return DEV_REOPEN_SECRET.encode() if environment != "production" else None
