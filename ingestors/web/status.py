"""A complaint's status by tracking number: the read side of the case store, for citizens.

`CaseReader` is the small read port onto PostgreSQL (`cases`, `case_tracking_ids`,
`case_events`); `status_view` turns what it read into the public answer, which carries no
personal data: no text, no citizen, no place — status, who is responsible, the deadline
and the history of the case.
"""

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import asyncpg
from pydantic import AwareDatetime, Field

from ingestors.web.receipts import Receipt
from processors.bodies import Body
from processors.taxonomy import Category
from runtime.store_access import store_connection
from schemas._strict import StrictModel
from schemas.case import CaseId, CaseStatus
from schemas.submission import TrackingId


class ResponsibleBody(StrictModel):
    id: str
    name: str | None = None


class CategoryName(StrictModel):
    code: str
    name_it: str | None = None
    name_en: str | None = None


class HistoryEntry(StrictModel):
    time: AwareDatetime
    event: Annotated[str, Field(description="the event type, e.g. sportello.case.updated")]
    status: CaseStatus | None = None
    body: str | None = None


class ComplaintStatus(StrictModel):
    """Where a complaint is. Before the worker has opened its case, what the intake knows."""

    tracking_id: TrackingId
    case_id: CaseId | None = None
    status: CaseStatus
    body: ResponsibleBody | None = None
    category: CategoryName | None = None
    received_at: AwareDatetime
    updated_at: AwareDatetime
    deadline_at: AwareDatetime | None = None
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    status: str
    body: str | None
    category: str | None
    opened_at: datetime
    updated_at: datetime
    deadline_at: datetime | None


@dataclass(frozen=True)
class HistoryRow:
    time: datetime
    type: str
    status: str | None
    body: str | None


def first_tracking_id(case_id: str) -> str:
    """A case is named after its first submission (`schemas.case.case_id_for`)."""
    return "SP-" + case_id.removeprefix("CASE-")


def _status(value: str | None) -> CaseStatus | None:
    try:
        return CaseStatus(value) if value else None
    except ValueError:
        return None


def status_view(
    tracking_id: str,
    case: CaseRow | None,
    history: Sequence[HistoryRow],
    receipt: Receipt | None,
    *,
    bodies: Mapping[str, Body],
    categories: Mapping[str, Category],
) -> ComplaintStatus | None:
    """The public status of a complaint, or None when nothing is known of it."""
    if case is None:
        if receipt is None:
            return None
        return ComplaintStatus(
            tracking_id=tracking_id,
            status=CaseStatus.RECEIVED,
            received_at=receipt.accepted_at,
            updated_at=receipt.accepted_at,
            history=(
                HistoryEntry(
                    time=receipt.accepted_at,
                    event="sportello.submission.received",
                    status=CaseStatus.RECEIVED,
                ),
            ),
        )
    body = bodies.get(case.body) if case.body else None
    category = categories.get(case.category) if case.category else None
    return ComplaintStatus(
        tracking_id=tracking_id,
        case_id=case.case_id,
        status=_status(case.status) or CaseStatus.RECEIVED,
        body=ResponsibleBody(id=case.body, name=body.name if body else None) if case.body else None,
        category=(
            CategoryName(
                code=case.category,
                name_it=category.name_it if category else None,
                name_en=category.name_en if category else None,
            )
            if case.category
            else None
        ),
        received_at=case.opened_at,
        updated_at=case.updated_at,
        deadline_at=case.deadline_at,
        history=tuple(
            HistoryEntry(time=h.time, event=h.type, status=_status(h.status), body=h.body)
            for h in history
        ),
    )


class CaseReader:
    """Reads cases for the status lookup and Open311; raises `StoreUnavailable`."""

    def __init__(self, pool: asyncpg.Pool, *, timeout_s: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout_s

    def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        return store_connection(self._pool, self._timeout)

    _CASE_COLUMNS = (
        "c.case_id, c.status, c.body, c.category, c.opened_at, c.updated_at, c.deadline_at"
    )

    async def cases(self, tracking_ids: Sequence[str]) -> dict[str, CaseRow]:
        """The case each of these tracking numbers belongs to, if it has one yet."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"select t.tracking_id, {self._CASE_COLUMNS} from case_tracking_ids t"  # noqa: S608
                " join cases c using (case_id) where t.tracking_id = any($1)",
                list(tracking_ids),
            )
        return {
            r["tracking_id"]: CaseRow(**{k: v for k, v in r.items() if k != "tracking_id"})
            for r in rows
        }

    async def history(self, case_id: str) -> list[HistoryRow]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select time, type, event -> 'data' ->> 'status' as status,"
                " event -> 'data' ->> 'body' as body from case_events"
                " where case_id = $1 order by time, recorded_at, event_id",
                case_id,
            )
        return [HistoryRow(**dict(r)) for r in rows]

    async def opened_between(
        self,
        *,
        since: datetime,
        until: datetime,
        statuses: Sequence[str] | None,
        category: str | None,
        limit: int,
    ) -> list[CaseRow]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"select {self._CASE_COLUMNS} from cases c"  # noqa: S608
                " where c.opened_at >= $1 and c.opened_at <= $2"
                " and ($3::text[] is null or c.status = any($3))"
                " and ($4::text is null or c.category = $4)"
                " order by c.opened_at desc limit $5",
                since,
                until,
                list(statuses) if statuses is not None else None,
                category,
                limit,
            )
        return [CaseRow(**dict(r)) for r in rows]

