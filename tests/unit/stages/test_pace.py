"""When a batch waits for company: the arrival rate it judges by, and the decision."""

import pytest

from processors.stages.pace import ArrivalRate, linger


def steady(rate: ArrivalRate, per_s: float, seconds: float, start: float = 0.0) -> float:
    """Events every 1/per_s seconds for `seconds`; the time of the last one."""
    now = start
    for n in range(round(per_s * seconds)):
        now = start + n / per_s
        rate.note(now)
    return now


def test_no_events_no_rate() -> None:
    assert ArrivalRate().per_second(123.0) == 0.0


@pytest.mark.parametrize("per_s", [5.0, 35.0, 150.0])
def test_a_steady_rate_reads_as_itself(per_s: float) -> None:
    rate = ArrivalRate(tau_s=1.0)
    last = steady(rate, per_s, 10.0)
    # Read half-way to the next event: just after one, the estimate is at its highest.
    assert rate.per_second(last + 0.5 / per_s) == pytest.approx(per_s, rel=0.02)


def test_the_estimate_decays_when_events_stop() -> None:
    rate = ArrivalRate(tau_s=1.0)
    last = steady(rate, 100.0, 10.0)
    assert rate.per_second(last + 1.0) == pytest.approx(rate.per_second(last) / 2.718, rel=0.01)
    assert rate.per_second(last + 10.0) < 0.01


def test_a_clock_read_before_the_last_event_does_not_grow_the_estimate() -> None:
    rate = ArrivalRate()
    rate.note(5.0)
    assert rate.per_second(4.0) == rate.per_second(5.0)


def test_a_batch_waits_only_when_company_is_expected_within_the_wait() -> None:
    assert linger(35.0, 0.02) == 0.0  # one event every 29 ms: a 20 ms wait finds nobody
    assert linger(50.0, 0.02) == 0.02
    assert linger(150.0, 0.02) == 0.02
    assert linger(0.0, 0.02) == 0.0
