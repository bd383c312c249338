"""Which records of a fetched changelog batch the bulk recovery applies."""

from dataclasses import dataclass

from processors.recovery import unseen


@dataclass(frozen=True)
class Record:
    offset: int


def offsets(records: object) -> list[int]:
    return [r.offset for r in records]  # type: ignore[attr-defined]


def test_a_partition_never_read_takes_the_whole_batch() -> None:
    batch = [Record(0), Record(1), Record(2)]
    assert unseen(batch, None) is batch


def test_a_batch_past_the_offset_applied_is_taken_whole() -> None:
    batch = [Record(5), Record(6)]
    assert unseen(batch, 4) is batch


def test_offsets_already_applied_are_skipped() -> None:
    assert offsets(unseen([Record(3), Record(4), Record(5), Record(6)], 4)) == [5, 6]


def test_a_batch_read_before_gives_nothing() -> None:
    assert offsets(unseen([Record(1), Record(2)], 2)) == []
