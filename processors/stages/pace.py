"""How fast events reach a stage, so that a batch waits for company only when it will come.

A batch that waits `within` after its first event trades latency for fewer, larger batches,
and each batch costs a round trip to the broker and a write of the tables whatever its size.
The wait pays when events come often enough for company to arrive within it; when they come
more slowly than that, it is latency spent for nothing. `ArrivalRate` estimates the rate,
and `linger` says how long the batch under way should wait.
"""

import math


class ArrivalRate:
    """Events per second, exponentially weighted with time constant `tau_s`: a steady rate
    r reads r once it has lasted a few `tau_s`, and the estimate decays while none arrive."""

    def __init__(self, tau_s: float = 1.0) -> None:
        self.tau_s = tau_s
        self._rate = 0.0
        self._at = -math.inf

    def note(self, now: float) -> None:
        """An event arrived at `now` (seconds on a monotonic clock)."""
        self._rate = self.per_second(now) + 1.0 / self.tau_s
        self._at = now

    def per_second(self, now: float) -> float:
        if self._at == -math.inf:
            return 0.0
        return self._rate * math.exp(-max(0.0, now - self._at) / self.tau_s)


def linger(rate_per_s: float, within: float) -> float:
    """How long a batch waits after its first event: `within` when at least one more event
    is expected in that time at the current rate, none otherwise."""
    return within if rate_per_s * within >= 1.0 else 0.0
