"""Which offset of a partition may be committed: the arithmetic, with no I/O.

A committed offset `n` tells Kafka that every message below `n` is done with. So it may
only pass an offset that an agent acknowledged, or one that holds no message at all (a
transaction marker, a record compacted away). Faust 0.15.3 learns the second kind from the
order in which its fetcher loop hands messages to the agents: a jump there counts as a gap.
But Faust itself drops messages between the fetch and the agents around a rebalance, so a
jump there can be a message that nobody read, and a commit over it loses it (see
`processors.consumer`). Here a gap is only what the broker's fetch skipped: records come
back from a fetch in offset order starting at the position asked for, so a jump within
what one position returned is an offset that holds nothing for a consumer.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fetched:
    """What a batch of one partition's records says: the offsets it skipped (as
    half-open ranges) and the position after it."""

    gaps: tuple[tuple[int, int], ...]
    next_position: int


def fetched(position: int | None, offsets: Sequence[int]) -> Fetched:
    """The gaps in a batch of offsets (in the order the fetch returned them) read from
    `position` (None when it is not known: then a jump before the first is no gap).

    An offset below `position` means the position moved back without us (a reset by the
    client): nothing is a gap before it."""
    if not offsets:
        raise ValueError("an empty batch says nothing")
    gaps: list[tuple[int, int]] = []
    previous = position - 1 if position is not None else None
    for offset in offsets:
        if previous is not None and offset > previous + 1:
            gaps.append((previous + 1, offset))
        previous = offset
    return Fetched(tuple(gaps), offsets[-1] + 1)


def committable(base: int, acked: Iterable[int], gaps: Iterable[tuple[int, int]]) -> int:
    """The offset to commit when everything below `base` is committed: the first offset
    from `base` on that is neither acknowledged nor in a gap. Equal to `base` when
    nothing can be committed yet (the message at `base` is still unread or in work)."""
    done = set(acked)
    spans = sorted((start, end) for start, end in gaps if end > base)
    n = base
    i = 0
    while True:
        if n in done:
            n += 1
            continue
        while i < len(spans) and spans[i][1] <= n:
            i += 1
        if i < len(spans) and spans[i][0] <= n:
            n = spans[i][1]
            continue
        return n
