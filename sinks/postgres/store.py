"""Writing the record into PostgreSQL: one batch, one transaction, COPY then merge.

A batch's rows are copied (binary COPY) into temporary staging tables, then merged into the
tables by one script of `insert … select … on conflict` statements in the same transaction.
Every merge is idempotent and does not depend on how the stream was cut into batches:

- `case_events` and `dead_letters`: one row per event id, wherever it was seen. A second
  copy adds its topic to `topics`, fills the case id when it names the case (a follow-up
  forwarded to a body), and otherwise keeps the row unless its JSON sorts lower: a rule that
  gives the same row whichever copy comes first.
- `cases`: the snapshot with the highest version; `case_versions`: every version once, each
  with `valid_until`, the time of the next version known.
- `case_tracking_ids`: the case of each submission, from the latest snapshot that lists it.
- `submissions`, `attachments`: the first copy in partition order.

Erasure: the batch takes a SHARE lock on `erased`, which an erasure takes exclusively, so a
batch either sees an erasure and redacts, or is committed before the erasure redacts its rows.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from schemas.events import Event
from sinks.postgres.records import Message, Read, Rows, read_message, rows_for

STAGING: dict[str, str] = {
    "sink_events": "ord int, event_id text, case_id text, tracking_id text, type text,"
    " time timestamptz, source text, subject text, topics text[], event jsonb",
    "sink_versions": "ord int, case_id text, version int, event_id text, status text,"
    " body text, category text, channel text, opened_at timestamptz,"
    " legal_receipt_at timestamptz, updated_at timestamptz, deadline_at timestamptz,"
    " tracking_ids text[]",
    "sink_submissions": "ord int, submission_id text, event_id text, channel text,"
    " received_at timestamptz, legal_receipt_at timestamptz, language text,"
    " category_hint text, operator_id text, district text, attachments int,"
    " email_key text, phone_key text, tax_code_key text",
    "sink_attachments": "ord int, tracking_id text, sha256 text, event_id text, kind text,"
    " media_type text, size bigint, filename text",
    "sink_dead_letters": "ord int, event_id text, stage text, source_ref text, reason text,"
    " detail text, received_at timestamptz, raw_sha256 text, raw_location text,"
    " topics text[], event jsonb",
}

_SETUP = "lock table erased in share mode;\n" + "\n".join(
    f"create temp table if not exists {name} ({columns}) on commit delete rows;"
    for name, columns in STAGING.items()
)

# "Better" copy of an event: one that names the case, else the lower JSON. A total order,
# so the row ends the same whichever copy is written first.
_BETTER = (
    "((t.case_id is null and excluded.case_id is not null)"
    " or ((t.case_id is null) = (excluded.case_id is null) and excluded.event < t.event))"
)

MERGE_EVENTS = f"""
insert into case_events as t
    (event_id, case_id, tracking_id, type, time, source, subject, topics, event)
select distinct on (event_id)
    event_id, case_id, tracking_id, type, time, source, subject, topics, event
from sink_events
order by event_id, case_id is null, event
on conflict (event_id) do update set
    case_id = coalesce(t.case_id, excluded.case_id),
    tracking_id = coalesce(t.tracking_id, excluded.tracking_id),
    topics = array(select distinct x from unnest(t.topics || excluded.topics) x order by x),
    time = case when {_BETTER} then excluded.time else t.time end,
    source = case when {_BETTER} then excluded.source else t.source end,
    subject = case when {_BETTER} or t.subject is null then excluded.subject else t.subject end,
    event = case when {_BETTER} then excluded.event else t.event end
where not (excluded.topics <@ t.topics)
    or (t.tracking_id is null and excluded.tracking_id is not null)
    or t.subject is null
    or {_BETTER};
"""  # noqa: S608 (built from constants)

MERGE_VERSIONS = """
insert into case_versions (case_id, version, event_id, status, body, category, channel,
    opened_at, legal_receipt_at, updated_at, deadline_at)
select distinct on (case_id, version) case_id, version, event_id, status, body, category,
    channel, opened_at, legal_receipt_at, updated_at, deadline_at
from sink_versions order by case_id, version, ord
on conflict (case_id, version) do nothing;
update case_versions v set valid_until = n.next_at
from (select case_id, version,
             lead(updated_at) over (partition by case_id order by version) as next_at
      from case_versions where case_id in (select case_id from sink_versions)) n
where v.case_id = n.case_id and v.version = n.version
    and v.valid_until is distinct from n.next_at;
insert into cases as c (case_id, version, status, body, category, opened_at, legal_receipt_at,
    updated_at, deadline_at, snapshot)
select distinct on (v.case_id) v.case_id, v.version, v.status, v.body, v.category, v.opened_at,
    v.legal_receipt_at, v.updated_at, v.deadline_at, e.event -> 'data'
from sink_versions v join case_events e on e.event_id = v.event_id
order by v.case_id, v.version desc, v.ord
on conflict (case_id) do update set version = excluded.version, status = excluded.status,
    body = excluded.body, category = excluded.category, opened_at = excluded.opened_at,
    legal_receipt_at = excluded.legal_receipt_at, updated_at = excluded.updated_at,
    deadline_at = excluded.deadline_at, snapshot = excluded.snapshot
where c.version < excluded.version;
insert into case_tracking_ids as t (tracking_id, case_id, as_of)
select distinct on (tid) tid, case_id, updated_at
from sink_versions, unnest(tracking_ids) as tid
order by tid, updated_at desc, version desc
on conflict (tracking_id) do update set case_id = excluded.case_id, as_of = excluded.as_of
where t.as_of < excluded.as_of;
"""

MERGE_SUBMISSIONS = """
insert into submissions (submission_id, event_id, channel, received_at, legal_receipt_at,
    language, category_hint, operator_id, district, attachments, email_key, phone_key,
    tax_code_key)
select distinct on (submission_id) submission_id, event_id, channel, received_at,
    legal_receipt_at, language, category_hint, operator_id, district, attachments, email_key,
    phone_key, tax_code_key
from sink_submissions order by submission_id, ord
on conflict (submission_id) do nothing;
"""

MERGE_ATTACHMENTS = """
insert into attachments (tracking_id, sha256, event_id, kind, media_type, size, filename)
select distinct on (tracking_id, sha256) tracking_id, sha256, event_id, kind, media_type,
    size, filename
from sink_attachments order by tracking_id, sha256, ord
on conflict (tracking_id, sha256) do nothing;
"""

_BETTER_LETTER = "(excluded.event < t.event or (t.event is null and excluded.event is not null))"
_LETTER_COLUMNS = (
    "stage", "source_ref", "reason", "detail", "received_at", "raw_sha256", "raw_location", "event"
)

MERGE_DEAD_LETTERS = f"""
insert into dead_letters as t (event_id, {", ".join(_LETTER_COLUMNS)}, topics)
select distinct on (event_id) event_id, {", ".join(_LETTER_COLUMNS)}, topics
from sink_dead_letters
order by event_id, event is null, event
on conflict (event_id) do update set
    topics = array(select distinct x from unnest(t.topics || excluded.topics) x order by x),
    {", ".join(f"{c} = case when {_BETTER_LETTER} then excluded.{c} else t.{c} end"
               for c in _LETTER_COLUMNS)}
where not (excluded.topics <@ t.topics) or {_BETTER_LETTER};
"""  # noqa: S608 (built from constants)

_MERGES = (
    ("sink_events", "events", MERGE_EVENTS),
    ("sink_versions", "versions", MERGE_VERSIONS),
    ("sink_submissions", "submissions", MERGE_SUBMISSIONS),
    ("sink_attachments", "attachments", MERGE_ATTACHMENTS),
    ("sink_dead_letters", "dead_letters", MERGE_DEAD_LETTERS),
)

# Tables rebuilt by a replay. Not `erased`/`erasures` (an erasure outlives a replay), not
# `metrics_published`, and none of another component's tables.
RECORD_TABLES = (
    "case_events",
    "cases",
    "case_tracking_ids",
    "case_versions",
    "submissions",
    "attachments",
    "dead_letters",
)


_EVENT_COLUMNS = (
    "event_id", "case_id", "tracking_id", "type", "time", "source", "subject", "topics", "event"
)


async def _copy_new_events(
    conn: asyncpg.Connection, events: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Copy straight into `case_events` the batch's events that are not stored yet and are
    there once (the usual case: for them the merge is a plain insert, so no staging and no
    merge); return the others, for the merge. The cheap look first spares a failed COPY; the
    savepoint covers another sink storing one of them in between, and then all are merged."""
    copies = Counter(r[1] for r in events)
    single = [r[1] for r in events if copies[r[1]] == 1]
    if not single:
        return events
    stored = {
        r[0]
        for r in await conn.fetch(
            "select event_id from case_events where event_id = any($1::text[])", single
        )
    }
    new = {i for i in single if i not in stored}
    if not new:
        return events
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "case_events",
                records=[r[1:] for r in events if r[1] in new],
                columns=_EVENT_COLUMNS,
            )
    except asyncpg.UniqueViolationError:
        return events
    return [r for r in events if r[1] not in new]


def _as_read(item: Read | Event[Any]) -> Read:
    # A bare event is read as if it came off a topic, so it meets the same checks.
    if isinstance(item, Event):
        return read_message(Message("", 0, 0, 0, item.to_json()))
    return item


class CaseStore:
    """The sink's one port onto PostgreSQL: `write(batch)`, all of it or nothing.

    Takes what `records.read_message` made of each message (or bare events, whose topic is
    then unknown). Raises asyncpg's errors: the sink decides what is worth a retry.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def write(self, items: Sequence[Read | Event[Any]]) -> int:
        """Write a batch in one transaction; return how many rows it staged."""
        reads = [_as_read(i) for i in items]
        return await self.write_rows(rows_for(reads, frozenset()), lambda: reads)

    async def write_rows(self, rows: Rows, reads: Callable[[], Sequence[Read]]) -> int:
        """Write rows computed ahead as `rows_for(reads(), frozenset())` (the sink does so
        while the previous batch is written). If the store says some of the batch's subjects
        are erased, the rows are made again from `reads()`, redacted."""
        if rows.count() == 0:
            return 0
        async with self._pool.acquire() as conn:
            try:
                return await self._write_rows(conn, rows, reads)
            except BaseException:
                # A batch cut short (PostgreSQL going down mid-COPY, a cancellation) can
                # leave the connection inside an unfinished operation, and the pool would
                # hand it out again: asyncpg then refuses every statement on it
                # (InternalClientError, "another operation is in progress"). Failures are
                # rare; a new connection is cheap beside a wedged sink.
                conn.terminate()
                raise

    async def _write_rows(
        self, conn: asyncpg.Connection, rows: Rows, reads: Callable[[], Sequence[Read]]
    ) -> int:
        async with conn.transaction():
            await conn.execute(_SETUP)
            erased: dict[str, int] = {}
            if await conn.fetchval("select exists (select 1 from erased)"):
                found = await conn.fetch(
                    "select subject_id, erasure_id from erased"
                    " where subject_id = any($1::text[])",
                    list(rows.subjects),
                )
                erased = {r["subject_id"]: r["erasure_id"] for r in found}
            if erased:
                rows = rows_for(reads(), frozenset(erased))
            if rows.newly_erased:
                await conn.executemany(
                    "insert into erased (subject_id, erasure_id) values ($1, $2)"
                    " on conflict do nothing",
                    [(case_id, erased[via]) for case_id, via in sorted(rows.newly_erased.items())],
                )
            script = []
            for staging, attr, merge in _MERGES:
                records = getattr(rows, attr)
                if records and attr == "events":
                    records = await _copy_new_events(conn, records)
                if not records:
                    continue
                await conn.copy_records_to_table(staging, records=records)
                script.append(merge)
            if script:
                await conn.execute("\n".join(script))
        return rows.count()
