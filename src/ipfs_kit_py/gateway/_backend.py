"""What the gateway needs from a node: verified blocks, presence, file streams.

:class:`Backend` is the one seam between the ASGI handlers and the synchronous
storage core. Its methods block (disk, hashing): call them from worker threads.
Invariant: :meth:`Backend.get` never returns bytes that were not hashed against
their CID, whether or not the node's block store verifies on its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_PB
from ipfs_kit_py.codecs import Block, PBNode, dag_pb
from ipfs_kit_py.errors import DecodeError
from ipfs_kit_py.unixfs import Exporter, UnixFSData

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["IMMUTABLE", "Backend", "etag_matches"]

_HEADS = 4096  # files whose first bytes are remembered

#: ``Cache-Control`` of every immutable ``/ipfs/`` response.
IMMUTABLE = "public, max-age=29030400, immutable"


class Backend:
    """Verified reads from an :class:`~ipfs_kit_py.api.IPFSSimpleAPI`'s node."""

    def __init__(self, api: IPFSSimpleAPI) -> None:
        self.api = api
        self._blocks = api.node.blocks
        self._trusted = bool(self._blocks.verify)  # the store hashes every get itself
        self._heads: OrderedDict[CID, bytes] = OrderedDict()  # first bytes, for sniffing
        self._heads_lock = threading.Lock()

    @property
    def exporter(self) -> Exporter:
        """A UnixFS reader over :meth:`get` (one per use), sharing the API's node cache."""
        return Exporter(self.get, verify=False, nodes=self.api.node_cache)

    def unixfs(self, cid: CID) -> tuple[PBNode, UnixFSData] | None:
        """The UnixFS node ``cid`` (decoded once, then cached), or ``None`` when it is
        not UnixFS (not dag-pb, or dag-pb without UnixFS data)."""
        if cid.codec != DAG_PB:
            return None
        try:
            return self.exporter.node(cid)
        except DecodeError:
            node = dag_pb.decode_node(self.get(cid))  # malformed dag-pb raises here
            if node.data is None:
                return None
            raise

    def head(self, cid: CID, size: int) -> bytes:
        """The first ``size`` bytes of the file ``cid`` (remembered: ranges sniff often)."""
        with self._heads_lock:
            cached = self._heads.get(cid)
        if cached is not None and len(cached) >= size:
            return cached[:size]
        data = b"".join(self.exporter.cat(cid, 0, size))
        with self._heads_lock:
            self._heads[cid] = data
            if len(self._heads) > _HEADS:
                self._heads.popitem(last=False)
        return data

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
