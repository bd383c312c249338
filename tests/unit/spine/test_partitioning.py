"""`runtime.partitioning` chooses the partition aiokafka's default partitioner chooses: events
published with it land where every other producer of the same key puts them."""

from aiokafka.partitioner import DefaultPartitioner, murmur2
from hypothesis import given
from hypothesis import strategies as st

from runtime.partitioning import murmur2 as fast_murmur2
from runtime.partitioning import partition_for


@given(st.binary(max_size=400))
def test_murmur2_is_kafkas(data: bytes) -> None:
    assert fast_murmur2(data) == murmur2(data)


@given(st.binary(max_size=80), st.integers(min_value=1, max_value=200))
def test_partition_is_the_default_partitioners(key: bytes, count: int) -> None:
    partitions = list(range(count))
    assert partition_for(key, count) == DefaultPartitioner()(key, partitions, partitions)


def test_known_values_of_the_java_client() -> None:
    # org.apache.kafka.common.utils.Utils.murmur2 (Java's int, as unsigned 32 bits)
    assert fast_murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert fast_murmur2(b"foobar") == -790332482 & 0xFFFFFFFF
