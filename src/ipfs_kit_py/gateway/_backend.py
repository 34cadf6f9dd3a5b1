"""What the gateway needs from a node: verified blocks, presence, file streams.

:class:`Backend` is the one seam between the ASGI handlers and the synchronous
storage core. Its methods block (disk, hashing): call them from worker threads.
Invariant: :meth:`Backend.get` never returns bytes that were not hashed against
their CID, whether or not the node's block store verifies on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.unixfs import Exporter

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["IMMUTABLE", "Backend", "etag_matches"]

#: ``Cache-Control`` of every immutable ``/ipfs/`` response.
IMMUTABLE = "public, max-age=29030400, immutable"


class Backend:
    """Verified reads from an :class:`~ipfs_kit_py.api.IPFSSimpleAPI`'s node."""

    def __init__(self, api: IPFSSimpleAPI) -> None:
        self.api = api
        self._blocks = api.node.blocks
        self._trusted = bool(self._blocks.verify)  # the store hashes every get itself

    @property
    def exporter(self) -> Exporter:
        """A UnixFS reader over :meth:`get` (one per use: an exporter caches a node)."""
        return Exporter(self.get, verify=False)

    def get(self, cid: CID) -> bytes:
        """The block's bytes, verified (identity CIDs: the bytes inside the CID)."""
        if cid.is_identity:
            return cid.digest
        data = self._blocks.get(cid)
        if not self._trusted:
            Block(cid, data).verify()
        return data

    def has(self, cid: CID) -> bool:
        """Whether the block is stored (identity CIDs always are)."""
        return cid.is_identity or self._blocks.has(cid)

    def stream(self, cid: CID, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The file's verified pieces; nothing is read (nor counted) until iterated."""
        if self._trusted:
            yield from self.api.stream(cid, offset=offset, length=length)
        else:
            yield from Exporter(self.get, verify=False).cat(cid, offset, length)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 weak comparison of ``If-None-Match`` against our ``etag``.

    >>> etag_matches('"a", W/"b"', '"b"'), etag_matches("*", '"x"'), etag_matches('"a"', '"b"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))
