"""``BatchWriter``: collect blocks and store them with ``put_many``, a batch at a time.

A store that syncs pays per batch, not per block (``FlatFSBlockstore.put_many`` makes a
batch durable with two ``syncfs`` calls), so an import that hands its blocks over one by
one goes through this. Blocks are only durable after :meth:`BatchWriter.flush` (or the
``with`` block) returns: pin nothing before that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from ipfs_kit_py.codecs import Block

__all__ = ["BatchWriter"]


class BatchWriter:
    """Buffer blocks and hand them to ``put_many`` when a batch is full, and at the end.

    Thread-safe: importer threads may ``put`` concurrently; the thread that fills a
    batch stores it, outside the lock, while the others go on filling the next one.

    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> store = MemoryBlockstore()
    >>> with BatchWriter(store.put_many, max_blocks=2) as put:
    ...     for word in (b"a", b"b", b"c"):
    ...         put(Block.from_data(word))
    ...     len(store)  # one full batch so far
    2
    >>> len(store)
    3
    """

    def __init__(
        self,
        put_many: Callable[[Iterable[Block]], None],
        *,
        max_blocks: int = 256,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self._put_many = put_many
        self.max_blocks = max_blocks
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._blocks: list[Block] = []
        self._bytes = 0

    def __call__(self, block: Block) -> None:
        """Add one block to the batch (storing the batch if that fills it)."""
        with self._lock:
            self._blocks.append(block)
            self._bytes += len(block.data)
            if len(self._blocks) < self.max_blocks and self._bytes < self.max_bytes:
                return
            full, self._blocks, self._bytes = self._blocks, [], 0
        self._put_many(full)

    def flush(self) -> None:
        """Store what is buffered now."""
        with self._lock:
            rest, self._blocks, self._bytes = self._blocks, [], 0
        if rest:
            self._put_many(rest)

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.flush()
        else:  # the add failed: what is buffered belongs to nothing
            with self._lock:
                self._blocks, self._bytes = [], 0
