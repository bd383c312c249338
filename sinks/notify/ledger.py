"""The notifier's memory of what it sent, in PostgreSQL (`citizen_notifications`).

One row per notice. Before sending, a notifier claims the notice (`claim`); only the one that
gets the claim sends, so two notifiers sharing partitions during a rebalance cannot both mail
the citizen. After the relay accepted (or refused for good) it records the outcome (`settle`),
and after Kafka acknowledged the `sportello.case.notified` event it marks it published.

A crash between the relay's acceptance and `settle` leaves a `sending` claim: after the lease
another attempt sends again (with the same Message-ID). That window, one SMTP reply wide, is
the only way a citizen gets a message twice; the alternative, recording before sending, would
lose messages instead.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from runtime.errors import StoreUnavailable
from runtime.store_access import store_connection
from schemas.case import CaseStatus
from sinks.notify.plan import Notice


@dataclass(frozen=True)
class Settled:
    """A notice whose fate is known: sent (`delivered`) or refused for good."""

    notification_id: str
    case_id: str
    tracking_id: str
    answer_seq: int
    outcome: CaseStatus
    delivered: bool
    message_id: str | None
    reopen_link: bool
    detail: str | None
    sent_at: datetime
    published: bool


@dataclass(frozen=True)
class Claimed:
    """This notifier may send the notice now."""


@dataclass(frozen=True)
class Busy:
    """Another notifier claimed the notice within the lease; it is sending it."""


Claim = Settled | Claimed | Busy


class Ledger:
    """Raises `StoreUnavailable` when PostgreSQL cannot be reached."""

    def __init__(self, pool: asyncpg.Pool, *, lease: timedelta, timeout_s: float = 10.0) -> None:
        self._pool = pool
        self._lease = lease
        self._timeout = timeout_s

    def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        return store_connection(self._pool, self._timeout)

    async def claim(self, notice: Notice, *, now: datetime) -> Claim:
        """Claim `notice` for sending, or say why not: settled already, or claimed by another
        within the lease (a claim older than the lease is a crashed sender's: taken over)."""
        async with self._conn() as conn:
            taken = await conn.fetchval(
                "insert into citizen_notifications as n (notification_id, case_id, tracking_id,"
                " answer_seq, outcome, state, claimed_at) values ($1, $2, $3, $4, $5,"
                " 'sending', $6) on conflict (notification_id) do update set claimed_at = $6"
                " where n.state = 'sending' and n.claimed_at < $7 returning true",
                notice.notification_id,
                notice.case_id,
                notice.tracking_id,
                notice.answer.seq,
                notice.answer.outcome.value,
                now,
                now - self._lease,
            )
            if taken:
                return Claimed()
            row = await conn.fetchrow(
                "select * from citizen_notifications where notification_id = $1",
                notice.notification_id,
            )
        if row is None or row["state"] == "sending":
            return Busy()
        return _settled(row)

    async def release(self, notice: Notice, *, claimed_at: datetime) -> None:
        """Give up a claim after a failure worth a retry, so the retry need not wait out
        the lease; a claim another has taken over since is left alone."""
        async with self._conn() as conn:
            await conn.execute(
                "delete from citizen_notifications"
                " where notification_id = $1 and state = 'sending' and claimed_at = $2",
                notice.notification_id,
                claimed_at,
            )

    async def settle(
        self,
        notice: Notice,
        *,
        delivered: bool,
        message_id: str | None,
        reopen_link: bool,
        detail: str | None,
        at: datetime,
    ) -> Settled:
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "update citizen_notifications set state = $2, message_id = $3,"
                " reopen_link = $4, detail = $5, sent_at = $6"
                " where notification_id = $1 returning *",
                notice.notification_id,
                "sent" if delivered else "refused",
                message_id,
                reopen_link,
                detail,
                at,
            )
        if row is None:
            raise StoreUnavailable(f"the claim of {notice.notification_id} is gone")
        return _settled(row)

    async def published(self, notification_id: str, *, at: datetime) -> None:
        async with self._conn() as conn:
            await conn.execute(
                "update citizen_notifications set published_at = $2"
                " where notification_id = $1 and published_at is null",
                notification_id,
                at,
            )


def _settled(row: asyncpg.Record) -> Settled:
    return Settled(
        notification_id=row["notification_id"],
        case_id=row["case_id"],
        tracking_id=row["tracking_id"],
        answer_seq=row["answer_seq"],
        outcome=CaseStatus(row["outcome"]),
        delivered=row["state"] == "sent",
        message_id=row["message_id"],
        reopen_link=row["reopen_link"],
        detail=row["detail"],
        sent_at=row["sent_at"],
        published=row["published_at"] is not None,
    )
