"""The fault suite: the pipeline under a steady load, one fault at a time, and after each the
accounting against what the load generator was told was accepted.

For each fault (see `scenarios`): the load runs `before_s`, the fault is injected and
repaired, the load runs `after_s` more and stops (submissions refused meanwhile are
retried until accepted, as callers would); the suite then waits until everything accepted
is stored (at most `drain_s`) and checks, from the PostgreSQL store:

- zero accepted complaints lost, zero duplicate cases or rows (`ledger.account`);
- every SLA alert due on the workers' clock since the previous check emitted exactly once
  (`faults.sla`, `ledger.account_sla`); the workers' clock runs `clock_rate` times faster,
  so that acknowledgement and resolution deadlines pass during the suite;
- the time to recover: from the fault until the backlog (accepted, not yet stored) is back
  to what it was before the fault (`stats.recovery_time`).

A fault not survived is reported as such, with its counts, and the suite goes on to the
next one.
"""

import asyncio
import contextlib
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka.errors import KafkaError

from bench.faults.scenarios import Context, Fault
from bench.faults.sla import due_between
from bench.harness import stats
from bench.harness.ledger import Alert, SlaCount, Verdict, account, account_sla, with_sla
from bench.harness.load import Load
from bench.harness.observe import deliveries, stored, stored_count
from bench.harness.report import FaultResult
from bench.harness.stack import Pipeline, PrivateStack
from processors.bodies import load_bodies
from processors.sla.clock import ScaledClock
from processors.sla.policy import Policies, load_policies
from processors.taxonomy import load_taxonomy
from tests.integration.pipeline.support import trace


@dataclass(frozen=True)
class Timing:
    rate: float = 5.0
    before_s: float = 15.0
    after_s: float = 30.0
    outage_s: float = 10.0
    drain_s: float = 150.0
    stall_s: float = 45.0
    sla_margin_s: float = 20.0  # real seconds before the check whose alerts are not yet due


@dataclass
class Suite:
    stack: PrivateStack
    pipeline: Pipeline
    clock: ScaledClock
    clock_rate: float
    timing: Timing
    policies: Policies = field(default_factory=lambda: shipped_policies())
    accepted: list[str] = field(default_factory=list)
    sla_checked_until: datetime | None = None
    reported_doubles: set[tuple[str, str, str]] = field(default_factory=set)
    redelivered_before: int = 0

    def say(self, text: str) -> None:
        print(f"    {time.strftime('%H:%M:%S')} {text}", flush=True)

    async def run(self, name: str, fault: Fault) -> FaultResult:
        tag = f"f{uuid.uuid4().hex[:8]}"
        load = Load(self.pipeline.web_port, self.pipeline.smtp_port, tag, email_share=0.3)
        stop = asyncio.Event()
        sending = asyncio.create_task(load.run(self.timing.rate, float("inf"), stop))
        samples: list[tuple[float, int]] = []
        sampler = asyncio.create_task(self._sample(load, samples))
        recover_from = None
        try:
            await asyncio.sleep(self.timing.before_s)
            normal = max([n for _, n in samples] + [int(self.timing.rate * 2)])
            recover_from = await fault(
                Context(self.stack, self.pipeline, self.timing.outage_s, self.say)
            )
            await asyncio.sleep(self.timing.after_s)
        except Exception as exc:
            self.say(traceback.format_exc())
            error = f"{type(exc).__name__}: {exc}"
        else:
            error = ""
        finally:
            stop.set()
            await sending
        gave_up = sum(o.gave_up for o in load.outcomes)
        self.say(
            f"sent {len(load.outcomes)}, accepted {len(load.accepted())}, "
            f"refused and retried {load.refusals()}, gave up {gave_up}"
        )
        ids = list(load.accepted())
        self.accepted += ids
        await self._wait_stored(ids)
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        recovery = None
        if recover_from is not None:
            recovery = stats.recovery_time(samples, recover_from, normal)
        verdict = await self._check(load)
        self.say(verdict.text())
        note = await self._where(verdict.lost) if verdict.lost else ""
        if note:
            self.say(note)
        return FaultResult(name, verdict, recovery, load.refusals(), error, note)

    async def _where(self, lost: tuple[str, ...]) -> str:
        """Where the lost submissions stopped (see the pipeline tests' `Trace`): on the input
        of which stage, and whether the group committed past them (lost for good) or not
        (they wait for a later rebalance or restart)."""
        try:
            found = await trace(self.pipeline.bootstrap, self.pipeline.app_id, lost[:50])
        except (OSError, KafkaError) as exc:
            return f"(could not trace the lost submissions: {exc})"
        last = Counter(
            where[0] if (where := found.last(m)) is not None else "nowhere" for m in found.seen
        )
        stages = ", ".join(f"{n} last seen on {topic}" for topic, n in last.most_common())
        return (
            f"of {len(found.seen)} lost traced: {stages}; the group committed past "
            f"{len(found.committed_past())} of them"
        )

    async def _sample(self, load: Load, into: list[tuple[float, int]]) -> None:
        """Every half second, the backlog: accepted but not yet in a stored case."""
        conn: asyncpg.Connection | None = None
        while True:
            try:
                if conn is None:
                    conn = await asyncpg.connect(self.pipeline.dsn, timeout=2)
                ids = list(load.accepted())
                into.append((time.monotonic(), len(ids) - await stored_count(conn, ids)))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn = None  # PostgreSQL is down (a fault): no sample
            await asyncio.sleep(0.5)

    async def _wait_stored(self, ids: list[str]) -> None:
        """Wait until all `ids` are stored: at most `drain_s`, and no longer than
        `stall_s` without one more stored (what is left then is not coming)."""
        start = time.monotonic()
        progress, done = start, -1
        while True:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                conn = await asyncpg.connect(self.pipeline.dsn)
                try:
                    count = await stored_count(conn, ids)
                finally:
                    await conn.close()
                if count == len(ids):
                    return
                if count > done:
                    progress, done = time.monotonic(), count
            now = time.monotonic()
            if now - start > self.timing.drain_s or now - progress > self.timing.stall_s:
                self.say(
                    f"{len(ids) - done} accepted still not stored after {now - start:.0f} s "
                    f"({now - progress:.0f} s without progress)"
                )
                return
            await asyncio.sleep(1)

    async def _check(self, load: Load) -> Verdict:
        ids = list(load.accepted())
        found = await stored(self.pipeline.dsn, ids)
        verdict = account(
            ids, found.cases, routings=found.routings,
            submission_rows=found.submission_rows, sent=load.tried(),
        )  # fmt: skip
        return with_sla(verdict, await self._check_sla())

    async def _check_sla(self) -> SlaCount:
        """The alerts due since the last check, over every case of the suite so far: wait
        (at most a minute) until each is stored, then count what is missing or doubled.
        A doubled alert, or a repeated delivery of one on complaints.sla, is reported once,
        at the check that first saw it."""
        margin = timedelta(seconds=self.timing.sla_margin_s) * self.clock_rate
        until = self.clock.now() - margin
        after = self.sla_checked_until or datetime.min.replace(tzinfo=UTC)
        deadline = time.monotonic() + 60
        while True:
            found = await stored(self.pipeline.dsn, self.accepted)
            expected = due_between(found.facts, self.policies, after, until)
            emitted = {(c, clock, kind) for c, clock, kind, _ in found.alerts}
            if expected <= emitted or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
        seen = await deliveries(self.pipeline.bootstrap, set(found.cases))
        count = account_sla(expected, [Alert(*a) for a in found.alerts], seen)
        doubled = tuple(k for k in count.duplicated if k not in self.reported_doubles)
        self.reported_doubles.update(doubled)
        self.sla_checked_until = until
        redelivered = count.redelivered - self.redelivered_before
        self.redelivered_before = count.redelivered
        return replace(count, duplicated=doubled, redelivered=redelivered)


def shipped_policies() -> Policies:
    bodies = frozenset(b.id for b in load_bodies())
    codes = frozenset(c.code for c in load_taxonomy(None, bodies))
    return load_policies(body_ids=bodies, category_codes=codes)
