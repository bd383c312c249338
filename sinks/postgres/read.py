"""The read side of the record, for the web intake, Open311 and operators' tools.

    reader = CaseReader(pool)
    status = await reader.status_of("SP-7K3M-9QXD-2B4F")        # citizens: no personal data
    case = await reader.case_by_tracking_id("SP-7K3M-9QXD-2B4F")  # operators
    case = await reader.case_by_id("CASE-7K3M-9QXD-2B4F")            # operators, the web intake
    history = await reader.case_history(case.case_id)           # operators
    listed = await reader.opened_between(since=a, until=b)      # Open311 GET requests
    today = await reader.figures(WindowSize.DAY, now)           # dashboards

Contract:
- Every method returns frozen models (`sinks.postgres.views`) or None when nothing is known;
  none changes the store.
- `status_of` and `opened_between` carry no personal data: no complaint text, no name,
  contact or tax code, no address or coordinates, and a note for the citizen only if it was
  not erased. Safe to show to anyone who holds the tracking number.
- `status_of` knows a complaint as soon as the sink has stored its submission, before the
  worker has opened its case (status `received`, no case id). A complaint merged into an
  earlier case of the same citizen says so in `merged_into`, and shows that case's status.
- `case_by_tracking_id` and `case_history` are for operators and carry personal data (unless
  erased). The history holds every event recorded about the case, whichever topic it came
  from, oldest first: received submissions, follow-ups, snapshots, merges and links with their
  evidence, assignments with the rule that fired, triage, status reports, SLA alerts.
- `figures` are the metrics stream's figures (`schemas.metrics.Figures`, no personal data)
  of the window holding an instant, computed from the store as the sinks compute them; a
  window still open counts what has happened so far.
- Errors: PostgreSQL being unreachable raises `runtime.errors.StoreUnavailable`.
- The queries use the indexes of migrations 0001 to 0004; each method is a few index lookups.
"""

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from runtime.store_access import store_connection
from schemas.case import CaseSnapshot, CaseStatus
from schemas.events import decode_event
from schemas.metrics import Figures, WindowSize
from schemas.submission import Channel
from sinks.postgres.figures import compute_figures
from sinks.postgres.privacy import ERASED
from sinks.postgres.views import (
    CaseHistory,
    CaseView,
    HistoryItem,
    PublicStatus,
    PublicStep,
    summarize,
)
from sinks.postgres.windows import window_at

_HISTORY = """
select event_id, type, time, topics, event::text as event from case_events
where case_id = $1
   or tracking_id in (select tracking_id from case_tracking_ids where case_id = $1)
order by time, event_id
"""

# Status changes the citizen sees: each version whose status differs from the one before.
_STEPS = """
select updated_at, status, body from (
    select updated_at, status, body, version,
           lag(status) over (order by version) as before
    from case_versions where case_id = $1) v
where before is distinct from status
order by version
"""

# What the city told the citizen: notes of status reports that were not refused.
_NOTES = """
select (e.event -> 'data' ->> 'reported_at')::timestamptz as reported_at,
       e.event -> 'data' ->> 'transition' as transition,
       e.event -> 'data' ->> 'note_for_citizen' as note
from case_events e
where e.case_id = $1 and e.type = 'sportello.case.status'
  and e.event -> 'data' ->> 'note_for_citizen' is not null
  and not exists (select 1 from dead_letters d where d.event_id = 'refused:' || e.event_id)
order by reported_at, e.event_id
"""

# The status a transition that carries a note leads to (the others leave it where it is).
_NOTE_TARGET = {"resolve": CaseStatus.RESOLVED, "ask_citizen": CaseStatus.WAITING_FOR_CITIZEN}


class CaseReader:
    def __init__(self, pool: asyncpg.Pool, *, timeout_s: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout_s

    def _conn(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        return store_connection(self._pool, self._timeout)

    async def case_by_tracking_id(self, tracking_id: str) -> CaseView | None:
        return await self._case_view(
            "select c.case_id, c.snapshot::text as snapshot,"
            " exists (select 1 from erased where subject_id = c.case_id) as erased"
            " from case_tracking_ids t join cases c using (case_id)"
            " where t.tracking_id = $1",
            tracking_id,
        )

    async def case_by_id(self, case_id: str) -> CaseView | None:
        """The case as the store has it now (the case agent may be a step ahead)."""
        return await self._case_view(
            "select c.case_id, c.snapshot::text as snapshot,"
            " exists (select 1 from erased where subject_id = c.case_id) as erased"
            " from cases c where c.case_id = $1",
            case_id,
        )

    async def _case_view(self, query: str, key: str) -> CaseView | None:
        async with self._conn() as conn:
            row = await conn.fetchrow(query, key)
            if row is None:
                return None
            ids = await conn.fetch(
                "select tracking_id from case_tracking_ids where case_id = $1"
                " order by as_of, tracking_id",
                row["case_id"],
            )
        snapshot = CaseSnapshot.model_validate_json(row["snapshot"])
        known = [r["tracking_id"] for r in ids]
        ordered = [t for t in snapshot.tracking_ids if t in known]
        ordered += [t for t in known if t not in ordered]
        return CaseView(
            case_id=row["case_id"],
            tracking_ids=tuple(ordered),
            snapshot=snapshot,
            erased=row["erased"],
        )

    async def case_history(self, case_id: str) -> CaseHistory | None:
        async with self._conn() as conn:
            snap = await conn.fetchval(
                "select snapshot::text from cases where case_id = $1", case_id
            )
            if snap is None:
                return None
            rows = await conn.fetch(_HISTORY, case_id)
        snapshot = CaseSnapshot.model_validate_json(snap)
        items = []
        for r in rows:
            event = decode_event(r["event"])
            items.append(
                HistoryItem(
                    event_id=r["event_id"],
                    type=r["type"],
                    time=r["time"],
                    topics=tuple(r["topics"]),
                    summary=summarize(event),
                    event=event,
                )
            )
        return CaseHistory(
            case_id=case_id,
            status=snapshot.status,
            merges=snapshot.merges,
            related_case_ids=snapshot.related_case_ids,
            routing_rule_id=snapshot.routing_rule_id,
            routing_explanation=snapshot.routing_explanation,
            items=tuple(items),
        )

    async def status_of(self, tracking_id: str) -> PublicStatus | None:
        async with self._conn() as conn:
            case = await conn.fetchrow(
                "select c.case_id, c.status, c.body, c.category, c.opened_at, c.updated_at,"
                " c.deadline_at from case_tracking_ids t join cases c using (case_id)"
                " where t.tracking_id = $1",
                tracking_id,
            )
            sub = await conn.fetchrow(
                "select channel, received_at from submissions where submission_id = $1",
                tracking_id,
            )
            if case is None:
                if sub is None:
                    return None
                return PublicStatus(
                    tracking_id=tracking_id,
                    channel=Channel(sub["channel"]),
                    status=CaseStatus.RECEIVED,
                    received_at=sub["received_at"],
                    updated_at=sub["received_at"],
                )
            steps = await conn.fetch(_STEPS, case["case_id"])
            notes = await conn.fetch(_NOTES, case["case_id"])
        return _public(tracking_id, case, sub, steps, notes)

    async def figures(
        self, size: WindowSize, at: datetime, *, timezone: str = "Europe/Rome"
    ) -> Figures:
        window = window_at(size, at, ZoneInfo(timezone))
        async with self._conn() as conn:
            return await compute_figures(conn, window, timezone)

    async def opened_between(
        self,
        *,
        since: datetime,
        until: datetime,
        statuses: Sequence[CaseStatus] | None = None,
        category: str | None = None,
        limit: int = 1000,
    ) -> list[PublicStatus]:
        """Cases opened in `[since, until]`, newest first, as each case's first tracking
        number sees them (without steps): Open311's list of service requests."""
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select c.case_id, c.status, c.body, c.category, c.opened_at, c.updated_at,"
                " c.deadline_at, c.snapshot -> 'tracking_ids' ->> 0 as tracking_id,"
                " c.snapshot -> 'channels' ->> 0 as channel"
                " from cases c where c.opened_at >= $1 and c.opened_at <= $2"
                " and ($3::text[] is null or c.status = any($3))"
                " and ($4::text is null or c.category = $4)"
                " order by c.opened_at desc, c.case_id limit $5",
                since,
                until,
                [s.value for s in statuses] if statuses is not None else None,
                category,
                limit,
            )
        return [
            PublicStatus(
                tracking_id=r["tracking_id"],
                case_id=r["case_id"],
                channel=Channel(r["channel"]) if r["channel"] else None,
                status=CaseStatus(r["status"]),
                body=r["body"],
                category=r["category"],
                received_at=r["opened_at"],
                updated_at=r["updated_at"],
                deadline_at=r["deadline_at"],
            )
            for r in rows
        ]


def _public(
    tracking_id: str,
    case: asyncpg.Record,
    sub: asyncpg.Record | None,
    steps: Sequence[asyncpg.Record],
    notes: Sequence[asyncpg.Record],
) -> PublicStatus:
    notes_at: dict[int, str] = {}
    for n in notes:
        if not n["note"] or n["note"] == ERASED:
            continue
        target = _NOTE_TARGET.get(n["transition"])
        # The step a report made is the first at or after its reported time (the lifecycle
        # never dates a change before its report) with the status it leads to.
        for i, step in enumerate(steps):
            if step["updated_at"] >= n["reported_at"] and (
                target is None or step["status"] == target.value
            ):
                notes_at[i] = n["note"]
                break
    public_steps = tuple(
        PublicStep(
            at=step["updated_at"],
            status=CaseStatus(step["status"]),
            body=step["body"],
            note_for_citizen=notes_at.get(i),
        )
        for i, step in enumerate(steps)
    )
    own_case = case["case_id"] == "CASE-" + tracking_id.removeprefix("SP-")
    kw: dict[str, Any] = {}
    if sub is not None:
        kw = {"channel": Channel(sub["channel"]), "received_at": sub["received_at"]}
    return PublicStatus(
        tracking_id=tracking_id,
        case_id=case["case_id"],
        merged_into=None if own_case else case["case_id"],
        status=CaseStatus(case["status"]),
        body=case["body"],
        category=case["category"],
        received_at=kw.get("received_at", case["opened_at"]),
        updated_at=case["updated_at"],
        deadline_at=case["deadline_at"],
        channel=kw.get("channel"),
        steps=public_steps,
    )
