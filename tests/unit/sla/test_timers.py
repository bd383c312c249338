"""due_alerts: each alert once; none after an in-time resolution; pauses move the deadline."""

from datetime import UTC, datetime, timedelta

from processors.sla import (
    MILAN,
    Alert,
    ClockKind,
    DayKind,
    DeadlineRule,
    SlaState,
    due_alerts,
    mark_emitted,
    next_alert_at,
    overdue_by,
)

from .support import DAY, DEADLINE, HOUR, RECEIVED, ROME, new_sla, tick

START = RECEIVED.astimezone(UTC)
ALLOWED = DEADLINE - START


def kinds(alerts: list[Alert]) -> list[str]:
    return [a.kind for a in alerts]


def with_resolution(state: SlaState, **changes: object) -> SlaState:
    return state.model_copy(update={"resolution": state.resolution.model_copy(update=changes)})


def test_hourly_ticks_emit_each_alert_once_at_its_time() -> None:
    state, log = new_sla(), list[Alert]()
    now = START
    while now < DEADLINE + 10 * DAY:
        state = tick(state, now, log)
        now += HOUR
    assert kinds(log) == ["warning_50", "warning_80", "breach"]
    assert len({a.alert_id for a in log}) == 3
    assert log[0].due_at == START + ALLOWED / 2
    assert log[2].due_at == DEADLINE
    assert log[2].alert_id == "CASE-7K3M-9QXD-2B4F/resolution/breach/g0"
    assert next_alert_at(state) is None


def test_a_late_single_tick_owes_the_same_alerts() -> None:
    log: list[Alert] = []
    state = tick(new_sla(), DEADLINE + 40 * DAY, log)
    assert kinds(log) == ["warning_50", "warning_80", "breach"]
    assert due_alerts(state, DEADLINE + 80 * DAY) == []


def test_a_case_resolved_in_time_gets_no_breach_however_late_we_look() -> None:
    state = new_sla()
    resolved = with_resolution(state, stopped_at=DEADLINE - timedelta(microseconds=1))
    assert kinds(due_alerts(resolved, DEADLINE + 90 * DAY)) == ["warning_50", "warning_80"]
    early = with_resolution(state, stopped_at=START + 3 * DAY)
    assert due_alerts(early, DEADLINE + 90 * DAY) == []
    assert next_alert_at(early) is None
    late = with_resolution(state, stopped_at=DEADLINE)  # midnight is late
    assert "breach" in kinds(due_alerts(late, DEADLINE + DAY))


def test_a_pause_moves_the_deadline_by_the_paused_time_even_across_dst() -> None:
    state = new_sla()
    # Waiting for the citizen from Wednesday 27 March 10:00 to Tuesday 2 April 10:00, Milan
    # time: DST began on 31 March, so that is 6 days less one hour of elapsed time.
    begin = datetime(2024, 3, 27, 10, tzinfo=ROME)
    end = datetime(2024, 4, 2, 10, tzinfo=ROME)
    paused = state.model_copy(update={"resolution": state.resolution.pause(begin)})
    assert paused.deadline_at is None
    assert next_alert_at(paused) == START + ALLOWED / 2  # owed before the pause began
    resumed = paused.model_copy(update={"resolution": paused.resolution.resume(end)})
    assert resumed.deadline_at == DEADLINE + timedelta(hours=143)
    assert resumed.resolution.generation == 0  # nothing emitted was moved: same names
    # The 50% point came before the pause and did not move; 80% and the breach did.
    points = {a.kind: a.due_at for a in due_alerts(resumed, DEADLINE + 10 * DAY)}
    assert points["warning_50"] == START + ALLOWED / 2
    assert points["warning_80"] == START + ALLOWED * 80 / 100 + timedelta(hours=143)
    assert points["breach"] == DEADLINE + timedelta(hours=143)
    assert overdue_by(resumed, DEADLINE) == -timedelta(hours=143)


def test_an_open_pause_owes_nothing_beyond_its_start() -> None:
    state = new_sla()
    paused = with_resolution(state, pauses=())
    paused = paused.model_copy(update={"resolution": paused.resolution.pause(START + DAY)})
    assert due_alerts(paused, DEADLINE + 365 * DAY) == []
    assert next_alert_at(paused) is None
    assert overdue_by(paused, DEADLINE) is None


def test_an_ordinary_pause_re_arms_nothing() -> None:
    log: list[Alert] = []
    state = tick(new_sla(), START + 16 * DAY, log)
    assert kinds(log) == ["warning_50"]
    clock = state.resolution.pause(START + 17 * DAY).resume(START + 27 * DAY)
    state = state.model_copy(update={"resolution": clock})
    assert clock.fired == ("warning_50",)  # its point did not move: still emitted
    assert clock.generation == 0
    state = tick(state, DEADLINE + 30 * DAY, log)
    assert kinds(log) == ["warning_50", "warning_80", "breach"]
    assert [a.generation for a in log] == [0, 0, 0]


def test_alert_names_do_not_depend_on_whether_the_tick_came_before_a_pause_ended() -> None:
    def life(tick_during_pause: bool) -> list[str]:
        log: list[Alert] = []
        state = new_sla()
        clock = state.resolution.pause(START + 16 * DAY)  # after the 50% point (day 15)
        state = state.model_copy(update={"resolution": clock})
        if tick_during_pause:
            state = tick(state, START + 17 * DAY, log)
        state = state.model_copy(update={"resolution": state.resolution.resume(START + 20 * DAY)})
        tick(state, DEADLINE + 30 * DAY, log)
        return [a.alert_id for a in log]

    assert life(True) == life(False)
    assert life(True)[0] == "CASE-7K3M-9QXD-2B4F/resolution/warning_50/g0"


def test_a_pause_reported_late_re_arms_the_warnings_it_moved_into_the_future() -> None:
    log: list[Alert] = []
    state = tick(new_sla(), START + 16 * DAY, log)  # 50% emitted on day 15
    # On day 16 the body reports it asked the citizen on day 14; the answer comes on day 20.
    clock = state.resolution.pause(START + 14 * DAY).resume(START + 20 * DAY)
    state = state.model_copy(update={"resolution": clock})
    assert clock.fired == ()  # the 50% point is now day 21: re-armed
    assert due_alerts(state, START + 20 * DAY) == []
    state = tick(state, START + 22 * DAY, log)
    assert [(a.kind, a.generation) for a in log] == [("warning_50", 0), ("warning_50", 1)]
    assert log[1].due_at == START + ALLOWED / 2 + 6 * DAY
    assert log[0].alert_id != log[1].alert_id


def test_a_longer_deadline_re_arms_a_shorter_one_fires_at_once() -> None:
    log: list[Alert] = []
    state = tick(new_sla(), START + 20 * DAY, log)
    longer = DeadlineRule(days=60, days_kind=DayKind.CALENDAR, warn_at_percent=(50, 80))
    base = MILAN.deadline(START, 60, DayKind.CALENDAR)
    clock = state.resolution.with_rule(longer, base, START + 20 * DAY)
    assert clock.fired == ()
    assert clock.generation == 1
    shorter = DeadlineRule(days=10, days_kind=DayKind.CALENDAR, warn_at_percent=(50, 80))
    clock = state.resolution.with_rule(
        shorter, MILAN.deadline(START, 10, DayKind.CALENDAR), START + 20 * DAY
    )
    assert clock.fired == ("warning_50",)
    assert clock.generation == 0  # nothing re-armed
    moved = state.model_copy(update={"resolution": clock})
    assert kinds(due_alerts(moved, START + 20 * DAY)) == ["warning_80", "breach"]


def test_reopening_counts_the_resolved_time_as_a_pause() -> None:
    state = new_sla()
    clock = state.resolution.stop(START + 20 * DAY).reopen(START + 35 * DAY)
    assert clock.stopped_at is None
    assert clock.deadline == DEADLINE + 15 * DAY
    assert clock.generation == 0


def test_mark_emitted_ignores_stale_and_foreign_alerts() -> None:
    state = new_sla()
    alerts = due_alerts(state, DEADLINE)
    moved = with_resolution(state, generation=1)
    assert mark_emitted(moved, alerts) == moved
    other = [a.model_copy(update={"case_id": "CASE-0000-0000-0000"}) for a in alerts]
    assert mark_emitted(state, other) == state
    assert mark_emitted(state, alerts).resolution.fired == ("warning_50", "warning_80", "breach")


def test_state_round_trips_through_json_for_a_faust_table() -> None:
    state = new_sla()
    clock = state.resolution.pause(START + DAY).resume(START + 2 * DAY)
    state = state.model_copy(update={"resolution": clock})
    assert SlaState.model_validate_json(state.model_dump_json()) == state
    assert due_alerts(state, DEADLINE + 3 * DAY)[0].clock is ClockKind.RESOLUTION
