"""The metrics stream equals a reference computation in SQL over the store.

The reference below is written independently of `sinks.postgres.figures`: it reads the
events' JSON in `case_events` and `dead_letters` (not the columns the sink extracts into
`submissions` and `case_versions`), and aggregates in SQL (`percentile_cont`, `avg`) where
the implementation aggregates in Python.
"""

import uuid
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from runtime.publisher import Publisher
from schemas import topics as topic_names
from schemas.case import CaseStatus
from schemas.events import CaseUpdated, MetricsReported, decode_event
from schemas.metrics import BACKLOG_AGES, Figures, WindowSize
from sinks.postgres.publisher import FiguresCollector, MetricsPublisher
from sinks.postgres.replay import history_end_offsets, replay
from sinks.postgres.store import CaseStore
from sinks.postgres.windows import window_at
from tests.integration.record.histories import Request, dead_letters, histories
from tests.integration.record.streams import PrivateTopics
from tests.support import read_to_end

pytestmark = pytest.mark.integration

OPEN = ("received", "assigned", "acknowledged", "in_progress", "waiting_for_citizen", "reassigned")

REF_RECEIVED = """
with subs as (
    select distinct on (event -> 'data' ->> 'submission_id')
           event -> 'data' ->> 'submission_id' as sid, event -> 'data' ->> 'channel' as channel,
           (event -> 'data' ->> 'received_at')::timestamptz as at
    from case_events where type = 'sportello.submission.received'
    order by event -> 'data' ->> 'submission_id', event_id
), latest as (
    select distinct on (event -> 'data' ->> 'case_id') event -> 'data' as s
    from case_events where type = 'sportello.case.updated'
    order by event -> 'data' ->> 'case_id', (event -> 'data' ->> 'version')::int desc
), owner as (
    select t.tid, l.s ->> 'category' as category, l.s ->> 'body' as body
    from latest l, jsonb_array_elements_text(l.s -> 'tracking_ids') as t(tid)
)
select subs.channel, coalesce(o.category, 'unsorted') as category,
       coalesce(o.body, 'unsorted') as body
from subs left join owner o on o.tid = subs.sid
where subs.at >= $1 and subs.at < $2
"""

REF_RESOLVED = """
with v as (
    select event -> 'data' ->> 'case_id' as case_id,
           (event -> 'data' ->> 'version')::int as version,
           event -> 'data' ->> 'status' as status, event -> 'data' ->> 'body' as body,
           (event -> 'data' ->> 'updated_at')::timestamptz as at,
           (event -> 'data' ->> 'deadline_at')::timestamptz as deadline,
           (event -> 'data' ->> 'legal_receipt_at')::timestamptz as receipt
    from case_events where type = 'sportello.case.updated'
), chained as (
    select *, lag(status) over (partition by case_id order by version) as before from v
), done as (
    select * from chained
    where status = 'resolved' and before is distinct from 'resolved' and at >= $1 and at < $2
)
select count(*) as n,
       count(*) filter (where deadline is not null and at <= deadline) as within,
       avg(greatest(0, extract(epoch from at - receipt)) / 86400) as mean,
       percentile_cont(0.5) within group
           (order by greatest(0, extract(epoch from at - receipt)) / 86400) as median,
       (select coalesce(jsonb_object_agg(body, k), '{}') from
           (select body, count(*) as k from done where body is not null group by body) per
       ) as by_body
from done
"""

REF_OPEN = """
with v as (
    select event -> 'data' ->> 'case_id' as case_id,
           (event -> 'data' ->> 'version')::int as version,
           event -> 'data' ->> 'status' as status,
           (event -> 'data' ->> 'updated_at')::timestamptz as at,
           (event -> 'data' ->> 'legal_receipt_at')::timestamptz as receipt
    from case_events where type = 'sportello.case.updated'
), current as (
    select distinct on (case_id) * from v where at < $1 order by case_id, version desc
)
select status, case
    when extract(epoch from $1 - receipt) / 86400 < 7 then '0-7d'
    when extract(epoch from $1 - receipt) / 86400 < 15 then '7-15d'
    when extract(epoch from $1 - receipt) / 86400 < 30 then '15-30d'
    when extract(epoch from $1 - receipt) / 86400 < 60 then '30-60d'
    else '60d+' end as age
from current where status = any($2::text[])
"""

REF_TYPED = """
select event -> 'data' ->> $3 as key, count(distinct event_id) as n from case_events
where type = $4 and time >= $1 and time < $2 group by 1
"""

REF_DEAD = """
select event -> 'data' ->> 'reason' as reason, count(*) as n from dead_letters
where (event -> 'data' ->> 'received_at')::timestamptz >= $1
  and (event -> 'data' ->> 'received_at')::timestamptz < $2
group by 1
"""


def tally(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


async def reference(pool: asyncpg.Pool, f: Figures) -> dict[str, Any]:
    """The figures of `f`'s window, by the reference queries."""
    a, b = f.start, f.end
    received = await pool.fetch(REF_RECEIVED, a, b)
    res = await pool.fetchrow(REF_RESOLVED, a, b)
    open_at = await pool.fetch(REF_OPEN, b, list(OPEN))
    routed = {
        r["key"]: r["n"]
        for r in await pool.fetch(REF_TYPED, a, b, "body", "sportello.case.assigned")
    }
    alerts = {
        r["key"]: r["n"] for r in await pool.fetch(REF_TYPED, a, b, "kind", "sportello.sla.alert")
    }
    dead = {r["reason"]: r["n"] for r in await pool.fetch(REF_DEAD, a, b)}
    ages = {label: 0 for label in BACKLOG_AGES} | tally([r["age"] for r in open_at])
    by_body = dict(decode_json(res["by_body"]))
    return {
        "received": len(received),
        "received_by_channel": tally([r["channel"] for r in received]),
        "received_by_category": tally([r["category"] for r in received]),
        "received_by_body": tally([r["body"] for r in received]),
        "routed": sum(routed.values()),
        "routed_by_body": routed,
        "resolved": res["n"],
        "resolved_by_body": by_body,
        "resolved_within_deadline": res["within"],
        "resolved_within_deadline_share": res["within"] / res["n"] if res["n"] else None,
        "mean_days_to_resolution": float(res["mean"]) if res["mean"] is not None else None,
        "median_days_to_resolution": res["median"],
        "open_backlog": len(open_at),
        "open_backlog_by_age": ages,
        "triage_queue": sum(1 for r in open_at if r["status"] == "received"),
        "sla_warnings": sum(n for k, n in alerts.items() if k.startswith("warning")),
        "sla_breaches": alerts.get("breach", 0),
        "dead_letters": sum(dead.values()),
        "dead_letters_by_reason": dead,
    }


def decode_json(value: str | None) -> dict[str, int]:
    import json

    return dict(json.loads(value)) if value else {}


def assert_equal(f: Figures, ref: dict[str, Any]) -> None:
    for name, want in ref.items():
        got = getattr(f, name)
        if isinstance(want, float) or isinstance(got, float):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{f.window} {f.start}: {name}"
        else:
            assert got == want, f"{f.window} {f.start}: {name}"


async def test_the_metrics_stream_equals_the_reference_in_sql(
    db: asyncpg.Pool, topics: PrivateTopics, nyc_requests: list[Request]
) -> None:
    salt = uuid.uuid4().hex[:8]
    shift = timedelta(days=2000 + uuid.uuid4().int % 1000)
    feed = [i for h in histories(nyc_requests, salt=salt, shift=shift) for i in h.published]
    feed += dead_letters(nyc_requests, salt=salt, shift=shift, every=20)
    await topics.publish(feed)
    await replay(db, topics.bootstrap, truncate=False, pattern=topics.pattern)

    metrics_topic = topics.name(topic_names.METRICS)
    start = await history_end_offsets(topics.bootstrap, f"^{metrics_topic.replace('.', '[.]')}$")
    publisher = Publisher(topics.bootstrap, client_id="test-metrics")
    collector = FiguresCollector()
    metrics = MetricsPublisher(
        db, publisher.publish_many, collector=collector, topic=metrics_topic
    )
    arrivals = sorted(r.created + shift for r in nyc_requests)
    busiest = arrivals[-1]  # the day's last arrivals
    rounds = [
        arrivals[len(arrivals) // 2] + timedelta(minutes=2),
        busiest + timedelta(minutes=2),
        busiest + timedelta(hours=1, minutes=1),
    ]
    day_end = (busiest + timedelta(days=1)).replace(hour=0, minute=1, tzinfo=busiest.tzinfo)
    rounds.append(day_end.astimezone(UTC) + timedelta(hours=12))
    try:
        published = [e for now in rounds for e in await metrics.round(now)]
        assert await metrics.round(rounds[-1]) == [], "unchanged figures are not published again"
    finally:
        await publisher.stop()

    records = await read_to_end(topics.bootstrap, start)
    seen = [decode_event(r.value) for r in records]
    assert sorted(e.id for e in seen) == sorted(e.id for e in published)
    assert all(isinstance(e, MetricsReported) for e in seen)
    sizes = {e.data.window for e in published if isinstance(e, MetricsReported)}
    assert sizes == set(WindowSize)
    # Every hour and day window, and the minute windows that saw arrivals, against the
    # reference (the reference reads all the JSON each time: a sample keeps the test short).
    checked = [
        e.data for e in published
        if e.data.window is not WindowSize.MINUTE or e.data.received or e.data.routed
    ]
    assert sum(1 for f in checked if f.window is WindowSize.MINUTE) >= 3
    for figures in checked:
        assert_equal(figures, await reference(db, figures))
    # The windows hold the real figures, not zeros.
    day = max((e.data for e in published if e.data.window is WindowSize.DAY),
              key=lambda f: f.received)
    assert day.received > 500 and day.resolved > 100 and day.sla_breaches > 10
    assert day.triage_queue > 10 and day.dead_letters > 10 and day.routed > 500
    assert day.resolved_within_deadline_share is not None
    assert 0 < day.resolved_within_deadline_share < 1

    # Prometheus shows the latest closed windows.
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    assert 'sportello_received_by_channel{channel="web",window="day"}' in text
    assert "sportello_open_backlog_by_age" in text


async def test_a_late_fact_publishes_a_correction_of_its_window(
    db: asyncpg.Pool, topics: PrivateTopics, nyc_requests: list[Request]
) -> None:
    salt = uuid.uuid4().hex[:8]
    shift = timedelta(days=2000 + uuid.uuid4().int % 1000)
    requests = nyc_requests[:200]
    feed = [i for h in histories(requests, salt=salt, shift=shift) for i in h.published]
    store = CaseStore(db)
    await store.write([e for _, e in feed])
    sent: list[Any] = []

    async def publish(items: Any) -> None:
        sent.extend(e for _, e in items)

    metrics = MetricsPublisher(db, publish)
    open_case = next(
        e.data for _, e in feed
        if isinstance(e, CaseUpdated) and e.data.status is CaseStatus.ASSIGNED
        and not any(isinstance(x, CaseUpdated) and x.data.case_id == e.data.case_id
                    and x.data.version > 1 for _, x in feed)
    )
    # Dated in the last minutes of the day, so that its minute, hour and day windows have all
    # been published once the day is over.
    last = max(r.created for r in requests) + shift
    day = window_at(WindowSize.DAY, last, ZoneInfo("Europe/Rome"))
    at = day.end - timedelta(minutes=5)
    now = day.end + timedelta(seconds=61)
    first = await metrics.round(now)
    before = {(e.data.window, e.data.start): e for e in first}
    # A resolution dated in a window already published reaches the store late.
    late = open_case.model_copy(
        update={"version": 2, "status": CaseStatus.RESOLVED, "updated_at": at}
    )
    await store.write(
        [CaseUpdated.new(late, source="/t", subject=late.case_id, time=at,
                         event_id=f"{late.case_id}@2")]
    )
    corrected = await metrics.round(now + timedelta(seconds=1))
    # Every published window the fact changes is published again, and only those: the
    # windows that hold it (one more resolved) and those after it (one case fewer open).
    changed = {k for k, e in before.items() if e.data.end > at}
    assert {(e.data.window, e.data.start) for e in corrected} == changed
    for e in corrected:
        old = before[(e.data.window, e.data.start)]
        assert e.id != old.id
        holds = e.data.start <= at < e.data.end
        assert e.data.resolved == old.data.resolved + (1 if holds else 0)
        assert e.data.open_backlog == old.data.open_backlog - 1
        assert_equal(e.data, await reference(db, e.data))
    assert {e.data.window for e in corrected if e.data.start <= at} == set(WindowSize)
