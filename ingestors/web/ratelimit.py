"""Per-client rate limits: a token bucket for each client, in this process's memory.

Pure: the caller passes the time (monotonic seconds). With several web replicas each keeps
its own buckets, so a client's effective limit is the configured one times the replicas.
"""

import math
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """`take(client, now)` spends one token and returns 0, or returns how many seconds to
    wait before a token is there (and spends nothing)."""

    def __init__(self, rate_per_s: float, burst: int, *, max_clients: int = 100_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client_id: str, now: float) -> float:
        bucket = self._buckets.pop(client_id, None)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                # Forget the least recently seen client; its bucket had refilled long ago.
                del self._buckets[next(iter(self._buckets))]
            bucket = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.stamp) * self._rate)
        bucket.stamp = now
        self._buckets[client_id] = bucket  # re-inserted last: dict order is recency
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate


def retry_after_header(wait_s: float) -> str:
    """Retry-After in whole seconds, never 0 (a client would retry at once and fail again)."""
    return str(max(1, math.ceil(wait_s)))
