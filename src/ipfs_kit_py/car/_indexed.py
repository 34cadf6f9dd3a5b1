"""Random access to the blocks of an indexed CARv2 file."""

from __future__ import annotations

import os
from types import TracebackType
from typing import BinaryIO

from ipfs_kit_py.car._format import CarLimits, check_section_length, read_exact, read_uvarint
from ipfs_kit_py.car._index import MultihashIndexSorted
from ipfs_kit_py.car._reader import CarReader
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError, CARError, CARLimitError, InvalidCIDError

__all__ = ["IndexedCar"]


class IndexedCar:
    """Look blocks up by CID in a CAR, reading only the sections asked for.

    A CARv2 with an index is used as it is; any other CAR is scanned once (one
    section in memory at a time) to build the same index in memory, about 40
    bytes per block; :func:`~ipfs_kit_py.car.index_car` saves one to disk.
    Every block read is hash-verified unless ``verify=False``.
    """

    def __init__(self, path: str | os.PathLike[str], *, verify: bool = True) -> None:
        self._fp: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            reader = CarReader(self._fp)
            v2 = reader.v2_header
            self.roots = reader.roots
            self.limits: CarLimits = reader.limits
            self._data_offset = v2.data_offset if v2 is not None else 0
            if v2 is not None and v2.index_offset:
                self._fp.seek(v2.index_offset)
                self.index = MultihashIndexSorted.decode(self._fp.read())
            else:
                self.index = MultihashIndexSorted.from_entries(
                    (s.block.cid.multihash, s.offset) for s in reader.sections()
                )
        except BaseException:
            self._fp.close()
            raise
        self.verify = verify

    def __contains__(self, cid: CID) -> bool:
        return bool(self.index.find(cid.multihash))

    def get(self, cid: CID) -> bytes:
        """The bytes of the block ``cid``; :class:`BlockNotFoundError` if absent."""
        if cid.is_identity:
            return cid.digest
        for offset in self.index.find(cid.multihash):
            block = self._read_at(offset)
            if block.cid.multihash == cid.multihash:
                block = Block(cid, block.data)
                if self.verify:
                    block.verify()
                return block.data
        raise BlockNotFoundError(f"block {cid} is not in this CAR")

    def _read_at(self, offset: int) -> Block:
        self._fp.seek(self._data_offset + offset)
        length = read_uvarint(self._fp, f"section at offset {offset}")
        if length is None:
            raise CARError(f"index points past the end of the CAR (offset {offset})")
        check_section_length(length, self.limits, offset)
        body = read_exact(self._fp, length, f"section at offset {offset}")
        try:
            cid, end = CID.decode_prefix(body)
        except InvalidCIDError as err:
            raise CARError(f"bad CID in section at offset {offset}: {err}") from err
        if length - end > self.limits.max_block_size:
            raise CARLimitError(f"block {cid} is over the {self.limits.max_block_size}-byte limit")
        return Block(cid, body[end:])

    def close(self) -> None:
        """Close the file."""
        self._fp.close()

    def __enter__(self) -> IndexedCar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
