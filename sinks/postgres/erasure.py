"""Erasing a citizen's personal data from the store, on request or by the retention policy.

    report = await erase(pool, Identifier("email", "mario@example.it"), now=now)
    reports = await apply_retention(pool, keep=timedelta(days=1826), now=now)

An erasure finds the citizen's submissions (by the normalized identifier, or by a tracking
number), the cases they are in and every other submission merged into those cases; records
them in `erased` (so that the sink redacts whatever it writes about them later, a replay
included) and redacts what is stored (`privacy.redact`). The anonymous case stays, with its
channel, times, category, body, status and district, for the statistics. One row in
`erasures` records each erasure without the identifier that was asked for.

Runs in one transaction that takes `erased` exclusively against sinks' batches (which take
it shared), so no batch in flight can write unredacted rows after the erasure.

Not covered here: the topics keep what they carried until their retention, and the blob store
keeps attachments (their digests are in `attachments` for whoever purges it).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg
from pydantic import ValidationError

from schemas.case import CaseSnapshot
from schemas.events import decode_event
from sinks.postgres.privacy import email_key, phone_key, redact, redact_snapshot, tax_code_key

log = logging.getLogger(__name__)

IdentifierKind = Literal["email", "phone", "tax_code", "tracking_id"]


@dataclass(frozen=True)
class Identifier:
    kind: IdentifierKind
    value: str

    @property
    def key(self) -> str:
        match self.kind:
            case "email":
                return email_key(self.value)
            case "phone":
                return phone_key(self.value)
            case "tax_code":
                return tax_code_key(self.value)
            case "tracking_id":
                return self.value.strip().upper()
        raise AssertionError(self.kind)


@dataclass(frozen=True)
class Erasure:
    """What one erasure did. `erasure_id` is None when nothing matched (nothing recorded)."""

    erasure_id: int | None
    reason: Literal["request", "retention"]
    identifier_kind: str
    case_ids: tuple[str, ...]
    tracking_ids: tuple[str, ...]
    rows_redacted: int


_SUBMISSIONS_BY = {
    "email": "select submission_id from submissions where email_key = $1",
    "phone": "select submission_id from submissions where phone_key = $1",
    "tax_code": "select submission_id from submissions where tax_code_key = $1",
}
# Cases whose snapshot names the citizen, for cases stored before their submissions were.
_CASES_BY = {
    "email": "select case_id from cases where lower(snapshot -> 'citizen' ->> 'email') = $1",
    "tax_code": "select case_id from cases"
    " where upper(replace(snapshot -> 'citizen' ->> 'tax_code', ' ', '')) = $1",
}


async def _lock(conn: asyncpg.Connection) -> None:
    await conn.execute("lock table erased in share row exclusive mode")


async def _subjects(conn: asyncpg.Connection, who: Identifier) -> tuple[list[str], list[str]]:
    key = who.key
    if who.kind == "tracking_id":
        tracking = {key}
        cases: set[str] = set()
    else:
        tracking = {r[0] for r in await conn.fetch(_SUBMISSIONS_BY[who.kind], key)}
        by_case = _CASES_BY.get(who.kind)
        cases = {r[0] for r in await conn.fetch(by_case, key)} if by_case else set()
    cases |= {
        r[0]
        for r in await conn.fetch(
            "select case_id from case_tracking_ids where tracking_id = any($1::text[])",
            sorted(tracking),
        )
    }
    tracking |= {
        r[0]
        for r in await conn.fetch(
            "select tracking_id from case_tracking_ids where case_id = any($1::text[])",
            sorted(cases),
        )
    }
    return sorted(cases), sorted(tracking)


async def _redact_rows(conn: asyncpg.Connection, cases: list[str], tracking: list[str]) -> int:
    rows = await conn.fetch(
        "select event_id, event::text as event from case_events"
        " where case_id = any($1::text[]) or tracking_id = any($2::text[]) for update",
        cases,
        tracking,
    )
    redacted: list[tuple[str, str]] = []
    unreadable: list[tuple[str]] = []
    for r in rows:
        try:
            redacted.append((r["event_id"], redact(decode_event(r["event"])).model_dump_json()))
        except ValidationError:
            unreadable.append((r["event_id"],))
    await conn.executemany(
        "update case_events set event = $2::jsonb where event_id = $1", redacted
    )
    await conn.executemany(
        "update case_events set event = event - 'data' where event_id = $1", unreadable
    )
    snapshots = [
        (r["case_id"], redact_snapshot(CaseSnapshot.model_validate_json(r["snapshot"])))
        for r in await conn.fetch(
            "select case_id, snapshot::text as snapshot from cases"
            " where case_id = any($1::text[]) for update",
            cases,
        )
    ]
    await conn.executemany(
        "update cases set snapshot = $2::jsonb where case_id = $1",
        [(case_id, s.model_dump_json()) for case_id, s in snapshots],
    )
    count = len(rows) + len(snapshots)
    for sql in (
        "update submissions set email_key = null, phone_key = null, tax_code_key = null"
        " where submission_id = any($1::text[])",
        "update attachments set filename = null"
        " where tracking_id = any($1::text[]) and filename is not null",
    ):
        status = await conn.execute(sql, tracking)
        count += int(status.split()[-1])
    return count


async def _erase(
    conn: asyncpg.Connection,
    cases: list[str],
    tracking: list[str],
    *,
    kind: str,
    reason: Literal["request", "retention"],
    now: datetime,
) -> Erasure:
    erasure_id = await conn.fetchval(
        "insert into erasures (requested_at, reason, identifier_kind, case_ids, tracking_ids,"
        " rows_redacted) values ($1, $2, $3, $4, $5, 0) returning erasure_id",
        now,
        reason,
        kind,
        cases,
        tracking,
    )
    await conn.executemany(
        "insert into erased (subject_id, erasure_id) values ($1, $2) on conflict do nothing",
        [(s, erasure_id) for s in [*cases, *tracking]],
    )
    rows = await _redact_rows(conn, cases, tracking)
    await conn.execute(
        "update erasures set rows_redacted = $2 where erasure_id = $1", erasure_id, rows
    )
    return Erasure(erasure_id, reason, kind, tuple(cases), tuple(tracking), rows)


async def erase(pool: asyncpg.Pool, who: Identifier, *, now: datetime) -> Erasure:
    """Erase the personal data of the citizen `who` names; log and return what was done."""
    async with pool.acquire() as conn, conn.transaction():
        await _lock(conn)
        cases, tracking = await _subjects(conn, who)
        if not cases and not tracking:
            log.info("erasure by %s: nothing stored matches", who.kind)
            return Erasure(None, "request", who.kind, (), (), 0)
        done = await _erase(conn, cases, tracking, kind=who.kind, reason="request", now=now)
    log.info(
        "erasure %d by %s: %d cases, %d submissions, %d rows redacted",
        done.erasure_id,
        who.kind,
        len(done.case_ids),
        len(done.tracking_ids),
        done.rows_redacted,
    )
    return done


async def apply_retention(
    pool: asyncpg.Pool,
    *,
    keep: timedelta,
    now: datetime,
    limit: int = 1000,
    dry_run: bool = False,
) -> list[Erasure]:
    """Erase the personal data of cases closed or rejected more than `keep` ago (at most
    `limit` per call, oldest first), one erasure per case, each logged."""
    done: list[Erasure] = []
    async with pool.acquire() as conn:
        due = await conn.fetch(
            "select case_id from cases where status in ('closed', 'rejected')"
            " and updated_at < $1 and case_id not in (select subject_id from erased)"
            " order by updated_at limit $2",
            now - keep,
            limit,
        )
        for row in due:
            case_id = row["case_id"]
            async with conn.transaction():
                await _lock(conn)
                tracking = sorted(
                    r[0]
                    for r in await conn.fetch(
                        "select tracking_id from case_tracking_ids where case_id = $1", case_id
                    )
                )
                if dry_run:
                    erasure = Erasure(None, "retention", "case", (case_id,), tuple(tracking), 0)
                else:
                    erasure = await _erase(
                        conn, [case_id], tracking, kind="case", reason="retention", now=now
                    )
            log.info(
                "retention%s: personal data of %s erased (closed before %s; %d rows)",
                " (dry run)" if dry_run else "",
                case_id,
                (now - keep).date().isoformat(),
                erasure.rows_redacted,
            )
            done.append(erasure)
    return done
