"""The web intake's memory in PostgreSQL: idempotency keys, and what it accepted.

A request with an `Idempotency-Key` first *claims* the key (a `pending` row), publishes, and
then marks it `accepted`; a retry finds the row and gets the same answer without publishing;
a concurrent duplicate finds the claim pending and is told to retry (409); a key reused for
another request is refused (422), as the IETF idempotency-key draft says. A claim left pending
by a crash is taken over after the lease, so a key is never stuck. Requests without a key
leave an `accepted` row too: it is what the status lookup knows before the case exists.
"""

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg

from runtime.errors import StoreUnavailable

_DB_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass(frozen=True)
class Claimed:
    """The key is ours: publish, then `accept` (or `release` if publishing failed)."""

    claimed_at: datetime


@dataclass(frozen=True)
class Replay:
    """The key was used for this very request, which was accepted: answer the same."""

    tracking_id: str


@dataclass(frozen=True)
class KeyConflict:
    """`in_progress`: the same request is being handled now (409); `different_request`: the
    key was used for another request (422)."""

    reason: Literal["in_progress", "different_request"]


@dataclass(frozen=True)
class KeyRow:
    fingerprint: str
    tracking_id: str
    state: str
    claimed_at: datetime


def judge(row: KeyRow, fingerprint: str) -> Replay | KeyConflict:
    """What a request finds when its key is already there (pure)."""
    if row.fingerprint != fingerprint:
        return KeyConflict("different_request")
    if row.state == "accepted":
        return Replay(row.tracking_id)
    # Pending: someone is publishing it now, or crashed doing so; after the lease the claim
    # is taken over by `claim` itself, so this is the "now" case or a lost race for it.
    return KeyConflict("in_progress")


@dataclass(frozen=True)
class Receipt:
    """What the intake knows of an accepted complaint, before or besides its case."""

    tracking_id: str
    channel: str
    service_code: str | None
    accepted_at: datetime


class ReceiptStore:
    """The port onto `web_intake_receipts`. Every method raises `StoreUnavailable` when
    PostgreSQL cannot answer."""

    def __init__(self, pool: asyncpg.Pool, *, lease_s: float = 30.0, timeout_s: float = 5.0):
        self._pool = pool
        self._lease = timedelta(seconds=lease_s)
        self._timeout = timeout_s

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire(timeout=self._timeout) as conn:
                yield conn
        except _DB_ERRORS as exc:
            raise StoreUnavailable(f"PostgreSQL: {type(exc).__name__}: {exc}") from exc

    async def claim(
        self,
        client_id: str,
        key: str,
        fingerprint: str,
        *,
        tracking_id: str,
        channel: str,
        service_code: str | None,
        now: datetime,
    ) -> Claimed | Replay | KeyConflict:
        async with self._conn() as conn:
            won = await conn.fetchval(
                "insert into web_intake_receipts (client_id, idempotency_key, fingerprint,"
                " tracking_id, state, claimed_at, channel, service_code)"
                " values ($1, $2, $3, $4, 'pending', $5, $6, $7)"
                " on conflict (client_id, idempotency_key) do update"
                " set claimed_at = excluded.claimed_at"
                " where web_intake_receipts.state = 'pending'"
                " and web_intake_receipts.fingerprint = excluded.fingerprint"
                " and web_intake_receipts.claimed_at < $8"
                " returning true",
                client_id,
                key,
                fingerprint,
                tracking_id,
                now,
                channel,
                service_code,
                now - self._lease,
            )
            if won:
                return Claimed(now)
            row = await conn.fetchrow(
                "select fingerprint, tracking_id, state, claimed_at from web_intake_receipts"
                " where client_id = $1 and idempotency_key = $2",
                client_id,
                key,
            )
        if row is None:  # released between our two statements: the caller may retry at once
            return KeyConflict("in_progress")
        return judge(KeyRow(**dict(row)), fingerprint)

    async def accept(self, client_id: str, key: str, *, at: datetime) -> None:
        async with self._conn() as conn:
            await conn.execute(
                "update web_intake_receipts set state = 'accepted', accepted_at = $3"
                " where client_id = $1 and idempotency_key = $2",
                client_id,
                key,
                at,
            )

    async def release(self, client_id: str, key: str, *, claimed_at: datetime) -> None:
        """Forget a claim whose publish failed, so that a retry may publish."""
        async with self._conn() as conn:
            await conn.execute(
                "delete from web_intake_receipts where client_id = $1"
                " and idempotency_key = $2 and state = 'pending' and claimed_at = $3",
                client_id,
                key,
                claimed_at,
            )

    async def record(
        self,
        client_id: str,
        key: str,
        fingerprint: str,
        *,
        tracking_id: str,
        channel: str,
        service_code: str | None,
        at: datetime,
    ) -> None:
        """Remember a complaint accepted without a caller's key."""
        async with self._conn() as conn:
            await conn.execute(
                "insert into web_intake_receipts (client_id, idempotency_key, fingerprint,"
                " tracking_id, state, claimed_at, accepted_at, channel, service_code)"
                " values ($1, $2, $3, $4, 'accepted', $5, $5, $6, $7)"
                " on conflict do nothing",
                client_id,
                key,
                fingerprint,
                tracking_id,
                at,
                channel,
                service_code,
            )

    async def receipts(self, tracking_ids: Sequence[str]) -> dict[str, Receipt]:
        """The accepted receipts of these tracking numbers."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select distinct on (tracking_id) tracking_id, channel, service_code,"
                " accepted_at from web_intake_receipts"
                " where tracking_id = any($1) and state = 'accepted'"
                " order by tracking_id, accepted_at",
                list(tracking_ids),
            )
        return {r["tracking_id"]: Receipt(**dict(r)) for r in rows}

    async def recent(
        self, *, since: datetime, until: datetime, service_code: str | None, limit: int
    ) -> list[Receipt]:
        """Accepted receipts in a time range, newest first (for Open311's requests list)."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select tracking_id, channel, service_code, accepted_at"
                " from web_intake_receipts where state = 'accepted'"
                " and accepted_at >= $1 and accepted_at <= $2"
                " and ($3::text is null or service_code = $3)"
                " order by accepted_at desc limit $4",
                since,
                until,
                service_code,
                limit,
            )
        return [Receipt(**dict(r)) for r in rows]
