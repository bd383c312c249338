"""Garbage collection for a long-running asyncio server, set once after start-up.

CPython collects its youngest generation whenever container allocations outnumber
deallocations by 700. A server handling many requests at once holds more young objects than
that for as long as the requests are in flight (tasks, futures, requests, models, batches),
so it collects every few requests, each time scanning and promoting objects that are about
to die anyway. Measured on the web intake (bench/bench_web.py, 64 connections): about a
hundred collections per second, a quarter of its CPU per complaint. Reference counting
frees those objects without the collector; it is only needed for cycles, which a server
makes few of.

`tune_for_serving` raises the young threshold above what is in flight and freezes what
start-up allocated (modules, schemas, the app), which no collection needs to scan again.
"""

import gc

YOUNG_THRESHOLD = 20_000


def tune_for_serving(*, young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Call once, when the server is ready to take requests."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
