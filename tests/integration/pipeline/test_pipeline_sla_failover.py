"""Two workers share cases on a fast clock (see `test_pipeline_sla`); one is killed with
SIGKILL after the cases' first warnings and before their breaches: every breach is still
emitted, under one id, by the worker that took the dead one's partitions over.

There is no warm-up: the kill comes while most of the app's partitions have no committed
offset yet, as in a deployment a few seconds old (Faust 0.15.3's own consumer lost what it
had fetched on such partitions; see `processors.consumer`).

Its own module: a worker of another app id still running (the other SLA module's) would
read these submissions from complaints.intake too, and publish alerts for them on its own
clock under the same ids.
"""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from processors.sla.clock import ScaledClock
from processors.stages.topology import internal_topic_name
from runtime.topics import CASE_COMMANDS
from schemas import topics
from schemas.case import case_id_for
from tests.integration.pipeline.sla_support import (
    KINDS,
    RATE,
    ROUTED,
    alerts,
    breached,
    clock_env,
    log_of,
)
from tests.integration.pipeline.support import (
    PARTITIONS,
    Sender,
    Watcher,
    partition_of,
    prepare_app,
    start_worker,
    submission_event,
    unique_app_id,
)

pytestmark = pytest.mark.integration


def timeline(watcher: Watcher, ids: list[str]) -> str:
    """Each case's alerts, when due and when sent (on the sender's clock), for a failure."""
    return "\n".join(
        f"{c} (partition {partition_of(c)}): "
        + ", ".join(
            f"{a.data.clock}/{a.data.kind} due {a.data.due_at:%d %H:%M} sent {a.time:%d %H:%M}"
            for a in alerts(watcher, topics.SLA, c)
        )
        for c in ids
    )


def one_case_per_partition(tag: str, at: datetime) -> list[tuple[str, str]]:
    """(ref, case id) of submissions whose cases fall in every partition of the case
    commands, so that the worker killed surely owned some."""
    found: dict[int, tuple[str, str]] = {}
    i = 0
    while len(found) < PARTITIONS:
        ref = f"sla-kill-{tag}-{i}"
        case_id = case_id_for(submission_event(ref, "x", at).data.submission_id)
        found.setdefault(partition_of(case_id), (ref, case_id))
        i += 1
    return [found[p] for p in range(PARTITIONS)]


async def test_a_breach_is_emitted_once_though_a_worker_is_killed_after_the_warnings(
    pipeline_kafka: str, sender: Sender, tmp_path: Path
) -> None:
    app_id = unique_app_id("sla-kill")
    await prepare_app(pipeline_kafka, app_id)
    origin = datetime.now(UTC)
    clock = ScaledClock(RATE, origin)
    watcher = await Watcher(pipeline_kafka, [topics.SLA, ROUTED]).start()
    workers = [
        start_worker(pipeline_kafka, app_id, tmp_path, name, **clock_env(origin))
        for name in ("a", "b")
    ]
    try:
        for w in workers:
            await w.ready()
        commands = internal_topic_name(app_id, CASE_COMMANDS)
        await watcher.until(
            lambda: (
                all(w.assigned(commands) and w.settled() for w in workers)
                and sum(len(w.assigned(commands) or ()) for w in workers) == PARTITIONS
            ),
            60,
            "the partitions split between the two workers",
        )
        tag = uuid.uuid4().hex[:10]
        cases = one_case_per_partition(tag, clock.now())
        await sender.send(
            topics.INTAKE,
            *(
                submission_event(
                    ref, f"Semaforo spento, incrocio {i} [{tag}]", clock.now(), hint="semafori"
                )
                for i, (ref, _) in enumerate(cases)
            ),
        )
        ids = [case_id for _, case_id in cases]

        def warned() -> bool:
            return all(
                any(
                    a.data.kind == "warning_50" and a.data.clock == "resolution"
                    for a in alerts(watcher, topics.SLA, c)
                )
                for c in ids
            )

        await watcher.until(warned, 60, "every case's first resolution warning")
        victim = workers[0]
        victim_partitions = victim.assigned(commands) or set()
        assert not any(breached(watcher, c) for c in ids), timeline(watcher, ids)
        victim.kill()

        try:
            await watcher.until(lambda: all(breached(watcher, c) for c in ids), 120, "breaches")
        except AssertionError:
            raise AssertionError(timeline(watcher, ids) + log_of(workers[1])) from None
        await asyncio.sleep(1.5)

        repeats = Counter[str]()
        for topic in (topics.SLA, ROUTED):
            for case_id in ids:
                got = alerts(watcher, topic, case_id)
                distinct = {a.id for a in got}
                assert distinct == {f"{case_id}/{c}/{k}/g0" for c, k in KINDS}, (topic, got)
                for alert_id, n in Counter(a.id for a in got).items():
                    if n > 1:
                        repeats[f"{topic} {alert_id.split('/', 1)[1]}"] += n - 1
                same = {a.id: a.data for a in got}
                assert all(a.data == same[a.id] for a in got), "one id, one content"
        taken_over = [c for c in ids if partition_of(c) in victim_partitions]
        print(
            f"\nsla failover: worker a (partitions {sorted(victim_partitions)}, "
            f"{len(taken_over)} of {len(ids)} cases) killed after the 50% warnings; "
            f"every breach emitted; repeated messages with the same id: "
            f"{dict(repeats) or 'none'}"
        )
    finally:
        for w in workers:
            w.stop()
        await watcher.stop()
