"""CARv2 indexes in go-car's formats: MultihashIndexSorted (written) and IndexSorted (read).

Layout, every fixed-width integer little-endian::

    varint(0x0401)
    int32 number of hash codes, then for each code, ascending:
        uint64 code
        int32 number of buckets, then for each bucket, ascending by width:
            uint32 width                      (digest length + 8)
            uint64 length in bytes            (records * width)
            records sorted by digest bytes:   digest || uint64 offset

``IndexSorted`` (0x0400) is the same without the code level. An offset counts
from the start of the CARv1 payload and points at the section's length varint.
Identity CIDs are not indexed (the index is then not "fully indexed").

Written by hand because no Python library implements these formats; the tests
check our bytes against the ``cardex`` implementation, which matches go-car.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ipfs_kit_py.cid import multihash
from ipfs_kit_py.cid._multicodec import (
    CAR_INDEX_SORTED,
    CAR_MULTIHASH_INDEX_SORTED,
    IDENTITY,
    name_of,
)
from ipfs_kit_py.cid._varint import decode_varint, encode_varint
from ipfs_kit_py.errors import CARError, InvalidMultihashError, UnsupportedError

__all__ = ["MultihashIndexSorted"]

_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_MAX_WIDTH = 32 << 20


@dataclass(slots=True)
class _Bucket:
    width: int
    digests: list[bytes] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)


@dataclass(slots=True)
class MultihashIndexSorted:
    """Sorted ``multihash -> offset`` index with binary-search lookups.

    Build one with :meth:`from_entries`, serialise with :meth:`encode`, parse
    with :meth:`decode`. ``codes`` maps a hash code (``None`` for an
    ``IndexSorted`` index, which does not record codes) to buckets by width.
    """

    codes: dict[int | None, dict[int, _Bucket]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[bytes, int]]) -> MultihashIndexSorted:
        """Index ``(multihash, payload offset)`` pairs; identity hashes are skipped."""
        pairs: dict[int | None, dict[int, list[tuple[bytes, int]]]] = {}
        for mh, offset in entries:
            code, digest, _ = multihash.decode(mh)
            if code == IDENTITY:
                continue
            width = len(digest) + 8
            pairs.setdefault(code, {}).setdefault(width, []).append((digest, offset))
        index = cls()
        for hash_code, widths in pairs.items():
            buckets = {}
            for width, records in widths.items():
                records.sort(key=_first)  # stable: duplicates keep file order
                buckets[width] = _Bucket(width, [d for d, _ in records], [o for _, o in records])
            index.codes[hash_code] = buckets
        return index

    def __len__(self) -> int:
        return sum(len(b.digests) for w in self.codes.values() for b in w.values())

    def __iter__(self) -> Iterator[tuple[int | None, bytes, int]]:
        """Yield ``(code, digest, offset)`` in index order."""
        for code in sorted(self.codes, key=_code_key):
            for width in sorted(self.codes[code]):
                bucket = self.codes[code][width]
                for digest, offset in zip(bucket.digests, bucket.offsets, strict=True):
                    yield code, digest, offset

    def find(self, mh: bytes) -> list[int]:
        """All payload offsets recorded for the multihash ``mh`` (usually one)."""
        try:
            code, digest, _ = multihash.decode(mh)
        except InvalidMultihashError:
            return []
        buckets = self.codes.get(code) if code in self.codes else self.codes.get(None)
        bucket = buckets.get(len(digest) + 8) if buckets else None
        if bucket is None:
            return []
        i = bisect_left(bucket.digests, digest)
        found = []
        while i < len(bucket.digests) and bucket.digests[i] == digest:
            found.append(bucket.offsets[i])
            i += 1
        return found

    # -- wire format -------------------------------------------------------------------

    def encode(self) -> bytes:
        """Serialise as MultihashIndexSorted, codec varint included."""
        if None in self.codes:
            raise UnsupportedError("an IndexSorted index has no hash codes to write")
        out = bytearray(encode_varint(CAR_MULTIHASH_INDEX_SORTED))
        out += _I32.pack(len(self.codes))
        for code in sorted(self.codes, key=_code_key):
            out += _U64.pack(code)
            _encode_buckets(self.codes[code], out)
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes | memoryview) -> MultihashIndexSorted:
        """Parse a MultihashIndexSorted or IndexSorted index, strictly."""
        view = memoryview(data)
        codec, pos = decode_varint(view, 0, CARError, "index codec")
        index = cls()
        if codec == CAR_INDEX_SORTED:
            index.codes[None], pos = _decode_buckets(view, pos)
        elif codec == CAR_MULTIHASH_INDEX_SORTED:
            count, pos = _read(view, pos, _I32, "hash code count")
            if count < 0:
                raise CARError(f"malformed CAR index: negative code count {count}")
            for _ in range(count):
                code, pos = _read(view, pos, _U64, "hash code")
                if code in index.codes:
                    raise CARError(f"malformed CAR index: hash code {code:#x} repeated")
                index.codes[code], pos = _decode_buckets(view, pos)
        else:
            raise UnsupportedError(
                f"CAR index format {name_of(codec)} ({codec:#x}) is not supported"
            )
        if pos != len(view):
            raise CARError(f"malformed CAR index: {len(view) - pos} trailing bytes")
        return index


def _first(record: tuple[bytes, int]) -> bytes:
    return record[0]


def _code_key(code: int | None) -> int:
    return -1 if code is None else code


def _encode_buckets(buckets: dict[int, _Bucket], out: bytearray) -> None:
    out += _I32.pack(len(buckets))
    for width in sorted(buckets):
        bucket = buckets[width]
        out += _U32.pack(width)
        out += _U64.pack(width * len(bucket.digests))
        for digest, offset in zip(bucket.digests, bucket.offsets, strict=True):
            out += digest
            out += _U64.pack(offset)


def _read(view: memoryview, pos: int, st: struct.Struct, what: str) -> tuple[int, int]:
    end = pos + st.size
    if end > len(view):
        raise CARError(f"truncated CAR index: {what}")
    return int(st.unpack_from(view, pos)[0]), end


def _decode_buckets(view: memoryview, pos: int) -> tuple[dict[int, _Bucket], int]:
    count, pos = _read(view, pos, _I32, "bucket count")
    if count < 0:
        raise CARError(f"malformed CAR index: negative bucket count {count}")
    buckets: dict[int, _Bucket] = {}
    for _ in range(count):
        width, pos = _read(view, pos, _U32, "bucket width")
        length, pos = _read(view, pos, _U64, "bucket length")
        if not 8 < width <= _MAX_WIDTH:
            raise CARError(f"malformed CAR index: bucket width {width}")
        if length % width:
            raise CARError(f"malformed CAR index: bucket of {length} bytes is not whole records")
        if width in buckets:
            raise CARError(f"malformed CAR index: width {width} repeated")
        end = pos + length
        if end > len(view):
            raise CARError("truncated CAR index: bucket runs past the end")
        bucket = _Bucket(width)
        dlen = width - 8
        for rec in range(pos, end, width):
            bucket.digests.append(bytes(view[rec : rec + dlen]))
            bucket.offsets.append(_U64.unpack_from(view, rec + dlen)[0])
        if any(a > b for a, b in zip(bucket.digests, bucket.digests[1:], strict=False)):
            raise CARError(f"malformed CAR index: bucket of width {width} is not sorted")
        buckets[width] = bucket
        pos = end
    return buckets, pos
