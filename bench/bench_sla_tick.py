"""The cost of one SLA timer tick with a million open cases: the deadline index against a scan.

    .venv/bin/python bench/bench_sla_tick.py [--cases 1000000] [--seed 7]

Builds `--cases` open cases received over the 30 days before "now" (Milan time), each with
the default policy's resolution points (50%, 80%, breach at local midnight of the 30th day,
rolled past holidays), and its next alert time. Then, in the same process:

- the index: `DeadlineIndex.due(now)` and, for every case it names, the adapter's follow-up
  (move it to its next point, or drop it), as a timer tick does;
- the baseline: a brute-force scan of the same cases' next alert times (plain integers in a
  list, the cheapest possible scan: no model, no computation per case);

for ticks every second over a minute, ticks every minute over an hour, and the tick at a
local midnight, when the terms of a whole day's complaints (a thirtieth of the cases) end at
once. Both sides must find the same due cases on every tick (checked). Prints the figures and
the ratio of the scan to the index.
"""

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from processors.sla import MILAN, DayKind, DeadlineIndex

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2025, 3, 12, 18, 0, tzinfo=ROME).astimezone(UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(when: datetime) -> int:
    return (when - EPOCH) // timedelta(microseconds=1)


def as_datetime(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def build_cases(n: int, seed: int) -> dict[str, tuple[int, int, int]]:
    """case id -> the epoch-microsecond times of its 50%, 80% and breach points."""
    rng = Random(seed)
    span = 30 * 86_400_000_000
    now_us = micros(NOW)
    deadline_of_day: dict[int, int] = {}
    cases: dict[str, tuple[int, int, int]] = {}
    for i in range(n):
        received = now_us - rng.randrange(span)
        day = received // 86_400_000_000
        if day not in deadline_of_day:
            deadline_of_day[day] = micros(
                MILAN.deadline(as_datetime(received), 30, DayKind.CALENDAR)
            )
        deadline = deadline_of_day[day]
        allowed = deadline - received
        digits = f"{i:012d}"
        cases[f"CASE-{digits[:4]}-{digits[4:8]}-{digits[8:]}"] = (
            received + allowed // 2,
            received + allowed * 4 // 5,
            deadline,
        )
    return cases


def next_point(points: tuple[int, int, int], after_us: int) -> int | None:
    return next((p for p in points if p > after_us), None)


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """CPU seconds spent in `fn` (the machine may be shared: wall time would count the
    others' work too) and its result."""
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    cases = build_cases(args.cases, args.seed)
    seconds = time.perf_counter() - start
    print(f"cases: {len(cases):,} open, received over 30 days before {NOW:%Y-%m-%d %H:%M}Z")
    print(f"  generated in {seconds:.1f} s")

    now_us = micros(NOW)
    index = DeadlineIndex(slots=16)
    scan_ids: list[str] = []
    scan_times: list[int] = []
    start = time.perf_counter()
    for case_id, points in cases.items():
        first = next_point(points, now_us)
        if first is not None:
            index.set(case_id, as_datetime(first))
            scan_ids.append(case_id)
            scan_times.append(first)
    print(f"  indexed {len(index):,} in {time.perf_counter() - start:.1f} s")
    # As a long-running worker would, keep the collector off the million long-lived objects,
    # so a tick does not pay for a full collection it did not cause. Same for both sides.
    gc.collect()
    gc.freeze()
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

    def index_tick(at: datetime) -> int:
        """What a timer tick does with the index: find the due cases, move each on."""
        at_us = micros(at)
        due = index.due(at)
        for case_id in due:
            nxt = next_point(cases[case_id], at_us)
            index.set(case_id, None if nxt is None else as_datetime(nxt))
        return len(due)

    never = 2**62

    def scan_tick(at: datetime) -> int:
        """The same without an index: look at every case, move the due ones on."""
        at_us = micros(at)
        due = 0
        for i, t in enumerate(scan_times):
            if t <= at_us:
                due += 1
                nxt = next_point(cases[scan_ids[i]], at_us)
                scan_times[i] = never if nxt is None else nxt
        return due

    def run(label: str, times: list[datetime]) -> tuple[float, float]:
        pairs = []
        for at in times:
            index_cost, index_due = timed(lambda: index_tick(at))  # noqa: B023 - called at once
            scan_cost, scan_due = timed(lambda: scan_tick(at))  # noqa: B023
            assert index_due == scan_due, (at, index_due, scan_due)
            pairs.append((index_cost, scan_cost, index_due))
        index_median = statistics.median(p[0] for p in pairs)
        scan_median = statistics.median(p[1] for p in pairs)
        dues = [p[2] for p in pairs]
        print(
            f"{label}: {len(pairs)} ticks, due per tick median {statistics.median(dues):,.0f}, "
            f"max {max(dues):,}"
        )
        print(
            f"  index tick: median {index_median * 1e6:,.0f} µs, "
            f"max {max(p[0] for p in pairs) * 1e6:,.0f} µs"
        )
        print(
            f"  full scan:  median {scan_median * 1e6:,.0f} µs, "
            f"max {max(p[1] for p in pairs) * 1e6:,.0f} µs"
        )
        print(f"  ratio scan / index: {scan_median / index_median:,.1f}x")
        return index_median, scan_median

    print()
    run("every second for a minute", [NOW + timedelta(seconds=s) for s in range(1, 61)])
    index_s, scan_s = run(
        "every minute for an hour", [NOW + timedelta(minutes=m) for m in range(2, 62)]
    )
    # The night of 13-14 March ends the terms of everything received on 11 February.
    midnight = datetime(2025, 3, 14, 0, 0, tzinfo=ROME).astimezone(UTC)
    catch_up = midnight - timedelta(seconds=1)
    index_tick(catch_up)  # not timed: bring both up to just before midnight
    scan_tick(catch_up)
    run("the tick at local midnight, when a day of deadlines ends", [midnight])
    emit([
        Row("sla_tick", f"timer tick, {len(cases):,} open cases (every minute)",
            f"{index_s * 1e6:,.0f} µs (median)", f"full scan {scan_s * 1e6:,.0f} µs",
            scan_s / index_s, ratio_text=f"{scan_s / index_s:,.0f}x faster"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
