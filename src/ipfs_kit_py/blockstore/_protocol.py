"""The ``Blockstore`` role: a map from multihash to bytes, verified on the way out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block

__all__ = ["Blockstore"]


@runtime_checkable
class Blockstore(Protocol):
    """Where blocks live. Keys are *multihashes*: a CIDv0 and a CIDv1 (of any codec) with the
    same digest name the same stored bytes, as in Kubo's flatfs.

    Contract, for every implementation:

    * ``get`` hash-verifies the bytes against the CID unless the store was built with
      ``verify=False``; a mismatch raises :class:`~ipfs_kit_py.errors.IntegrityError`
      naming the CID; a missing block raises
      :class:`~ipfs_kit_py.errors.BlockNotFoundError`.
    * ``put`` is atomic (a reader sees the whole block or none of it) and idempotent;
      identity-hash CIDs are never stored (their bytes are in the CID). It trusts
      the block's CID: blocks from outside are verified where they enter
      (``fetch/``, ``car/``), and ``get`` catches any that slipped through.
    * ``delete`` and ``multihashes`` ignore identity CIDs (nothing is stored).
    * Implementations are safe to call from several threads.
    """

    def get(self, cid: CID) -> bytes:
        """The block's bytes, verified."""
        ...

    def has(self, cid: CID) -> bool:
        """Whether the block is stored (identity CIDs: always)."""
        ...

    def size(self, cid: CID) -> int:
        """The block's length in bytes, without reading it."""
        ...

    def put(self, block: Block) -> None:
        """Store one block."""
        ...

    def put_many(self, blocks: Iterable[Block]) -> None:
        """Store blocks as one batch (one sync at the end where the store syncs)."""
        ...

    def delete(self, cid: CID) -> None:
        """Remove the block if present (no error when it is not)."""
        ...

    def multihashes(self) -> Iterator[bytes]:
        """Every stored multihash, in no particular order."""
        ...
