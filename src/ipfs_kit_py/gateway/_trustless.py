"""Trustless responses: single verified blocks and CARv1 streams (IPIP-402, IPIP-412).

A CAR answer to ``/ipfs/{cid}/a/b?format=car`` holds, in this order, the blocks
read to resolve the path (root first, HAMT shards on the way included), then the
terminal entity per ``dag-scope``:

* ``block``: the terminal block only;
* ``entity``: a UnixFS file's blocks (only those ``entity-bytes`` needs), a
  HAMT directory's shards, or the terminal block for anything else;
* ``all`` (default): the whole DAG under the terminal block, depth first.

Blocks are walked depth first in link order (``order=dfs``); with ``dups=n`` each
block is sent once, with ``dups=y`` every time the walk meets it. Identity CIDs
are never written as blocks. Every block comes from a verifying getter, and the
stream is a sync generator run through :func:`~._stream.prefetch`: a block that
turns out missing or corrupt mid-stream aborts the connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ipfs_kit_py.car import CarHeader
from ipfs_kit_py.cid import CID, encode_varint
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import DecodeError, InvalidInputError
from ipfs_kit_py.gateway._resolve import GetBlock, Resolved, unixfs_node
from ipfs_kit_py.unixfs import MAX_DEPTH, DataType

__all__ = ["CarRequest", "car_stream", "parse_entity_bytes"]

SCOPES = ("block", "entity", "all")


@dataclass(frozen=True, slots=True)
class CarRequest:
    """What to put in a CAR: scope, optional byte range of the entity, duplicates."""

    scope: str = "all"
    entity_bytes: tuple[int, int | None] | None = None  # from, to (inclusive; None = end)
    dups: bool = False

    @property
    def tag(self) -> str:
        """A short, stable description for the ETag."""
        rng = "" if self.entity_bytes is None else f".{self.entity_bytes[0]}:{self.entity_bytes[1]}"
        return f"{self.scope}{rng}.dups-{'y' if self.dups else 'n'}"


def parse_entity_bytes(value: str | None) -> tuple[int, int | None] | None:
    """``from:to`` with negative offsets from the end and ``*`` for the end.

    >>> parse_entity_bytes("0:*"), parse_entity_bytes("-5:*"), parse_entity_bytes("512:-256")
    ((0, None), (-5, None), (512, -256))
    """
    if value is None:
        return None
    first, colon, last = value.partition(":")
    try:
        start = int(first)
        end = None if last == "*" else int(last)
    except ValueError:
        raise InvalidInputError(f"bad entity-bytes {value!r}: want from:to") from None
    if not colon or (end is not None and end >= 0 and start >= 0 and end < start):
        raise InvalidInputError(f"bad entity-bytes {value!r}: want from:to, from <= to")
    return start, end


def _section(cid: CID, data: bytes) -> Iterator[bytes]:
    raw = cid.bytes
    yield encode_varint(len(raw) + len(data)) + raw
    if data:
        yield data


class _Writer:
    def __init__(self, get: GetBlock, dups: bool) -> None:
        self.get = get
        self.dups = dups
        self.seen: set[bytes] = set()

    def emit(self, cid: CID, data: bytes) -> Iterator[bytes]:
        if cid.is_identity:
            return
        if not self.dups:
            if cid.bytes in self.seen:
                return
            self.seen.add(cid.bytes)
        yield from _section(cid, data)

    def dag(self, root: CID, data: bytes) -> Iterator[bytes]:
        """The whole DAG under ``root``, depth first in link order."""
        stack: list[tuple[CID, bytes | None]] = [(root, data)]
        while stack:
            cid, known = stack.pop()
            if not self.dups and cid.bytes in self.seen:
                continue
            block = known if known is not None else self.get(cid)
            yield from self.emit(cid, block)
            links = list(Block(cid, block).links())
            stack.extend((link, None) for link in reversed(links))

    def hamt(self, cid: CID, data: bytes, depth: int = 0) -> Iterator[bytes]:
        """A HAMT directory's shard blocks, not the entries they point to."""
        if depth > MAX_DEPTH:
            raise DecodeError("HAMT nested too deeply")
        yield from self.emit(cid, data)
        parsed = unixfs_node(cid, data)
        if parsed is None:
            return
        node, fs = parsed
        pad = len(f"{(fs.fanout or 256) - 1:X}")
        for link in node.links:
            if len(link.name or "") == pad:
                yield from self.hamt(link.cid, self.get(link.cid), depth + 1)

    def file(self, cid: CID, data: bytes, start: int, end: int, depth: int = 0) -> Iterator[bytes]:
        """The blocks of a UnixFS file needed for its bytes ``[start, end)``."""
        if depth > MAX_DEPTH:
            raise DecodeError("file tree nested too deeply")
        yield from self.emit(cid, data)
        parsed = unixfs_node(cid, data)
        if parsed is None or start >= end:
            return
        node, fs = parsed
        pos = len(fs.data or b"")
        for link, size in zip(node.links, fs.blocksizes, strict=False):
            lo, hi = pos, pos + size
            if hi > start and lo < end:
                child = self.get(link.cid)
                yield from self.file(
                    link.cid, child, max(start, lo) - lo, min(end, hi) - lo, depth + 1
                )
            pos = hi
            if pos >= end:
                return


def _file_size(cid: CID, data: bytes) -> int | None:
    """The byte length of the UnixFS file (or raw block) ``cid``; ``None`` if not a file."""
    if cid.codec == RAW:
        return len(data)
    parsed = unixfs_node(cid, data)
    if parsed is None or parsed[1].type not in (DataType.FILE, DataType.RAW):
        return None
    fs = parsed[1]
    return fs.filesize if fs.filesize is not None else len(fs.data or b"") + sum(fs.blocksizes)


def _span(size: int, wanted: tuple[int, int | None]) -> tuple[int, int]:
    start, last = wanted
    lo = max(0, size + start) if start < 0 else start
    hi = size if last is None else (size + last + 1 if last < 0 else last + 1)
    return lo, min(hi, size)


def car_stream(get: GetBlock, resolved: Resolved, request: CarRequest) -> Iterator[bytes]:
    """The CARv1 bytes for ``resolved`` (header, path blocks, then the terminal entity)."""
    yield CarHeader((resolved.cid,)).encode()
    out = _Writer(get, request.dups)
    for cid in resolved.path_blocks:
        yield from out.emit(cid, get(cid))
    cid = resolved.cid
    data = get(cid)
    scope = "entity" if request.entity_bytes is not None else request.scope
    if scope == "block":
        yield from out.emit(cid, data)
        return
    size = _file_size(cid, data)
    if size is not None:
        lo, hi = 0, size
        if request.entity_bytes is not None:
            lo, hi = _span(size, request.entity_bytes)
        yield from out.file(cid, data, lo, hi)
        return
    if scope == "all":
        yield from out.dag(cid, data)
        return
    parsed = unixfs_node(cid, data)
    if parsed is not None and parsed[1].type is DataType.HAMT_SHARD:
        yield from out.hamt(cid, data)
    else:
        yield from out.emit(cid, data)
