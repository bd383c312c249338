"""Writing case events into PostgreSQL, idempotently, one batch per transaction."""

import re
from collections.abc import Sequence

import asyncpg

from schemas.events import CaseUpdated

# PostgreSQL stores no NUL in text or jsonb ("\\u0000 cannot be converted to text"), and one
# such record would stop the sink for ever: NUL becomes U+FFFD, the replacement character.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def pg_json(text: str) -> str:
    """JSON text PostgreSQL's jsonb accepts: `\\u0000` escapes become `\\ufffd`."""
    return _JSON_NUL.sub(r"\1\\ufffd", text)


def pg_text(value: str | None) -> str | None:
    return value.replace("\x00", "\ufffd") if value is not None else None


def latest_per_case(events: Sequence[CaseUpdated]) -> list[CaseUpdated]:
    """The newest snapshot of each case in a batch (by version); older ones are history only."""
    newest: dict[str, CaseUpdated] = {}
    for event in events:
        current = newest.get(event.data.case_id)
        if current is None or event.data.version > current.data.version:
            newest[event.data.case_id] = event
    return list(newest.values())


class CaseStore:
    """The sink's one port onto PostgreSQL: `write(batch)`.

    Events go into the append-only `case_events` by event id (a replay inserts nothing);
    `cases` keeps the snapshot with the highest version (an older snapshot never overwrites
    a newer one, whatever order they arrive in).
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def write(self, events: Sequence[CaseUpdated]) -> None:
        if not events:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "insert into case_events (event_id, case_id, type, time, source, event)"
                " values ($1, $2, $3, $4, $5, $6::jsonb) on conflict (event_id) do nothing",
                [
                    (e.id, e.data.case_id, e.type, e.time, e.source, pg_json(e.model_dump_json()))
                    for e in events
                ],
            )
            newest = latest_per_case(events)
            await conn.executemany(
                "insert into cases (case_id, version, status, body, category, opened_at,"
                " legal_receipt_at, updated_at, deadline_at, snapshot)"
                " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)"
                " on conflict (case_id) do update set version = excluded.version,"
                " status = excluded.status, body = excluded.body, category = excluded.category,"
                " opened_at = excluded.opened_at, legal_receipt_at = excluded.legal_receipt_at,"
                " updated_at = excluded.updated_at, deadline_at = excluded.deadline_at,"
                " snapshot = excluded.snapshot where cases.version < excluded.version",
                [
                    (
                        s.case_id,
                        s.version,
                        s.status.value,
                        pg_text(s.body),
                        pg_text(s.category),
                        s.opened_at,
                        s.legal_receipt_at,
                        s.updated_at,
                        s.deadline_at,
                        pg_json(s.model_dump_json()),
                    )
                    for s in (e.data for e in newest)
                ],
            )
            await conn.executemany(
                "insert into case_tracking_ids (tracking_id, case_id, as_of) values ($1, $2, $3)"
                " on conflict (tracking_id) do update set case_id = excluded.case_id,"
                " as_of = excluded.as_of where case_tracking_ids.as_of < excluded.as_of",
                [
                    (t, e.data.case_id, e.data.updated_at)
                    for e in newest
                    for t in e.data.tracking_ids
                ],
            )
