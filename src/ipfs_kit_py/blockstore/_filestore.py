"""``FilestoreBlockstore``: no-copy blocks (Kubo's ``ipfs add --nocopy``) over a normal store.

Design note
-----------
Purpose: add a large file without a second copy of its bytes. The raw leaves of a
file added with ``nocopy`` are not written to the block store; the repo records
*references* instead, ``multihash -> (file, offset, length)``, and every read of
such a block opens the user's file, reads that range and hashes it against the
CID. Every other block (dag-pb file and directory nodes, anything ``put``) goes
to the wrapped store as usual. This is Kubo's filestore (``FilestoreNode``
entries beside flatfs), with ``ipfs filestore ls|verify|dups`` as :meth:`ls`,
:meth:`verify_refs` and :meth:`dups`.

Invariants:

* A referenced block is *always* hash-verified when read, whatever the wrapped
  store's ``verify`` says: the file is outside the repo's control. A file that
  changed, shrank, moved or vanished raises
  :class:`~ipfs_kit_py.errors.FileChangedError` naming the file; wrong bytes are
  never returned.
* Keys are multihashes, as in every store; one reference per multihash (the
  latest recorded wins: identical chunks in two files are one block). Paths are
  stored absolute and resolved, as bytes (any file name round-trips).
* Reads try the wrapped store first (as Kubo's multi-blockstore does), so a block
  held both ways (see :meth:`dups`) is served from the copy.

Trade-offs: moving or editing a file breaks every DAG that references it (the
price of no copy; :meth:`verify_refs` finds them). Why SQLite rather than flatfs-style
files per reference: references are tiny rows looked up by key, listed in file
order and deleted in bulk by GC; one WAL database does that atomically, is safe
to read while written, and keeps no inode per block. It is created on the first
reference, so repos that never use ``nocopy`` carry no extra file and pay
nothing on a miss. Reference writes and deletes are queued and committed in
batches (one fsync per batch with ``sync``); any read commits the queue first,
so readers (pinning's DAG walk among them) never miss a reference and a pin is
never committed before the references it needs.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, Generic, NoReturn, TypeVar

from ipfs_kit_py.blockstore._protocol import Blockstore
from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    StorageError,
)

__all__ = ["FileStatus", "FilestoreBlockstore", "FilestoreCheck", "FilestoreEntry"]

S = TypeVar("S", bound=Blockstore)

#: References queued before a commit is forced (reads commit earlier).
BATCH: Final = 512
#: Rows read per query when listing (bounded memory however many references).
_PAGE: Final = 1024
_SCHEMA_VERSION: Final = 1
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS refs (
    mh    BLOB PRIMARY KEY NOT NULL,
    path  BLOB NOT NULL,
    start INTEGER NOT NULL,
    size  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_by_file ON refs (path, start)
"""
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

_Row = tuple[bytes, int, int]  # path (fsencoded), start, size


class FileStatus(StrEnum):
    """What :meth:`FilestoreBlockstore.verify_refs` found for one reference (Kubo's words)."""

    OK = "ok"  #: the block can be read back from its file
    CHANGED = "changed"  #: the file is there but the range no longer hashes right (or is short)
    NO_FILE = "no-file"  #: the file is gone (moved, deleted, a directory now)
    ERROR = "error"  #: the file could not be read (permissions, I/O error)


@dataclass(frozen=True, slots=True)
class FilestoreEntry:
    """One no-copy block: its CID (v1, ``raw``) and where its bytes are.

    ``str()`` is Kubo's ``filestore ls`` line: ``<cid> <size> <path> <offset>``.
    """

    cid: CID
    path: str
    offset: int
    size: int

    def __str__(self) -> str:
        return f"{self.cid!s:<50} {self.size:6d} {self.path} {self.offset}"


@dataclass(frozen=True, slots=True)
class FilestoreCheck:
    """:meth:`FilestoreBlockstore.verify_refs`'s verdict on one entry, with why when not ``ok``."""

    status: FileStatus
    entry: FilestoreEntry
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is FileStatus.OK

    def __str__(self) -> str:
        return f"{self.status} {self.entry}"


class FilestoreBlockstore(Generic[S]):
    """A :class:`~ipfs_kit_py.blockstore.Blockstore` that adds no-copy references to ``inner``.

    Args:
        inner: the normal store (``put``/``put_many`` go there; reads try it first).
        db_path: the SQLite file of references (the repo's ``filestore.sqlite``), created
            on the first :meth:`put_ref`; ``None`` keeps references in memory.
        sync: commit references durably (one fsync per batch); default: ``inner.sync``.

    Thread-safe: one connection behind a lock; files are read and hashed outside it.

    >>> import tempfile
    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = (tmp / "weights.bin").write_bytes(b"hello world")
    >>> store = FilestoreBlockstore(MemoryBlockstore(), tmp / "filestore.sqlite")
    >>> leaf = Block.from_data(b"world")
    >>> store.put_ref(leaf.cid, tmp / "weights.bin", 6, 5)  # no bytes copied
    >>> store.get(leaf.cid)
    b'world'
    >>> _ = (tmp / "weights.bin").write_bytes(b"hello WORLD")
    >>> [str(check.status) for check in store.verify_refs()]
    ['changed']
    """

    def __init__(
        self,
        inner: S,
        db_path: str | os.PathLike[str] | None = None,
        *,
        sync: bool | None = None,
    ) -> None:
        self.inner = inner
        self.db_path = Path(db_path) if db_path is not None else None
        self.sync = bool(getattr(inner, "sync", False)) if sync is None else sync
        self._lock = threading.Lock()
        self._pending: dict[bytes, _Row | None] = {}  # queued writes; None: a delete
        self._last_path: tuple[str, bytes] = ("", b"")  # (given, resolved): one file's leaves
        self._closed = False
        self._db: sqlite3.Connection | None = None
        if self.db_path is not None and self.db_path.exists():
            self._db = self._connect()

    def __repr__(self) -> str:
        return f"FilestoreBlockstore({self.inner!r}, {os.fspath(self.db_path or ':memory:')!r})"

    @property
    def verify(self) -> bool:
        """Whether blocks of ``inner`` are hashed on read (references always are)."""
        return bool(getattr(self.inner, "verify", True))

    # -- the database ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        where = ":memory:" if self.db_path is None else os.fspath(self.db_path)
        try:
            db = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StorageError(f"cannot open filestore {where}: {err}") from err
        try:
            if self.db_path is not None:
                db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={'FULL' if self.sync else 'NORMAL'}")
            (found,) = db.execute("PRAGMA user_version").fetchone()
            if found > _SCHEMA_VERSION:
                raise StorageError(
                    f"filestore {where} has schema {found}; this code reads {_SCHEMA_VERSION}"
                )
            with db:
                db.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA.split(";"):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except sqlite3.Error as err:
            db.close()
            raise StorageError(f"cannot set up filestore {where}: {err}") from err
        except BaseException:
            db.close()
            raise
        return db

    def _conn(self) -> sqlite3.Connection | None:
        """The connection with the queue committed; ``None`` if there are no references.

        Call with ``self._lock`` held.
        """
        if self._closed:
            raise StorageError(f"filestore {self.db_path} is closed")
        if self._pending:
            self._commit()
        return self._db

    def _commit(self) -> None:
        """Apply the queued writes and deletes in one transaction (lock held)."""
        if self._db is None:
            if not any(row is not None for row in self._pending.values()):
                self._pending.clear()  # deletes of references that never existed
                return
            self._db = self._connect()
        puts = [(mh, *row) for mh, row in self._pending.items() if row is not None]
        drops = [(mh,) for mh, row in self._pending.items() if row is None]
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                if drops:
                    self._db.executemany("DELETE FROM refs WHERE mh = ?", drops)
                if puts:
                    self._db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?)", puts)
        except sqlite3.Error as err:
            raise StorageError(f"cannot write filestore {self.db_path}: {err}") from err
        self._pending.clear()

    def _ref(self, mh: bytes) -> _Row | None:
        with self._lock:
            db = self._conn()
            if db is None:
                return None
            try:
                sql = "SELECT path, start, size FROM refs WHERE mh = ?"
                row = db.execute(sql, (mh,)).fetchone()
            except sqlite3.Error as err:
                raise StorageError(f"cannot read filestore {self.db_path}: {err}") from err
        return None if row is None else (row[0], row[1], row[2])

    def _pages(self, order_by_file: bool) -> Iterator[tuple[bytes, bytes, int, int]]:
        """Every reference as ``(mh, path, start, size)``, a page per query, lock not held
        between pages (so GC may delete what was listed: callers check again)."""
        if order_by_file:
            sql = (
                "SELECT mh, path, start, size FROM refs WHERE (path, start, mh) > (?, ?, ?) "
                "ORDER BY path, start, mh LIMIT ?"
            )
        else:
            sql = "SELECT mh, path, start, size FROM refs WHERE mh > ? ORDER BY mh LIMIT ?"
        after: tuple[object, ...] = (b"", -1, b"") if order_by_file else (b"",)
        while True:
            with self._lock:
                db = self._conn()
                if db is None:
                    return
                try:
                    rows = db.execute(sql, (*after, _PAGE)).fetchall()
                except sqlite3.Error as err:
                    raise StorageError(f"cannot read filestore {self.db_path}: {err}") from err
            yield from rows
            if len(rows) < _PAGE:
                return
            mh, path, start, _ = rows[-1]
            after = (path, start, mh) if order_by_file else (mh,)

    def flush(self) -> None:
        """Commit queued references now (reads and :meth:`close` do it anyway)."""
        with self._lock:
            self._conn()

    def close(self) -> None:
        """Commit queued references and close the database (idempotent)."""
        with self._lock:
            if self._closed:
                return
            try:
                if self._pending:
                    self._commit()
            finally:
                self._closed = True
                if self._db is not None:
                    self._db.close()
                    self._db = None

    # -- references --------------------------------------------------------------------------

    def put_ref(self, cid: CID, path: str | os.PathLike[str], offset: int, length: int) -> None:
        """Record that block ``cid`` is bytes ``offset .. offset+length`` of the file ``path``.

        Nothing is read: the caller (the importer) has just hashed those bytes. ``path``
        is made absolute and resolved. Identity CIDs are ignored (nothing to store).
        """
        if cid.is_identity:
            return
        if offset < 0 or length < 0:
            raise InvalidInputError(f"bad filestore range {offset}+{length} for {cid}")
        given = os.fspath(path)
        last = self._last_path
        if last[0] == given:
            where = last[1]
        else:
            where = os.fsencode(Path(given).resolve())
            self._last_path = (given, where)
        with self._lock:
            if self._closed:
                raise StorageError(f"filestore {self.db_path} is closed")
            self._pending[cid.multihash] = (where, offset, length)
            if len(self._pending) >= BATCH:
                self._commit()

    def ls(self) -> Iterator[FilestoreEntry]:
        """Every reference, in file order (path, then offset): Kubo's ``filestore ls``."""
        for mh, path, start, size in self._pages(order_by_file=True):
            yield FilestoreEntry(CID(1, RAW, mh), os.fsdecode(path), start, size)

    def verify_refs(self) -> Iterator[FilestoreCheck]:
        """Read and hash every reference, in file order (each file opened once).

        Kubo's ``filestore verify``: one :class:`FilestoreCheck` per entry. (Not named
        ``verify``: that attribute says whether ``inner`` hashes its reads.)
        """
        fd: int | None = None
        opened: bytes | None = None
        status: FileStatus | None = None
        message = ""
        try:
            for mh, path, start, size in self._pages(order_by_file=True):
                entry = FilestoreEntry(CID(1, RAW, mh), os.fsdecode(path), start, size)
                if path != opened:
                    if fd is not None:
                        os.close(fd)
                    opened = path
                    fd, status, message = _open(path)
                if fd is None:
                    yield FilestoreCheck(status or FileStatus.ERROR, entry, message)
                else:
                    found, _, why = _check(fd, path, mh, start, size)
                    yield FilestoreCheck(found, entry, why)
        finally:
            if fd is not None:
                os.close(fd)

    def dups(self) -> Iterator[CID]:
        """References whose block is also in ``inner`` (Kubo's ``filestore dups``)."""
        for mh, _, _, _ in self._pages(order_by_file=False):
            cid = CID(1, RAW, mh)
            if self.inner.has(cid):
                yield cid

    def _read_ref(self, cid: CID, row: _Row) -> bytes:
        path, start, size = row
        fd, error, message = _open(path)
        if fd is None:
            _raise(cid, path, error, message)
        try:
            status, data, message = _check(fd, path, cid.multihash, start, size)
        finally:
            os.close(fd)
        if status is not FileStatus.OK:
            _raise(cid, path, status, message)
        return data

    # -- the Blockstore protocol -------------------------------------------------------------

    def get(self, cid: CID) -> bytes:
        """The block's bytes: from ``inner``, else read from its file and verified."""
        try:
            return self.inner.get(cid)
        except BlockNotFoundError:
            row = self._ref(cid.multihash)
            if row is None:
                raise
        return self._read_ref(cid, row)

    def has(self, cid: CID) -> bool:
        """Whether the block is in ``inner`` or referenced (the file is not checked)."""
        return self.inner.has(cid) or self._ref(cid.multihash) is not None

    def size(self, cid: CID) -> int:
        """The block's length: ``inner``'s, else the recorded length of the reference."""
        try:
            return self.inner.size(cid)
        except BlockNotFoundError:
            row = self._ref(cid.multihash)
            if row is None:
                raise
        return row[2]

    def put(self, block: Block) -> None:
        """Store one block in ``inner`` (a copy, as usual)."""
        self.inner.put(block)

    def put_many(self, blocks: Iterable[Block]) -> None:
        """Store blocks in ``inner``."""
        self.inner.put_many(blocks)

    def delete(self, cid: CID) -> None:
        """Remove the block from ``inner`` and its reference, whichever exist."""
        if cid.is_identity:
            return
        self.inner.delete(cid)
        with self._lock:
            if self._closed:
                raise StorageError(f"filestore {self.db_path} is closed")
            if self._db is not None or cid.multihash in self._pending:
                self._pending[cid.multihash] = None
                if len(self._pending) >= BATCH:
                    self._commit()

    def multihashes(self) -> Iterator[bytes]:
        """Every multihash of ``inner``, then each referenced one not also in ``inner``."""
        yield from self.inner.multihashes()
        for mh, _, _, _ in self._pages(order_by_file=False):
            if not self.inner.has(CID(1, RAW, mh)):
                yield mh


# -- reading a referenced range ---------------------------------------------------------------


def _open(path: bytes) -> tuple[int | None, FileStatus | None, str]:
    """``(fd, None, "")``, or ``(None, status, why)`` when the file cannot be opened."""
    try:
        return os.open(path, _READ_FLAGS), None, ""
    except (FileNotFoundError, NotADirectoryError):
        return None, FileStatus.NO_FILE, f"{os.fsdecode(path)} is gone (moved or deleted)"
    except IsADirectoryError:
        return None, FileStatus.NO_FILE, f"{os.fsdecode(path)} is a directory now"
    except OSError as err:
        return None, FileStatus.ERROR, f"cannot read {os.fsdecode(path)}: {err.strerror or err}"


def _check(fd: int, path: bytes, mh: bytes, start: int, size: int) -> tuple[FileStatus, bytes, str]:
    """Read ``size`` bytes at ``start`` and hash them against ``mh``: status, bytes, why."""
    name = os.fsdecode(path)
    try:
        data = os.pread(fd, size, start)
        if len(data) < size:  # a short read (network file system) or a shorter file
            parts = [data]
            got = len(data)
            while got < size and (more := os.pread(fd, size - got, start + got)):
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
    except IsADirectoryError:
        return FileStatus.NO_FILE, b"", f"{name} is a directory now"
    except OSError as err:
        return FileStatus.ERROR, b"", f"cannot read {name}: {err.strerror or err}"
    if len(data) < size:
        return (
            FileStatus.CHANGED,
            b"",
            f"{name} is shorter than when it was added: {len(data)} of {size} bytes "
            f"at offset {start}",
        )
    try:
        multihash.verify(mh, data)
    except IntegrityError:
        return (
            FileStatus.CHANGED,
            b"",
            f"{name} changed since it was added: bytes {start}..{start + size} "
            "no longer match the CID",
        )
    return FileStatus.OK, data, ""


def _raise(cid: CID, path: bytes, status: FileStatus | None, message: str) -> NoReturn:
    """Raise the error for a referenced block that cannot be read back."""
    name = os.fsdecode(path)
    if status is FileStatus.ERROR:
        raise StorageError(f"no-copy block {cid}: {message}", filename=name)
    raise FileChangedError(f"no-copy block {cid}: {message}", path=name)
