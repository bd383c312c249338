"""Kafka's default partition of a keyed message, as the Java client and aiokafka compute it.

`partition_for(key, count)` equals aiokafka's `DefaultPartitioner` for a topic with
partitions 0..count-1 (murmur2 of the key, sign bit cleared, modulo the count), so events
published with it land where every other producer of the same key puts them: per-key order
holds whichever producer wrote. It exists because aiokafka's pure-Python murmur2 masks and
multiplies byte by byte, and its `_partition` copies the topic's partition sets on every
message; the web intake pays both on every complaint. The tests compare the two.
"""

import struct

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_WORDS = [struct.Struct(f"<{n}I") for n in range(64)]


def murmur2(data: bytes) -> int:
    """MurmurHash2 (32 bits) as `org.apache.kafka.common.utils.Utils.murmur2` computes it."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length >> 2
    words = (
        _WORDS[whole].unpack_from(data)
        if whole < len(_WORDS)
        else struct.unpack_from(f"<{whole}I", data)
    )
    for k in words:
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        rest = length & ~3
        if tail == 3:
            h ^= data[rest + 2] << 16
        if tail >= 2:
            h ^= data[rest + 1] << 8
        h = ((h ^ data[rest]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_for(key: bytes, count: int) -> int:
    """The partition, out of `count`, of a message keyed `key`."""
    return (murmur2(key) & 0x7FFFFFFF) % count
