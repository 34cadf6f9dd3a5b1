"""``BlockCache``: a small in-memory LRU of blocks by CID, bounded in bytes.

Content under a CID never changes, so entries never go stale; the only policy is
which to drop (least recently used first) once their bytes pass ``max_bytes``.
Callers put only blocks they have verified. Thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ipfs_kit_py.cid import CID

__all__ = ["BlockCache"]


class BlockCache:
    """Recently used blocks, at most ``max_bytes`` of them (0: keep nothing).

    >>> cache = BlockCache(8)
    >>> a, b = CID.parse("bafkqaaa"), CID.parse("bafkqaaia")
    >>> cache.put(a, b"12345"); cache.put(b, b"6789")
    >>> cache.get(a) is None, cache.get(b)
    (True, b'6789')
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._blocks: OrderedDict[CID, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, cid: CID) -> bytes | None:
        """The block, if kept (and mark it recently used)."""
        with self._lock:
            data = self._blocks.get(cid)
            if data is not None:
                self._blocks.move_to_end(cid)
            return data

    def put(self, cid: CID, data: bytes) -> None:
        """Keep ``data`` (already verified) under ``cid``, dropping the oldest to make room."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if cid in self._blocks:
                return
            self._blocks[cid] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, old = self._blocks.popitem(last=False)
                self._bytes -= len(old)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._blocks.clear()
            self._bytes = 0
