"""A pooled PostgreSQL connection for the store's readers and ledgers, with one meaning
for every failure: `StoreUnavailable`, which each channel turns into its own "try again"."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from runtime.errors import STORE_ERRORS, StoreUnavailable


@contextlib.asynccontextmanager
async def store_connection(
    pool: asyncpg.Pool, timeout_s: float
) -> AsyncIterator[asyncpg.Connection]:
    """A connection of `pool` (waiting at most `timeout_s` for one). A connection that failed
    is closed rather than handed back: a restart can leave it inside an unfinished operation,
    which asyncpg would refuse on every later use."""
    try:
        async with pool.acquire(timeout=timeout_s) as conn:
            try:
                yield conn
            except STORE_ERRORS:
                conn.terminate()
                raise
    except STORE_ERRORS as exc:
        raise StoreUnavailable(f"PostgreSQL: {type(exc).__name__}: {exc}") from exc
