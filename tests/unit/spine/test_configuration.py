"""Bodies, taxonomy, topics and settings: the declared configuration is coherent."""

import pytest
from pydantic import SecretStr, ValidationError

from ingestors.web.settings import DEV_API_KEY, WebSettings
from processors.bodies import load_bodies, parse_bodies
from processors.taxonomy import load_taxonomy, parse_taxonomy
from runtime.settings import CommonSettings
from runtime.topics import (
    CASE_COMMANDS,
    DEDUP_CITIZEN,
    DEDUP_PLACE,
    DEDUP_RESOLVE,
    declared_topics,
)
from schemas import topics

INTERNAL = (DEDUP_RESOLVE, DEDUP_CITIZEN, DEDUP_PLACE, CASE_COMMANDS)


def test_every_category_belongs_to_a_known_body_and_every_body_has_work() -> None:
    bodies = {b.id for b in load_bodies()}
    categories = load_taxonomy(body_ids=frozenset(bodies))
    assert len(bodies) == 14
    assert {c.body for c in categories} == bodies


def test_bodies_and_categories_must_be_unique_and_known() -> None:
    body = '[[body]]\nid = "strade"\nname = "Strade"\nkind = "internal"\n'
    with pytest.raises(ValueError, match="more than once"):
        parse_bodies(body + body)
    with pytest.raises(ValidationError):
        parse_bodies('[[body]]\nid = "Strade!"\nname = "x"\nkind = "internal"\n')
    with pytest.raises(ValueError, match="no body"):
        parse_bodies("")
    cat = '[[category]]\ncode = "buche"\nbody = "nowhere"\nname_it = "b"\nname_en = "p"\n'
    with pytest.raises(ValueError, match="unknown bodies"):
        parse_taxonomy(cat, frozenset({"strade"}))


def test_the_declared_topics_are_the_design_s_kinds() -> None:
    specs = {s.name: s for s in declared_topics(["strade", "acqua"], partitions=6, replication=3)}
    assert set(specs) == {
        topics.INTAKE,
        topics.CASES,
        "complaints.routed.strade",
        "complaints.routed.acqua",
        topics.STATUS,
        topics.NOTIFICATIONS,
        topics.TRIAGE,
        topics.SLA,
        topics.METRICS,
        topics.DEADLETTER,
        *INTERNAL,
    }
    assert specs[topics.CASES].config["cleanup.policy"] == "compact"
    assert specs[DEDUP_RESOLVE].partitions == specs[DEDUP_PLACE].partitions == 1
    assert all(
        s.partitions == 6 and s.replication == 3
        for s in specs.values()
        if s.name not in (DEDUP_RESOLVE, DEDUP_PLACE)
    )
    assert all(s.config["min.insync.replicas"] == "2" for s in specs.values())
    single = declared_topics(["strade"], partitions=1, replication=1)
    assert all(s.config["min.insync.replicas"] == "1" for s in single)


def test_settings_read_the_environment_and_arguments_override_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPORTELLO_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("SPORTELLO_TOPIC_PARTITIONS", "12")
    s = CommonSettings()
    assert s.kafka_bootstrap == "k1:9092,k2:9092"
    assert s.topic_partitions == 12
    assert CommonSettings(topic_partitions=3).topic_partitions == 3
    monkeypatch.setenv("SPORTELLO_TOPIC_PARTITIONS", "none")
    with pytest.raises(ValidationError):
        CommonSettings()


def test_production_refuses_to_run_without_api_keys() -> None:
    with pytest.raises(ValueError, match="SPORTELLO_API_KEYS"):
        WebSettings(environment="production", api_keys=()).effective_api_keys()
    assert WebSettings(api_keys=()).effective_api_keys() == (DEV_API_KEY,)
    configured = WebSettings(api_keys=(SecretStr("k-1"),), environment="production")
    assert configured.effective_api_keys() == ("k-1",)
    assert "k-1" not in repr(configured)
