"""CAR writers: streaming CARv1, CARv2 with a MultihashIndexSorted index, and DAG export."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import BinaryIO

from ipfs_kit_py.car._format import PRAGMA_V2, V2_HEADER_SIZE, CarHeader, CarV2Header
from ipfs_kit_py.car._index import MultihashIndexSorted
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._varint import encode_varint
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import CARError

__all__ = ["CarV2Writer", "CarWriter", "export_dag", "write_car"]


class CarWriter:
    """Write a CARv1 stream: the header, then one section per :meth:`put`.

    Duplicate blocks (same CID) are written once; :meth:`put` returns ``False``
    for a repeat. Nothing is buffered beyond the file object's own buffer.
    """

    def __init__(self, fp: BinaryIO, roots: Sequence[CID]) -> None:
        self._fp = fp
        self._seen: set[bytes] = set()
        header = CarHeader(tuple(roots)).encode()
        fp.write(header)
        self.offset = len(header)  # bytes written to the CARv1 payload so far
        #: ``(multihash, offset)`` of every section written, for indexing.
        self.entries: list[tuple[bytes, int]] = []

    def put(self, block: Block) -> bool:
        """Append ``block`` unless its CID was already written."""
        raw = block.cid.bytes
        if raw in self._seen:
            return False
        self._seen.add(raw)
        length = len(raw) + len(block.data)
        prefix = encode_varint(length)
        self.entries.append((block.cid.multihash, self.offset))
        self._fp.write(prefix + raw)
        self._fp.write(block.data)
        self.offset += len(prefix) + length
        return True

    def __contains__(self, cid: CID) -> bool:
        return cid.bytes in self._seen


def write_car(fp: BinaryIO, roots: Sequence[CID], blocks: Iterable[Block]) -> int:
    """Write a CARv1 of ``blocks`` (in the given order, repeats dropped).

    Returns the number of blocks written.
    """
    writer = CarWriter(fp, roots)
    return sum(writer.put(b) for b in blocks)


class CarV2Writer:
    """Write a CARv2 (pragma, header, CARv1 payload, MultihashIndexSorted index).

    ``fp`` must be seekable: the header, which records the payload size and the
    index offset, is written last. Use as a context manager or call :meth:`close`.
    """

    def __init__(self, fp: BinaryIO, roots: Sequence[CID]) -> None:
        if not fp.seekable():
            raise CARError("a CARv2 is written to a seekable file")
        self._fp = fp
        self._start = fp.tell()
        fp.write(PRAGMA_V2 + bytes(V2_HEADER_SIZE))
        self._inner = CarWriter(fp, roots)
        self._closed = False

    def put(self, block: Block) -> bool:
        """Append ``block`` unless its CID was already written."""
        return self._inner.put(block)

    def close(self) -> None:
        """Write the index and the header. Idempotent."""
        if self._closed:
            return
        self._closed = True
        data_offset = len(PRAGMA_V2) + V2_HEADER_SIZE
        data_size = self._inner.offset
        index = MultihashIndexSorted.from_entries(self._inner.entries).encode()
        self._fp.write(index)
        end = self._fp.tell()
        header = CarV2Header(data_offset, data_size, data_offset + data_size)
        self._fp.seek(self._start + len(PRAGMA_V2))
        self._fp.write(header.encode())
        self._fp.seek(end)

    def __enter__(self) -> CarV2Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()


def export_dag(
    fp: BinaryIO | CarWriter | CarV2Writer,
    roots: Sequence[CID],
    get_block: Callable[[CID], bytes],
    *,
    include_identity: bool = False,
    verify: bool = True,
) -> int:
    """Write the DAGs under ``roots`` in Kubo's ``dag export`` order.

    Root first, then depth-first in link order, each block once. Identity CIDs
    are skipped unless ``include_identity`` (their bytes are in the CID, and
    go-car's CARv2 writer skips them too). With ``verify`` each block fetched is
    hashed before it is written. Returns the number of blocks written.
    """
    writer = fp if isinstance(fp, CarWriter | CarV2Writer) else CarWriter(fp, roots)
    stack = list(reversed(roots))
    seen: set[CID] = set()
    written = 0
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        block = Block(cid, cid.digest if cid.is_identity else get_block(cid))
        if verify:
            block.verify()
        if include_identity or not cid.is_identity:
            written += writer.put(block)
        stack.extend(reversed(list(block.links())))
    return written


def car_bytes(roots: Sequence[CID], blocks: Iterable[Block]) -> bytes:
    """A whole CARv1 in memory: for small DAGs and tests."""
    buf = io.BytesIO()
    write_car(buf, roots, blocks)
    return buf.getvalue()
