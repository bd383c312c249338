"""Who is calling: an API key (`Authorization: Bearer <key>`) or an HMAC-SHA256 signature.

Pure: headers, body and the time in, a `Caller` or a `Refused` out. Keys are compared in
constant time (as digests of equal length, against every key, without stopping at a match),
never logged, and never part of a `repr`.

A signed request carries three headers:

    X-Sportello-Client:    the client id
    X-Sportello-Timestamp: seconds since the epoch, within the replay window of now
    X-Sportello-Signature: sha256=<hex HMAC-SHA256(key, signing input)>

where the signing input is `<timestamp>\\n<METHOD>\\n<path?query>\\n` followed by the body.

`sign()` computes the header for a client.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

CLIENT_HEADER = "X-Sportello-Client"
TIMESTAMP_HEADER = "X-Sportello-Timestamp"
SIGNATURE_HEADER = "X-Sportello-Signature"
_SCHEME = "sha256="


@dataclass(frozen=True)
class ApiClient:
    """A gateway, an app or the contact centre: a client id and its secret key."""

    client_id: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller. `client_id` namespaces idempotency keys and rate limits."""

    client_id: str


@dataclass(frozen=True)
class Refused:
    """Why a caller was not let in, safe to tell the caller."""

    detail: str


def signing_input(timestamp: str, method: str, target: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{target}\n".encode() + body


def sign(key: bytes, timestamp: str, method: str, target: str, body: bytes) -> str:
    """The `X-Sportello-Signature` value for a request; `target` is its path and query."""
    digest = hmac.new(key, signing_input(timestamp, method, target, body), hashlib.sha256)
    return _SCHEME + digest.hexdigest()


class Authenticator:
    def __init__(self, clients: Sequence[ApiClient], *, window_s: float = 300.0) -> None:
        if not clients:
            raise ValueError("no API client configured")
        self._clients = tuple(clients)
        self._by_id = {c.client_id: c for c in clients}
        self._digests = tuple((hashlib.sha256(c.key).digest(), c) for c in clients)
        self._window_s = window_s

    @staticmethod
    def is_signed(headers: Mapping[str, str]) -> bool:
        """A signed request needs its body read before it can be authenticated."""
        return SIGNATURE_HEADER in headers

    def by_key(self, presented: str) -> Caller | None:
        """The caller whose key this is, or None; as slow for a wrong key as for a right one."""
        digest = hashlib.sha256(presented.encode()).digest()
        found: ApiClient | None = None
        for expected, client in self._digests:
            if hmac.compare_digest(digest, expected):
                found = client
        return Caller(found.client_id) if found else None

    def by_bearer(self, authorization: str) -> Caller | Refused:
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return Refused("present an API key as 'Authorization: Bearer <key>'")
        return self.by_key(presented.strip()) or Refused("the API key is not valid")

    def by_signature(
        self,
        headers: Mapping[str, str],
        *,
        method: str,
        target: str,
        body: bytes,
        now: datetime,
    ) -> Caller | Refused:
        client = self._by_id.get(headers.get(CLIENT_HEADER, ""))
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not timestamp.isdigit() or len(timestamp) > 12:
            return Refused(f"{TIMESTAMP_HEADER} must be seconds since the epoch")
        if abs(now.timestamp() - int(timestamp)) > self._window_s:
            return Refused(f"the signature's timestamp is outside the {self._window_s:g} s window")
        # An unknown client is checked against a throw-away key so the answer takes as long.
        key = client.key if client else self._clients[0].key + b"\x00unknown"
        expected = sign(key, timestamp, method, target, body).encode()
        if not hmac.compare_digest(expected, signature.strip().encode()) or client is None:
            return Refused("the signature does not match")
        return Caller(client.client_id)

    def authenticate(
        self,
        headers: Mapping[str, str],
        *,
        method: str,
        target: str,
        body: bytes,
        now: datetime,
    ) -> Caller | Refused:
        """A signature when one is presented, otherwise the bearer key."""
        if self.is_signed(headers):
            return self.by_signature(headers, method=method, target=target, body=body, now=now)
        return self.by_bearer(headers.get("Authorization", ""))
