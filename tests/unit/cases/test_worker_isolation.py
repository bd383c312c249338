"""Two worker apps with different ids on one cluster share only the public topics.

Each app has its own consumer group and tables; its internal topics (dedup stages, case
commands) must be its own too, or a second app (a staging worker, a test's worker with a
faster clock) would process the first one's commands and send it ticks from its future.
Builds the Faust apps without starting them (no broker needed).
"""

import faust

from processors.app import build_app
from processors.settings import WorkerSettings
from processors.stages.topology import build_topology, internal_topic_name
from runtime.topics import CASE_COMMANDS, DEDUP_CITIZEN, DEDUP_PLACE, DEDUP_RESOLVE
from schemas import topics


def subscribed(app_id: str) -> set[str]:
    app = build_app(WorkerSettings(worker_app_id=app_id, worker_clock_rate=1.0))
    names: set[str] = set()
    for agent in app.agents.values():
        names.update(agent.channel.topics)
    return names


def test_apps_with_different_ids_read_only_the_public_inputs_in_common() -> None:
    a, b = subscribed("sportello"), subscribed("sportello-test-a1")
    assert a & b == {topics.INTAKE, topics.STATUS}
    assert a >= {DEDUP_RESOLVE, DEDUP_CITIZEN, DEDUP_PLACE, CASE_COMMANDS}, (
        "the default app keeps the names `sportello topics` declares"
    )
    assert "sportello-test-a1.cases.commands" in b


def test_commands_go_to_the_apps_own_topic() -> None:
    app = faust.App("iso-b2", autodiscover=False)
    topic, key, _ = build_topology(app, 6).command("CASE-AAAA-BBBB-CCCC", b"{}")
    assert topic == "iso-b2.cases.commands" == internal_topic_name("iso-b2", CASE_COMMANDS)
    assert key == b"CASE-AAAA-BBBB-CCCC"
