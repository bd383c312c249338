"""Alerts over random lives of a clock, against an independent oracle (Hypothesis).

The oracle does not use `SlaClock`: it turns the operations into the intervals in which the
clock runs and finds where the running time reaches each point. Whatever the operations and
whenever the ticks come, the alerts emitted must be exactly the points reached while running,
each once, at the first tick at or after its time.
"""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.sla import Alert, due_alerts, mark_emitted

from .support import DAY, new_sla

OPS = ("pause", "resume", "stop", "reopen", "tick", "tick")


def oracle(
    start: datetime, allowed: timedelta, ops: list[tuple[datetime, str]], percents: list[int]
) -> dict[int, datetime]:
    intervals: list[list[datetime | None]] = [[start, None]]
    mode = "running"
    for at, op in ops:
        if (op == "pause" and mode == "running") or (op == "stop" and mode == "running"):
            intervals[-1][1] = at
        if op == "pause" and mode == "running":
            mode = "paused"
        elif op == "stop" and mode in ("running", "paused"):
            mode = "stopped"
        elif (op == "resume" and mode == "paused") or (op == "reopen" and mode == "stopped"):
            intervals.append([at, None])
            mode = "running"
    reached: dict[int, datetime] = {}
    for percent in percents:
        need, done = allowed * percent / 100, timedelta(0)
        for begin, end in intervals:
            assert begin is not None
            if end is None or done + (end - begin) >= need:
                reached[percent] = begin + (need - done)
                break
            done += end - begin
    return reached


# A step moves time on, either by a gap (seconds) or to just around the clock's next point
# (so that pauses, stops and ticks land on and beside the boundaries), then does one thing.
STEPS = st.tuples(
    st.one_of(
        st.tuples(st.just("gap"), st.integers(0, 8 * 86_400)),
        st.tuples(st.just("near"), st.integers(-90, 90)),
        st.tuples(st.just("near"), st.sampled_from([-1, 0, 1])),
    ),
    st.sampled_from(OPS),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(STEPS, max_size=25))
def test_each_point_reached_while_running_is_emitted_once_at_the_first_tick(
    steps: list[tuple[tuple[str, int], str]],
) -> None:
    state = new_sla()
    clock0 = state.resolution
    now = clock0.started_at
    done: list[tuple[datetime, str]] = []
    emitted: list[tuple[Alert, datetime]] = []
    ticks: list[datetime] = []
    for (how, seconds), op in [*steps, (("gap", 400 * 86_400), "tick")]:
        if how == "gap":
            now += timedelta(seconds=seconds)
        else:
            upcoming = [when for c in state.clocks() for _, _, when in c.pending()]
            target = min(upcoming, default=now) + timedelta(seconds=seconds)
            now = max(now, target)
        if op == "tick":
            ticks.append(now)
            alerts = due_alerts(state, now)
            emitted.extend((a, now) for a in alerts)
            state = mark_emitted(state, alerts)
            continue
        clock = getattr(state.resolution, op)(now)
        state = state.model_copy(update={"resolution": clock})
        done.append((now, op))

    expected = oracle(
        clock0.started_at, clock0.base_deadline - clock0.started_at, done, [50, 80, 100]
    )
    assert sorted(a.percent for a, _ in emitted) == sorted(expected)  # each once, no other
    assert len({a.alert_id for a, _ in emitted}) == len(emitted)
    for alert, at in emitted:
        assert alert.due_at == expected[alert.percent]
        assert at == min(t for t in ticks if t >= alert.due_at)  # at the first tick
    assert due_alerts(state, now + 1000 * DAY) == []
