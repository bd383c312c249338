"""Sportello's error tree. Outside errors (aiokafka, asyncpg) are translated where they enter.

    SportelloError
    ├── BrokerUnavailable      retriable: the event was not acknowledged by Kafka
    └── StoreUnavailable       retriable: PostgreSQL could not be reached or did not commit

A channel turns a retriable error into its own "try again later" (HTTP 503 with
Retry-After, SMTP 451, a file left in the inbox); nothing is acknowledged to a sender unless
it has been stored.
"""

import asyncpg


class SportelloError(Exception):
    """Root of every error Sportello raises on purpose."""

    retriable: bool = False


class BrokerUnavailable(SportelloError):
    """Kafka did not acknowledge a publish in time; the event may not be stored."""

    retriable = True


class StoreUnavailable(SportelloError):
    """PostgreSQL could not be reached or did not commit."""

    retriable = True


STORE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    # A connection left inside an unfinished operation by a restart ("another operation
    # is in progress"): as retriable as a lost one.
    asyncpg.InternalClientError,
)
"""What asyncpg raises when PostgreSQL is down, restarting or slow: StoreUnavailable."""
