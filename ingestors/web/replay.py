"""Refusing a replayed HMAC-signed request: the signatures this process has accepted lately.

A signature is valid for the whole replay window (`Authenticator`, `signature_window_s`), so
whoever sees a signed request could send it again within the window. `ReplayGuard` remembers
each signature it admits until the window of its timestamp has passed, and refuses it the
second time — unless both times carry the same Idempotency-Key: that is a client's retry,
and the receipt store answers it with the first answer without publishing anything.

Pure (the time is passed in) and bounded: at `max_entries` the signature closest to expiry
is forgotten first. Per process: a replay sent to another replica is not seen here (the
README says what that means for clients).
"""

import heapq
from enum import Enum


class Admission(Enum):
    NEW = "new"
    """First seen: the request may go on; `forget` it if it ends doing nothing."""
    RETRY = "retry"
    """Seen before with the same Idempotency-Key: harmless, idempotency answers it."""
    REPLAY = "replay"
    """Seen before, without a key or with another one: refuse it."""


class ReplayGuard:
    def __init__(self, *, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._seen: dict[str, tuple[float, str | None]] = {}
        self._expiries: list[tuple[float, str]] = []  # a heap; may hold forgotten entries

    def __len__(self) -> int:
        return len(self._seen)

    def admit(self, signature: str, *, key: str | None, expires_at: float, now: float) -> Admission:
        """Whether a request with this (verified) `signature` may go on. `expires_at` is the
        end of its timestamp's window, after which the signature is refused anyway."""
        self._expire(now)
        seen = self._seen.get(signature)
        if seen is not None:
            first_key = seen[1]
            return Admission.RETRY if key is not None and key == first_key else Admission.REPLAY
        while len(self._seen) >= self._max_entries:
            self._drop(*heapq.heappop(self._expiries))
        self._seen[signature] = (expires_at, key)
        heapq.heappush(self._expiries, (expires_at, signature))
        return Admission.NEW

    def forget(self, signature: str) -> None:
        """Let `signature` come again: its request was refused and changed nothing (a 503, a
        429, a validation error), so the client's retry of the very same request is no
        replay."""
        self._seen.pop(signature, None)

    def _expire(self, now: float) -> None:
        heap = self._expiries
        while heap and heap[0][0] < now:
            self._drop(*heapq.heappop(heap))
        if len(heap) > 2 * self._max_entries:
            # Forgotten signatures leave their heap entries behind; rebuild now and then.
            self._expiries = [(e, s) for s, (e, _) in self._seen.items()]
            heapq.heapify(self._expiries)

    def _drop(self, expires_at: float, signature: str) -> None:
        # A heap entry may be stale: its signature forgotten, or forgotten and admitted again.
        seen = self._seen.get(signature)
        if seen is not None and seen[0] == expires_at:
            del self._seen[signature]
