"""The bulk recovery's short way for plain-JSON tables decodes each changelog record as
Faust's own path does, and leaves it every record that way cannot decide."""

import json
from typing import Any

import faust
import pytest
from aiokafka.structs import ConsumerRecord

from processors.recovery import applied_json, plain_json

CASE = {"case_id": "CASE-0000-0000-0001", "status": "assigned", "version": 3, "tags": [1, 2.5]}


class Point(faust.Record):
    x: int


def record(key: Any, value: Any, *, raw: bool = False, offset: int = 0) -> ConsumerRecord:
    encode = (lambda v: v) if raw else (lambda v: None if v is None else json.dumps(v).encode())
    return ConsumerRecord(
        "app-cases-changelog", 2, offset, 0, 0, encode(key), encode(value), None, 0, 0, ()
    )


@pytest.fixture
def app() -> faust.App:
    return faust.App("recovery-test", store="memory://", key_serializer="json",
                     value_serializer="json")  # fmt: skip


def faust_decoded(app: faust.App, table: Any, r: ConsumerRecord) -> tuple[Any, Any]:
    schema = table.changelog_topic.schema
    key = app.serializers.loads_key(schema.key_type, r.key, serializer=schema.key_serializer)
    value = app.serializers.loads_value(
        schema.value_type, r.value, serializer=schema.value_serializer
    )
    return key, value


def test_our_kind_of_table_takes_the_short_way(app: faust.App) -> None:
    assert plain_json(app.Table("cases", default=None, key_type=str))
    assert plain_json(app.Table("any", default=None))


def test_tables_of_other_kinds_keep_faust_s_way(app: faust.App) -> None:
    assert not plain_json(app.Table("models", default=None, value_type=Point))
    assert not plain_json(app.Table("ints", default=None, key_type=int))


@pytest.mark.parametrize(
    ("key", "value"),
    [("CASE-0000-0000-0001", CASE), ("s:SP-1", "c:abc"), ("n", 3), ("k", None), ("k", [])],
)
def test_records_decode_as_faust_decodes_them(app: faust.App, key: Any, value: Any) -> None:
    table = app.Table("cases", default=None, key_type=str)
    r = record(key, value)
    applied = applied_json(r)
    assert applied is not None
    assert (applied.key, applied.value) == faust_decoded(app, table, r)
    assert (applied.message.value, applied.message.partition) == (r.value, r.partition)


def test_a_table_fills_alike_either_way(app: faust.App) -> None:
    records = [record(f"k{i % 7}", {"n": i}, offset=i) for i in range(30)]
    records.append(record("k3", None, offset=30))  # a deletion
    short, faust_way = (app.Table(n, default=None, key_type=str) for n in ("short", "long"))
    short.apply_changelog_batch([applied_json(r) for r in records])
    faust_way.apply_changelog_batch([
        app.conf.Event(app, *faust_decoded(app, faust_way, r), (), r) for r in records
    ])  # fmt: skip
    assert dict(short.data) == dict(faust_way.data) and "k3" not in short.data


@pytest.mark.parametrize(
    "raw",
    [(b"not json", b"{}"), (b'"k"', b"{broken"), (b"12", b"{}"), (b'"k"', b'{"__faust": {}}')],
)
def test_what_the_short_way_cannot_decide_goes_faust_s_way(raw: tuple[bytes, bytes]) -> None:
    assert applied_json(record(*raw, raw=True)) is None
