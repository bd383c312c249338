"""Token buckets per client."""

from ingestors.web.ratelimit import RateLimiter, retry_after_header


def test_a_burst_then_the_sustained_rate() -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 0.0) == 0.5
    assert limiter.take("a", 0.25) == 0.25  # refused requests spend nothing
    assert limiter.take("a", 0.5) == 0.0
    assert limiter.take("a", 10.0) == 0.0  # refills, but never beyond the burst
    assert [limiter.take("a", 10.0) for _ in range(3)] == [0.0, 0.0, 0.5]


def test_clients_have_their_own_buckets_and_old_ones_are_forgotten() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, max_clients=2)
    assert limiter.take("a", 0.0) == 0.0
    assert limiter.take("b", 0.0) == 0.0
    assert limiter.take("a", 0.0) > 0
    assert limiter.take("c", 0.0) == 0.0  # forgets b, the least recently seen
    assert limiter.take("b", 0.0) == 0.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after_header(w) for w in (0.01, 1.0, 1.2, 59.9)] == ["1", "1", "2", "60"]
