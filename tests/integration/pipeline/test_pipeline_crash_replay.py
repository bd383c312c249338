"""A worker killed after the citizen stage decided a new case, before its decision reached
the next stage: the worker that replays the stage still opens the case.

Made deterministic by leaving the next stage's topic out until the kill: the first worker
decides, then waits on a topic that does not exist (the broker creates none by itself),
and is killed there; the topic is created and a second worker of the app takes over.
"""

import asyncio
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from processors.stages.topology import internal_topic_name
from runtime.topics import DEDUP_CITIZEN, DEDUP_PLACE
from schemas import topics
from schemas.case import case_id_for
from schemas.events import CaseUpdated
from tests.integration.pipeline.support import (
    Sender,
    Watcher,
    create_internal_topics,
    prepare_app,
    start_worker,
    submission_event,
    unique_app_id,
)

pytestmark = pytest.mark.integration


async def test_a_new_case_decided_before_a_crash_is_opened_by_the_replay(
    pipeline_kafka: str, sender: Sender, tmp_path: Path
) -> None:
    app_id = unique_app_id("replay")
    await prepare_app(pipeline_kafka, app_id, without=[DEDUP_PLACE])
    citizen_stage = internal_topic_name(app_id, DEDUP_CITIZEN)
    watcher = await Watcher(pipeline_kafka, [topics.CASES, citizen_stage]).start()
    first = start_worker(pipeline_kafka, app_id, tmp_path, "first")
    second = None
    try:
        await first.ready()
        tag = uuid.uuid4().hex[:10]
        sub = submission_event(
            f"replay-{tag}",
            f"Buca profonda in via Padova 12 [{tag}]",
            datetime.now(UTC),
            hint="buche_stradali",
            phone=f"+39 3{random.randrange(10**8, 10**9)}",
        )
        await sender.send(topics.INTAKE, sub)
        await watcher.until(
            lambda: [t for t, _ in watcher.other if t == citizen_stage], 60, "stage B's input"
        )
        await asyncio.sleep(3)  # stage B decides, writes what it may, and waits on the topic
        first.kill()

        await create_internal_topics(pipeline_kafka, app_id, [DEDUP_PLACE])
        second = start_worker(pipeline_kafka, app_id, tmp_path, "second")
        case_id = case_id_for(sub.data.submission_id)
        try:
            await watcher.until(
                lambda: watcher.events(topics.CASES, subject=case_id, kind=CaseUpdated),
                90,
                "the case opened by the replay",
            )
        except AssertionError:
            raise AssertionError(f"second worker's log:\n{second.text()[-3000:]}") from None
    finally:
        first.stop()
        if second is not None:
            second.stop()
        await watcher.stop()
