"""Block stores: where the bytes behind CIDs live.

Design note
-----------
:class:`Blockstore` is a small protocol (``get``, ``has``, ``size``, ``put``,
``put_many``, ``delete``, ``multihashes``) that every store implements and
every layer above (importer, exporter, pinning, gateway) codes against.

Invariants: keys are *multihashes*, so a CIDv0 and a CIDv1 of any codec with
the same digest name one stored block, as in Kubo. ``get`` hash-verifies what
it returns unless a store is built with ``verify=False``, so a flipped bit on
disk surfaces as :class:`~ipfs_kit_py.errors.IntegrityError` naming the CID,
never as wrong content. ``put`` is atomic and idempotent; identity CIDs are
never stored. Stores are safe to share between threads.

:class:`FlatFSBlockstore` writes Kubo's on-disk flatfs layout
(``/repo/flatfs/shard/v1/next-to-last/2``) byte for byte, so it opens a Kubo
repo's ``blocks`` directory (``read_only=True`` while Kubo may run) and Kubo
reads what it writes. Trade-offs: one file per block costs an inode and a
rename per block, and with ``sync`` a flush per block; ``put_many`` (fed by
:class:`BatchWriter` during imports) makes a whole batch durable with two
``syncfs`` calls on Linux; in exchange there is no index to rebuild or
corrupt, and a crash can lose only blocks whose ``put`` had not returned.
:class:`MemoryBlockstore` is a locked dict for tests and transient work.
:class:`BlockCache` keeps recently read, verified blocks in memory (bounded in bytes).
:class:`FilestoreBlockstore` wraps either with no-copy references (Kubo's
filestore, ``add --nocopy``): blocks read from the user's own files, verified.
Disk failures (full, I/O) raise :class:`~ipfs_kit_py.errors.StorageError`,
with no partial block left behind.
"""

from __future__ import annotations

from ipfs_kit_py.blockstore._batch import BatchWriter
from ipfs_kit_py.blockstore._cache import BlockCache
from ipfs_kit_py.blockstore._filestore import (
    FileStatus,
    FilestoreBlockstore,
    FilestoreCheck,
    FilestoreEntry,
)
from ipfs_kit_py.blockstore._flatfs import SHARDING, FlatFSBlockstore, flatfs_key, flatfs_shard
from ipfs_kit_py.blockstore._memory import MemoryBlockstore
from ipfs_kit_py.blockstore._protocol import Blockstore

__all__ = [
    "SHARDING",
    "BatchWriter",
    "BlockCache",
    "Blockstore",
    "FileStatus",
    "FilestoreBlockstore",
    "FilestoreCheck",
    "FilestoreEntry",
    "FlatFSBlockstore",
    "MemoryBlockstore",
    "flatfs_key",
    "flatfs_shard",
]
