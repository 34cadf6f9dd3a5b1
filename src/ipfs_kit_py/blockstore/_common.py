"""Helpers shared by the blockstores: the errors they raise, said the same way."""

from __future__ import annotations

from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError, IntegrityError

__all__ = ["missing", "storable", "verified"]


def missing(cid: CID) -> BlockNotFoundError:
    """The error for a block that is not in the store."""
    return BlockNotFoundError(f"block {cid} not found")


def verified(cid: CID, data: bytes, where: str = "") -> bytes:
    """``data`` if it hashes to ``cid``, else :class:`IntegrityError` naming the CID."""
    try:
        multihash.verify(cid.multihash, data)
    except IntegrityError:
        at = f" at {where}" if where else ""
        raise IntegrityError(f"stored block {cid}{at} does not match its CID") from None
    return data


def storable(block: Block) -> bool:
    """Whether ``block`` takes space in a store (identity CIDs carry their bytes)."""
    return not block.cid.is_identity
