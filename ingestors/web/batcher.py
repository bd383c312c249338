"""Group commit for concurrent requests: many callers, one database statement.

Each complaint must be remembered in PostgreSQL before its answer; one round trip and one
commit per complaint would cost more than everything else the intake does. A `Batcher`
gathers the calls made while the previous statement was running (or in the same turn of
the event loop) and runs them as one, like Kafka's producer batches while a request is in
flight: under light load a call runs at once, under heavy load batches grow.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`await batcher.submit(item)` returns `item`'s result once `flush(items)` — which
    returns one result per item, in order — has run for the batch that carried it. If the
    flush raises, every caller of that batch gets the exception."""

    def __init__(
        self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_items: int = 500
    ) -> None:
        self._flush = flush
        self._max_items = max_items
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """`submit` without waiting: the future gets `item`'s result (or the exception)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return future

    @property
    def backlog(self) -> int:
        """Items waiting for a flush that has not started."""
        return len(self._pending)

    async def idle(self) -> None:
        """Return once every item enqueued so far has been flushed (or has failed)."""
        while self._drainer is not None:
            await asyncio.wait([self._drainer])

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # the calls made in this turn of the loop join the batch
            while self._pending:
                batch = self._pending[: self._max_items]
                del self._pending[: self._max_items]
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._drainer = None
