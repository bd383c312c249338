"""The benchmarks' arithmetic: nearest-rank percentiles, burst rates, which step the
pipeline sustained, memory growth, and the time to recover after a fault."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.harness.stats import (
    Step,
    growth,
    latency,
    percentile,
    recovery_time,
    span_rate,
    sustained,
)


def test_percentiles_are_nearest_rank_values_that_were_measured() -> None:
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 99.9) == 100
    assert percentile(values, 100) == 100
    assert percentile([7.0], 50) == 7.0
    assert percentile([3, 1, 2], 50) == 2  # order does not matter


def test_with_fewer_than_a_thousand_values_the_p999_is_the_maximum() -> None:
    summary = latency([0.001 * i for i in range(1, 201)])
    assert summary is not None
    assert summary.count == 200
    assert summary.p50_ms == pytest.approx(100)
    assert summary.p99_ms == pytest.approx(198)
    assert summary.p999_ms == summary.max_ms == pytest.approx(200)
    assert latency([]) is None


@pytest.mark.parametrize("q", [0, -1, 100.1])
def test_a_percentile_outside_0_100_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], q)


def test_no_values_no_percentile() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200), st.floats(0.01, 100))
def test_a_percentile_is_one_of_the_values_with_q_percent_at_or_below(
    values: list[float], q: float
) -> None:
    p = percentile(values, q)
    assert p in values
    at_or_below = sum(v <= p for v in values)
    assert at_or_below >= math.ceil(q / 100 * len(values))
    assert sum(v < p for v in values) < max(1, math.ceil(q / 100 * len(values)))


def test_a_burst_rate_leaves_out_its_start_and_its_drain() -> None:
    # 100 events one per 0.1 s, with a slow start and a slow tail that must not count
    stamps = [0.0, 5.0] + [10 + 0.1 * i for i in range(96)] + [40.0, 60.0]
    assert span_rate(stamps) == pytest.approx(10, rel=0.05)
    assert span_rate([1.0] * 20) is None
    assert span_rate([1.0, 2.0]) is None


def test_the_sustained_rate_is_the_highest_step_whose_lag_stayed_bounded() -> None:
    steps = [
        Step(10, 10, backlog_at_end=3, drained=True),
        Step(20, 19.5, backlog_at_end=60, drained=True),  # 3 s of lag at 20/s: bounded
        Step(30, 22, backlog_at_end=240, drained=True),  # 8 s: not
        Step(40, 22, backlog_at_end=100, drained=False),  # never drained
    ]
    best = sustained(steps, max_lag_s=5)
    assert best is not None
    assert best.offered_per_s == 20
    assert sustained(steps[2:], max_lag_s=5) is None


def test_memory_growth_compares_the_last_fifth_with_the_first_after_warm_up() -> None:
    flat = [(t, 100.0) for t in range(100)]
    assert growth(flat, warm_up_s=20) == 0
    rising = [(float(t), 100.0 + t) for t in range(100)]
    g = growth(rising, warm_up_s=20)
    assert g is not None
    # after warm-up: 120..199, first fifth mean 127.5, last fifth mean 191.5
    assert g == pytest.approx((191.5 - 127.5) / 127.5)
    assert growth([(0.0, 1.0), (1.0, 2.0)], warm_up_s=0) is None


def test_recovery_is_timed_from_the_fault_to_the_backlog_back_to_normal() -> None:
    samples = [(0.0, 2), (1.0, 3), (10.0, 2), (11.0, 40), (15.0, 90), (21.0, 20), (23.5, 4)]
    assert recovery_time(samples, fault_at=10.0, normal=5) == pytest.approx(13.5)
    # a fault that never raised the backlog recovered at once
    assert recovery_time([(0.0, 1), (5.0, 2)], fault_at=1.0, normal=5) == 0.0
    # one that never came back did not recover
    assert recovery_time([(0.0, 1), (5.0, 50), (9.0, 60)], fault_at=1.0, normal=5) is None
