"""The web intake's memory in PostgreSQL: idempotency keys, and what it accepted.

A request with an `Idempotency-Key` first *claims* the key (a `pending` row), publishes, and
then marks it `accepted`; a retry finds the row and gets the same answer without publishing;
a concurrent duplicate finds the claim pending and is told to retry (409); a key reused for
another request is refused (422), as the IETF idempotency-key draft says. A claim left pending
by a crash is taken over after the lease, so a key is never stuck. Requests without a key
leave an `accepted` row too (`record_soon`, off the answer's path): it is what the status
lookup knows before the case exists.
Receipts are kept for a retention period (`idempotency_retention_days`, longer than any
client retries and than the pipeline takes to open the case) and then `purge`d.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg

from ingestors.web.batcher import Batcher
from runtime.store_access import store_connection

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class _Claim:
    client_id: str
    key: str
    fingerprint: str
    tracking_id: str
    channel: str
    service_code: str | None
    now: datetime


def _rows(claims: Sequence[_Claim]) -> str:
    """The claims as one JSON array of rows, which SQL reads with jsonb_array_elements:
    encoding seven parameter arrays element by element cost the intake's one thread more
    than PostgreSQL takes to read the JSON."""
    return json.dumps(
        [
            (c.client_id, c.key, c.fingerprint, c.tracking_id, c.now.isoformat(), c.channel,
             c.service_code)
            for c in claims
        ]
    )  # fmt: skip


# `_rows`'s JSON array ($1) as a table of claims: c, k, f, t, n, ch, sc.
_CLAIM_ROWS = (
    "(select r->>0 c, r->>1 k, r->>2 f, r->>3 t, (r->>4)::timestamptz n, r->>5 ch, r->>6 sc"
    " from jsonb_array_elements($1::jsonb) r) u"
)


@dataclass(frozen=True)
class _Accept:
    client_id: str
    key: str
    at: datetime


class ReceiptStore:
    """The port onto `web_intake_receipts`. Every method raises `StoreUnavailable` when
    PostgreSQL cannot answer. Claims, acceptances and records made at the same time go to
    PostgreSQL together, one statement per kind (`Batcher`)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        lease_s: float = 30.0,
        timeout_s: float = 5.0,
        max_unwritten: int = 10_000,
    ):
        self._pool = pool
        self._max_unwritten = max_unwritten
        self._unwritten: dict[str, Receipt] = {}
        self._lease = timedelta(seconds=lease_s)
        self._timeout = timeout_s
        self._claims: Batcher[_Claim, Claimed | Replay | KeyConflict] = Batcher(self._claim_all)
        self._accepts: Batcher[_Accept, None] = Batcher(self._accept_all)
        self._records: Batcher[_Claim, None] = Batcher(self._record_all)

    def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        return store_connection(self._pool, self._timeout)

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
        return await self._claims.submit(
            _Claim(client_id, key, fingerprint, tracking_id, channel, service_code, now)
        )

    async def _claim_all(self, claims: list[_Claim]) -> list[Claimed | Replay | KeyConflict]:
        # A key twice in one batch: the first claims it, the others judge what it left.
        firsts = list({(c.client_id, c.key): c for c in reversed(claims)}.values())
        async with self._conn() as conn:
            won = {
                (r["client_id"], r["idempotency_key"])
                for r in await conn.fetch(
                    "insert into web_intake_receipts as r (client_id, idempotency_key,"  # noqa: S608
                    " fingerprint, tracking_id, state, claimed_at, channel, service_code)"
                    f" select c, k, f, t, 'pending', n, ch, sc from {_CLAIM_ROWS}"
                    " on conflict (client_id, idempotency_key) do update"
                    " set claimed_at = excluded.claimed_at"
                    " where r.state = 'pending' and r.fingerprint = excluded.fingerprint"
                    " and r.claimed_at < $2"
                    " returning client_id, idempotency_key",
                    _rows(firsts),
                    min(c.now for c in firsts) - self._lease,
                )
            }
            claimed: dict[tuple[str, str], _Claim] = {
                (c.client_id, c.key): c for c in firsts if (c.client_id, c.key) in won
            }
            others = [c for c in claims if claimed.get((c.client_id, c.key)) is not c]
            rows = {}
            if others:
                rows = {
                    (r["client_id"], r["idempotency_key"]): KeyRow(
                        r["fingerprint"], r["tracking_id"], r["state"], r["claimed_at"]
                    )
                    for r in await conn.fetch(
                        "select client_id, idempotency_key, fingerprint, tracking_id, state,"
                        " claimed_at from web_intake_receipts r join unnest($1::text[],"
                        " $2::text[]) as u(c, k) on r.client_id = u.c and r.idempotency_key = u.k",
                        [c.client_id for c in others],
                        [c.key for c in others],
                    )
                }
        out: list[Claimed | Replay | KeyConflict] = []
        for c in claims:
            if claimed.get((c.client_id, c.key)) is c:
                out.append(Claimed(c.now))
            elif (row := rows.get((c.client_id, c.key))) is None:
                out.append(KeyConflict("in_progress"))  # released meanwhile: retry at once
            else:
                out.append(judge(row, c.fingerprint))
        return out

    async def accept(self, client_id: str, key: str, *, at: datetime) -> None:
        await self._accepts.submit(_Accept(client_id, key, at))

    async def _accept_all(self, accepts: list[_Accept]) -> list[None]:
        async with self._conn() as conn:
            await conn.execute(
                "update web_intake_receipts r set state = 'accepted', accepted_at = u.at"
                " from unnest($1::text[], $2::text[], $3::timestamptz[]) as u(c, k, at)"
                " where r.client_id = u.c and r.idempotency_key = u.k",
                [a.client_id for a in accepts],
                [a.key for a in accepts],
                [a.at for a in accepts],
            )
        return [None] * len(accepts)

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
        await self._records.submit(
            _Claim(client_id, key, fingerprint, tracking_id, channel, service_code, at)
        )

    async def record_soon(
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
        """`record`, without waiting for PostgreSQL unless `max_unwritten` records already
        wait: until its row is written, this store answers `receipts` and `recent` from
        memory, so a status lookup sent right after the answer finds the complaint. A row
        that cannot be written is logged; the case, once opened, answers for it."""
        receipt = Receipt(tracking_id, channel, service_code, at)
        future = self._records.enqueue(
            _Claim(client_id, key, fingerprint, tracking_id, channel, service_code, at)
        )
        self._unwritten[tracking_id] = receipt
        future.add_done_callback(lambda f: self._written(receipt, f))
        if len(self._unwritten) > self._max_unwritten:
            await asyncio.wait([future])  # PostgreSQL is behind: slow the intake down

    def _written(self, receipt: Receipt, future: "asyncio.Future[None]") -> None:
        if self._unwritten.get(receipt.tracking_id) is receipt:
            del self._unwritten[receipt.tracking_id]
        if not future.cancelled() and (exc := future.exception()) is not None:
            log.warning("accepted %s but could not record it: %s", receipt.tracking_id, exc)

    async def flush(self) -> None:
        """Wait until every record made so far is written (or has failed): at shutdown."""
        await self._records.idle()

    async def _record_all(self, records: list[_Claim]) -> list[None]:
        async with self._conn() as conn:
            await conn.execute(
                "insert into web_intake_receipts (client_id, idempotency_key, fingerprint,"  # noqa: S608
                " tracking_id, state, claimed_at, accepted_at, channel, service_code)"
                f" select c, k, f, t, 'accepted', n, n, ch, sc from {_CLAIM_ROWS}"
                " on conflict do nothing",
                _rows(records),
            )
        return [None] * len(records)

    async def purge(self, *, before: datetime, batch: int = 5_000) -> int:
        """Forget receipts accepted before `before`, and claims left pending since then (a
        crash between claim and publish); return how many. Deletes in batches of `batch`
        rows, each its own short statement, so that requests are never held up for long."""
        purged = 0
        async with self._conn() as conn:
            while True:
                done = await conn.execute(
                    "delete from web_intake_receipts r using (select client_id,"
                    " idempotency_key from web_intake_receipts where accepted_at < $1"
                    " limit $2) old where r.client_id = old.client_id"
                    " and r.idempotency_key = old.idempotency_key",
                    before,
                    batch,
                )
                count = int(done.split()[-1])
                purged += count
                if count < batch:
                    break
            # Pending claims are few (a crash in the instant between claim and publish);
            # they have no index of their own, and one scan per purge is cheap.
            done = await conn.execute(
                "delete from web_intake_receipts where state = 'pending' and claimed_at < $1",
                before,
            )
        return purged + int(done.split()[-1])

    async def receipts(self, tracking_ids: Sequence[str]) -> dict[str, Receipt]:
        """The accepted receipts of these tracking numbers."""
        unwritten = {t: r for t in tracking_ids if (r := self._unwritten.get(t)) is not None}
        if len(unwritten) == len(tracking_ids):
            return unwritten
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select distinct on (tracking_id) tracking_id, channel, service_code,"
                " accepted_at from web_intake_receipts"
                " where tracking_id = any($1) and state = 'accepted'"
                " order by tracking_id, accepted_at",
                list(tracking_ids),
            )
        return {r["tracking_id"]: Receipt(**dict(r)) for r in rows} | unwritten

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
        found = {r["tracking_id"]: Receipt(**dict(r)) for r in rows}
        for r in list(self._unwritten.values()):
            if since <= r.accepted_at <= until and service_code in (None, r.service_code):
                found.setdefault(r.tracking_id, r)
        return sorted(found.values(), key=lambda r: r.accepted_at, reverse=True)[:limit]
