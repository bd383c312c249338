"""The faults, one function each: break something while the load runs, put it back, and say
from when recovery is timed. Each returns that moment (`time.monotonic()`): when the broken
thing was back (the broker or PostgreSQL answering again, the extra worker gone), or, for
a killed worker, the kill itself (its supervisor's restart is part of the recovery).

- `kill_worker`: SIGKILL the worker process that holds the single partition of the first
  dedup stage (every submission passes it); its supervisor starts a new one a second later,
  and the group rebalances twice (the dead one leaves, the new one joins).
- `kill_broker`: SIGKILL the Kafka broker, restart it after `outage_s`.
- `restart_postgres`: stop PostgreSQL (fast shutdown), start it after `outage_s`.
- `broker_down_under_intake`: stop the broker cleanly for `outage_s` while the web and SMTP
  intakes keep taking submissions: they must refuse (503 / 451), never accept what they
  cannot store; the load generator retries as callers do.
- `add_and_remove_worker`: a third worker joins the group, works for `outage_s`, and is
  stopped (SIGTERM) again: two rebalances under load.
"""

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.harness.stack import Pipeline, PrivateStack
from processors.stages.topology import internal_topic_name
from runtime.topics import DEDUP_RESOLVE
from tests.integration.pipeline.support import WorkerProcess


@dataclass(frozen=True)
class Context:
    stack: PrivateStack
    pipeline: Pipeline
    outage_s: float
    say: Callable[[str], None]


Fault = Callable[[Context], Awaitable[float]]


async def kill_worker(ctx: Context) -> float:
    resolve = internal_topic_name(ctx.pipeline.app_id, DEDUP_RESOLVE)
    sups = ctx.pipeline.supervisors()
    holding = [s for s in sups if WorkerProcess(s.name, s.proc, s.log).assigned(resolve) or set()]
    victim = holding[-1] if holding else sups[0]
    pid = ctx.pipeline.worker_pid(victim)
    if pid is None:
        raise RuntimeError(f"no worker under {victim.name}")
    ready = victim.text().count("[^Worker]: Ready")
    os.kill(pid, signal.SIGKILL)
    at = time.monotonic()
    ctx.say(f"SIGKILL worker pid {pid} ({victim.name}, holds {resolve}: {bool(holding)})")
    await Pipeline.worker_ready(victim, ready + 1)
    ctx.say(f"its supervisor's new worker ready after {time.monotonic() - at:.1f} s")
    return at


async def outage(
    ctx: Context, service: Callable[[str], Awaitable[None]], stop: str, back: str
) -> float:
    """`service(stop)`, `outage_s` later `service("start")`; returns when it is back."""
    await service(stop)
    at = time.monotonic()
    await asyncio.sleep(ctx.outage_s)
    await service("start")
    ctx.say(f"{back} after {time.monotonic() - at:.1f} s")
    return time.monotonic()


async def kill_broker(ctx: Context) -> float:
    ctx.say(f"SIGKILL broker pid {ctx.stack.broker_pid()}")
    return await outage(ctx, ctx.stack.broker, "kill", "broker restarted")


async def restart_postgres(ctx: Context) -> float:
    ctx.say(f"stopping PostgreSQL pid {ctx.stack.postgres_pid()}")
    return await outage(ctx, ctx.stack.postgres, "stop", "PostgreSQL started again")


async def broker_down_under_intake(ctx: Context) -> float:
    ctx.say("stopping the broker (SIGTERM) while the intakes take submissions")
    return await outage(ctx, ctx.stack.broker, "stop", "broker started again")


async def add_and_remove_worker(ctx: Context) -> float:
    at = time.monotonic()
    sup = await ctx.pipeline.add_worker()
    ctx.say(f"{sup.name} joined, ready after {time.monotonic() - at:.1f} s")
    await asyncio.sleep(ctx.outage_s)
    await ctx.pipeline.remove_worker(sup)
    ctx.say(f"{sup.name} stopped (SIGTERM)")
    return time.monotonic()


FAULTS: dict[str, tuple[str, Fault]] = {
    "worker": ("SIGKILL a worker", kill_worker),
    "broker": ("SIGKILL the Kafka broker, restart it", kill_broker),
    "postgres": ("stop and restart PostgreSQL", restart_postgres),
    "intake": ("broker stopped while web and SMTP take submissions", broker_down_under_intake),
    "scale": ("add and remove a worker", add_and_remove_worker),
}
