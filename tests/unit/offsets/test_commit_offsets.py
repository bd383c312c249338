"""The offset a partition may commit: never past a message nobody acknowledged."""

from hypothesis import given
from hypothesis import strategies as st

from processors.offsets import committable, fetched


def test_a_batch_from_its_position_has_no_gap() -> None:
    assert fetched(10, [10, 11, 12]).gaps == ()
    assert fetched(10, [10, 11, 12]).next_position == 13


def test_offsets_the_fetch_skipped_are_gaps() -> None:
    # a transaction marker at 10, records compacted away at 13 and 14
    assert fetched(10, [11, 12, 15]).gaps == ((10, 11), (13, 15))


def test_nothing_before_the_first_record_is_a_gap_when_the_position_is_unknown() -> None:
    assert fetched(None, [40, 41, 43]).gaps == ((42, 43),)


def test_a_position_moved_back_makes_no_gap() -> None:
    assert fetched(50, [20, 21]).gaps == ()
    assert fetched(50, [20, 21]).next_position == 22


def test_commits_up_to_the_first_offset_not_acknowledged() -> None:
    assert committable(80, [80, 81, 82, 84], []) == 83


def test_a_missing_head_commits_nothing() -> None:
    # Faust 0.15.3 commits 87 here (it allows one missing message at the head).
    assert committable(80, [81, 82, 83, 84, 85, 86], []) == 80
    # ... and 134 here when it has no committed offset to compare with.
    assert committable(86, range(118, 134), []) == 86


def test_gaps_are_passed_like_acknowledged_offsets() -> None:
    assert committable(10, [11, 12, 15], [(10, 11), (13, 15)]) == 16
    assert committable(10, [], [(10, 20)]) == 20
    assert committable(10, [20], [(0, 15), (12, 20)]) == 21


def test_offsets_below_the_base_do_not_count() -> None:
    assert committable(100, [97, 98, 99], [(90, 99)]) == 100


@given(
    base=st.integers(0, 50),
    acked=st.sets(st.integers(0, 120)),
    gaps=st.lists(st.tuples(st.integers(0, 120), st.integers(1, 30)), max_size=5),
)
def test_every_offset_passed_is_acknowledged_or_a_gap(
    base: int, acked: set[int], gaps: list[tuple[int, int]]
) -> None:
    spans = [(start, start + length) for start, length in gaps]
    n = committable(base, acked, spans)
    assert n >= base
    for offset in range(base, n):
        assert offset in acked or any(s <= offset < e for s, e in spans)
    # and it stops at the first offset that is neither
    assert n not in acked and not any(s <= n < e for s, e in spans)


@given(
    position=st.integers(0, 100),
    offsets=st.lists(st.integers(0, 30), min_size=1).map(lambda xs: sorted(set(xs))),
)
def test_gaps_and_offsets_cover_the_batch_exactly(position: int, offsets: list[int]) -> None:
    batch = [position + o for o in offsets]
    got = fetched(position, batch)
    covered = set(batch) | {o for s, e in got.gaps for o in range(s, e)}
    assert covered == set(range(position, batch[-1] + 1))
    assert not set(batch) & {o for s, e in got.gaps for o in range(s, e)}
