"""The arithmetic of the benchmarks and the fault suite, without I/O: percentiles, rates,
which offered rate the pipeline sustained, memory growth, and the time to recover.

Percentiles are nearest-rank (the smallest value with at least q% of the values at or
below it), so a p99.9 is a value that was measured, never an interpolation; with fewer
than 1,000 values the p99.9 is the maximum, which `Latency.count` lets a reader see.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`th percentile (0 < q <= 100) of `values` (any order)."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"q must be in (0, 100], not {q}")
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Latency:
    """p50/p99/p99.9 and the maximum of some latencies, in milliseconds."""

    count: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    def text(self) -> str:
        return (
            f"p50 {self.p50_ms:,.0f} ms, p99 {self.p99_ms:,.0f} ms, "
            f"p99.9 {self.p999_ms:,.0f} ms (n={self.count:,})"
        )

    def short(self) -> str:
        """`p50/p99/p99.9 ms`, for a table cell."""
        return f"{self.p50_ms:,.0f}/{self.p99_ms:,.0f}/{self.p999_ms:,.0f} ms"


def latency(seconds: Iterable[float]) -> Latency | None:
    """The summary of latencies given in seconds; None when there are none."""
    values = [s * 1000 for s in seconds]
    if not values:
        return None
    return Latency(
        count=len(values),
        p50_ms=percentile(values, 50),
        p99_ms=percentile(values, 99),
        p999_ms=percentile(values, 99.9),
        max_ms=max(values),
    )


def span_rate(stamps: Sequence[float], trim: float = 0.1) -> float | None:
    """Events per second over the middle of a burst: `stamps` (seconds, any order) with the
    first and last `trim` share left out, so that neither the start nor the drain of a
    backlog counts. None with fewer than 10 stamps or no time between them."""
    if len(stamps) < 10:
        return None
    ordered = sorted(stamps)
    lo = int(len(ordered) * trim)
    hi = len(ordered) - 1 - lo
    elapsed = ordered[hi] - ordered[lo]
    return (hi - lo) / elapsed if elapsed > 0 else None


@dataclass(frozen=True)
class Step:
    """One open-loop step: the rate offered, what was routed in the measured window, and
    the backlog (accepted, not yet routed) when sending stopped."""

    offered_per_s: float
    routed_per_s: float
    backlog_at_end: int
    drained: bool


def sustained(steps: Iterable[Step], max_lag_s: float) -> Step | None:
    """The step with the highest offered rate whose lag stayed bounded: when sending stopped,
    no more than `max_lag_s` seconds' worth of submissions waited, and all were routed
    before the drain's deadline. None if no step kept up."""
    kept_up = [
        s for s in steps if s.drained and s.backlog_at_end <= max(1.0, s.offered_per_s * max_lag_s)
    ]
    return max(kept_up, key=lambda s: s.offered_per_s, default=None)


def growth(samples: Sequence[tuple[float, float]], warm_up_s: float) -> float | None:
    """Relative growth of a resident-memory series `(seconds, bytes)` after `warm_up_s`:
    the mean of the last fifth of the samples against the mean of the first fifth (so one
    garbage-collection swing does not decide it). None with fewer than 5 samples after the
    warm-up."""
    after = [v for t, v in sorted(samples) if t >= warm_up_s]
    if len(after) < 5:
        return None
    fifth = max(1, len(after) // 5)
    first = sum(after[:fifth]) / fifth
    last = sum(after[-fifth:]) / fifth
    return (last - first) / first if first else None


def recovery_time(
    backlog: Sequence[tuple[float, int]], fault_at: float, normal: int
) -> float | None:
    """Seconds from `fault_at` until the pipeline was back to normal: the first sample at or
    after the fault whose backlog (accepted but not yet stored) is at most `normal`, after
    the backlog had first risen above it (a fault that never raised it recovers at once).
    `backlog` is `(seconds, count)` in time order. None if it never came back."""
    rose = False
    for t, count in backlog:
        if t < fault_at:
            continue
        if count > normal:
            rose = True
        elif rose:
            return t - fault_at
    if not rose:
        return 0.0
    return None
