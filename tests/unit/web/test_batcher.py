"""Group commit: concurrent calls share one flush, in order, errors reach every caller."""

import asyncio

import pytest

from ingestors.web.batcher import Batcher


async def test_calls_made_together_share_one_flush_and_later_ones_the_next() -> None:
    flushes: list[list[int]] = []
    gate = asyncio.Event()

    async def flush(items: list[int]) -> list[int]:
        flushes.append(items)
        await gate.wait()
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(flush, max_items=3)
    first = [asyncio.create_task(batcher.submit(i)) for i in range(5)]
    await asyncio.sleep(0.01)
    later = [asyncio.create_task(batcher.submit(i)) for i in (7, 8)]  # while a flush runs
    await asyncio.sleep(0.01)
    gate.set()
    assert await asyncio.gather(*first, *later) == [0, 10, 20, 30, 40, 70, 80]
    assert flushes == [[0, 1, 2], [3, 4, 7], [8]]


async def test_a_failed_flush_fails_its_callers_only() -> None:
    async def flush(items: list[int]) -> list[int]:
        if 13 in items:
            raise OSError("database gone")
        return items

    batcher: Batcher[int, int] = Batcher(flush)
    bad = asyncio.gather(batcher.submit(13), batcher.submit(1), return_exceptions=True)
    assert [type(r) for r in await bad] == [OSError, OSError]
    assert await batcher.submit(2) == 2
    with pytest.raises(OSError, match="gone"):
        await batcher.submit(13)


async def test_an_enqueued_item_is_flushed_without_waiting_and_idle_waits_for_it() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        await asyncio.sleep(0.01)
        flushed.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(flush)
    futures = [batcher.enqueue(i) for i in range(3)]
    assert batcher.backlog == 3 and not any(f.done() for f in futures)
    await batcher.idle()
    assert flushed == [[0, 1, 2]] and [f.result() for f in futures] == [0, 1, 2]
    await batcher.idle()  # nothing pending: returns at once
