"""``ipfs://`` for fsspec: pandas, pyarrow, duckdb, datasets read (and write) IPFS content.

Design note
-----------
Purpose: :class:`IPFSFileSystem` is the fsspec implementation of protocol ``ipfs``,
registered by the ``fsspec.specs`` entry point, so ``fsspec.open("ipfs://<cid>/a.csv")``,
``pd.read_parquet("ipfs://...")`` or ``duckdb.register_filesystem(fs)`` work unchanged.
The PyPI package ``ipfsspec`` registers the same protocol name; with both installed,
fsspec keeps whichever registered last, so do not install ``ipfsspec`` next to us (or
pass ``fsspec.filesystem("ipfs", ...)`` our storage options and check the class).

Paths: ``ipfs://<cid>/a/b``, ``/ipfs/<cid>/a/b`` and ``<cid>/a/b`` name content inside
an immutable DAG. Paths that start with ``/`` otherwise (``/models/x.txt``) name the
*mutable root*, like Kubo's MFS: a directory whose current CID is :attr:`~IPFSFileSystem.root`
(``root=`` to start from a CID, else the empty directory). A malformed CID raises
:class:`~ipfs_kit_py.errors.InvalidCIDError` (a ``ValueError``) everywhere; a missing
path, ``FileNotFoundError``; ``.``, ``..`` or NUL in a path,
:class:`~ipfs_kit_py.errors.InvalidInputError`.

Invariants:

* No unverified byte is ever returned: every block comes from a :class:`BlockSource`
  that hashes it (repo, gateway, RPC); a corrupt block raises
  :class:`~ipfs_kit_py.errors.IntegrityError` instead of data.
* A ranged read fetches only the blocks overlapping the range (the exporter walks the
  file's tree by its recorded block sizes); an open file reads the CID its path named
  when it was opened.
* Writes touch only the mutable root and produce a new root CID by copy-on-write: the
  file is imported with the repo's import profile, then each directory on its path is
  rebuilt by the importer's own rules (HAMT sharding included), so the root equals
  ``ipfs-kit add -r`` (and Kubo's ``ipfs add -r``) of the same tree. Each new root is
  pinned recursively (pin name ``ipfs-kit fs root``); the previous root is unpinned
  only if this file system pinned it. Writes to ``<cid>/...`` paths, or with a
  gateway-only backend, raise :class:`~ipfs_kit_py.errors.ReadOnlyError`
  (an ``OSError``, ``errno`` ``EROFS``).
* Outside a transaction each write call (``pipe``, ``put``, ``cp``, ``mv``, ``rm``,
  ``mkdir``, closing a file opened ``wb``) lands at once, as one new root even when it
  touches many files. Inside ``with fs.transaction:`` writes are staged (reads of the
  mutable root see them) and land as one root at the end; an exception discards them.
  The one place to look for the result is ``fs.root``; ``end_transaction()`` returns
  it too, and so does ``tx.root`` after ``with fs.transaction as tx:``. Files opened
  for reading inside a transaction on what it staged are valid until it ends.

Trade-offs:

* ``ls(detail=True)`` needs a size per entry, which dag-pb links do not carry (their
  Tsize counts DAG bytes, not file bytes): a raw child's size is its Tsize (equal for
  raw blocks), a dag-pb child costs one block read (its root node), cached by CID
  for the life of the file system. ``ls(detail=False)`` reads only the directory.
* Symlinks are listed with ``type`` ``"other"`` (``islink``, ``destination``) and never
  followed: their target is a path outside what the CID vouches for. Reading one
  raises :class:`~ipfs_kit_py.errors.InvalidInputError`.
* With no backend given, a repo that the process has not opened is opened per
  operation (about 2 ms) rather than held, so the process can still open it elsewhere.
* A rebuilt directory keeps the mode and mtime its node recorded; new files and
  directories get none (as ``add -r`` without ``--preserve-*``). Big sharded
  directories are rebuilt whole when one entry changes (still canonical).
* Through a daemon's RPC API, blocks are put before the new root is pinned; a
  ``repo gc`` on the daemon at that moment could collect them (locally, the GC lock is
  held across the write and the pin).
"""

from __future__ import annotations

from ipfs_kit_py.fs._file import IPFSFile
from ipfs_kit_py.fs._filesystem import PIN_NAME, IPFSFileSystem, IPFSTransaction
from ipfs_kit_py.fs._sources import (
    BlockSource,
    BlockWriter,
    GatewayBlockSource,
    RepoBlockSource,
    RPCBlockSource,
)

__all__ = [
    "PIN_NAME",
    "BlockSource",
    "BlockWriter",
    "GatewayBlockSource",
    "IPFSFile",
    "IPFSFileSystem",
    "IPFSTransaction",
    "RPCBlockSource",
    "RepoBlockSource",
]
