"""``MemoryBlockstore``: blocks in a dict, for tests, caches and throw-away imports."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from ipfs_kit_py.blockstore._common import missing, storable, verified
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block

__all__ = ["MemoryBlockstore"]


class MemoryBlockstore:
    """A :class:`~ipfs_kit_py.blockstore.Blockstore` held in memory, keyed by multihash.

    ``bytes`` are kept as given, not copied. One lock guards the dict, so the store is
    safe to share between threads; hashing in ``get`` runs outside it.

    >>> store = MemoryBlockstore()
    >>> block = Block.from_data(b"hello")  # CIDv1, raw
    >>> store.put(block)
    >>> store.get(CID(1, 0x70, block.cid.multihash))  # same multihash, other codec
    b'hello'
    """

    def __init__(self, *, verify: bool = True) -> None:
        self.verify = verify
        self._blocks: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._blocks)

    def __repr__(self) -> str:
        return f"MemoryBlockstore({len(self)} blocks, verify={self.verify})"

    def get(self, cid: CID) -> bytes:
        """The block's bytes, verified unless ``verify=False``."""
        if cid.is_identity:
            return cid.digest
        with self._lock:
            data = self._blocks.get(cid.multihash)
        if data is None:
            raise missing(cid)
        return verified(cid, data) if self.verify else data

    def has(self, cid: CID) -> bool:
        """Whether the block is stored (identity CIDs: always)."""
        if cid.is_identity:
            return True
        with self._lock:
            return cid.multihash in self._blocks

    def size(self, cid: CID) -> int:
        """The block's length in bytes."""
        if cid.is_identity:
            return len(cid.digest)
        with self._lock:
            data = self._blocks.get(cid.multihash)
        if data is None:
            raise missing(cid)
        return len(data)

    def put(self, block: Block) -> None:
        """Store one block (a no-op for identity CIDs and blocks already present)."""
        if storable(block):
            with self._lock:
                self._blocks.setdefault(block.cid.multihash, bytes(block.data))

    def put_many(self, blocks: Iterable[Block]) -> None:
        """Store blocks, taking the lock once."""
        todo = [(b.cid.multihash, bytes(b.data)) for b in blocks if storable(b)]
        with self._lock:
            for mh, data in todo:
                self._blocks.setdefault(mh, data)

    def delete(self, cid: CID) -> None:
        """Remove the block if present."""
        with self._lock:
            self._blocks.pop(cid.multihash, None)

    def multihashes(self) -> Iterator[bytes]:
        """Every stored multihash (a snapshot taken when iteration starts)."""
        with self._lock:
            keys = list(self._blocks)
        return iter(keys)
