"""Reading the record's tables whole, for comparisons: every column but the times of
writing (`recorded_at`), as sets of rows."""

from collections.abc import Sequence
from typing import Any

import asyncpg

from schemas.events import CaseUpdated, Event, FollowUpReceived, SubmissionReceived
from sinks.postgres.store import RECORD_TABLES

Dump = dict[str, set[tuple[object, ...]]]


async def dump(pool: asyncpg.Pool) -> Dump:
    out: Dump = {}
    for table in RECORD_TABLES:
        columns = [
            r["column_name"]
            for r in await pool.fetch(
                "select column_name from information_schema.columns"
                " where table_name = $1 and column_name <> 'recorded_at' order by column_name",
                table,
            )
        ]
        # JSON as text, so rows compare as values; arrays as tuples, so they hash.
        select = ", ".join(
            f"{c}::text" if c in ("event", "snapshot") else c for c in columns
        )
        rows = await pool.fetch(f"select {select} from {table}")
        out[table] = {
            tuple(tuple(v) if isinstance(v, list) else v for v in r.values()) for r in rows
        }
    return out


def counts(tables: Dump) -> dict[str, int]:
    return {name: len(rows) for name, rows in tables.items()}


def expected_counts(feed: Sequence[tuple[str, Event[Any]]]) -> dict[str, int]:
    """How many rows each table must hold for `feed` (topic, event), counted without the
    sink: one row per fact, however often it was published and on however many topics."""
    events = {e.id: e for t, e in feed if not t.endswith("complaints.deadletter")}
    letters = {e.id for t, e in feed if t.endswith("complaints.deadletter")}
    snapshots = [e.data for e in events.values() if isinstance(e, CaseUpdated)]
    submissions = [e.data for e in events.values() if isinstance(e, SubmissionReceived)]
    attachments = {
        (e.data.submission_id if isinstance(e, SubmissionReceived) else e.data.tracking_id,
         b.sha256)
        for e in events.values()
        if isinstance(e, SubmissionReceived | FollowUpReceived)
        for b in (*e.data.attachments, *([e.data.raw] if e.data.raw else []))
    }
    return {
        "case_events": len(events),
        "cases": len({s.case_id for s in snapshots}),
        "case_tracking_ids": len({t for s in snapshots for t in s.tracking_ids}),
        "case_versions": len({(s.case_id, s.version) for s in snapshots}),
        "submissions": len({s.submission_id for s in submissions}),
        "attachments": len(attachments),
        "dead_letters": len(letters),
    }
