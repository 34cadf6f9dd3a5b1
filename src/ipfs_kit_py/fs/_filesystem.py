"""``IPFSFileSystem``: fsspec's ``ipfs://`` protocol over verified UnixFS DAGs."""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractFileSystem
from fsspec.transaction import Transaction

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidInputError, ReadOnlyError
from ipfs_kit_py.fs._connect import Backend, Connector
from ipfs_kit_py.fs._file import IPFSFile
from ipfs_kit_py.fs._paths import IPFSPath, normalize, parse
from ipfs_kit_py.fs._reader import Reader, Stat, StatCache
from ipfs_kit_py.fs._sources import BlockSource, BlockWriter
from ipfs_kit_py.fs._tree import Dir, Entry, Link, Staged, Tree, build
from ipfs_kit_py.unixfs import Importer, NodeCache, resolve_options

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.rpc import RemoteAPI

__all__ = ["IPFSFileSystem", "IPFSTransaction"]

_EPOCH = datetime.datetime.fromtimestamp(0, tz=datetime.UTC)
#: The name of the pin that keeps the file system's current root from GC.
PIN_NAME = "ipfs-kit fs root"


class IPFSTransaction(Transaction):  # type: ignore[misc]  # fsspec is untyped
    """``with fs.transaction:``: writes are staged and land as one new root at the end.

    Inside, reads of the mutable root see the staged writes; nothing is stored until the
    commit. An exception discards everything (the root is unchanged). After the block,
    :attr:`root` is the root the transaction left (also ``fs.root``).
    """

    def __init__(self, fs: IPFSFileSystem, **kwargs: Any) -> None:
        super().__init__(fs, **kwargs)
        self.root: CID | None = None

    def complete(self, commit: bool = True) -> None:
        fs: IPFSFileSystem = self.fs
        try:
            super().complete(commit)  # deferred files commit into the staged tree
        except BaseException:
            fs._finish(commit=False)
            raise
        self.root = fs._finish(commit=commit)


class IPFSFileSystem(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """fsspec file system for ``ipfs://`` paths: verified reads, writes as new root CIDs.

    Args:
        api: an open :class:`~ipfs_kit_py.api.IPFSSimpleAPI` or
            :class:`~ipfs_kit_py.rpc.RemoteAPI` to read and write through.
        repo: a repo path (opened per operation unless this process has it open).
        gateway: a trustless gateway URL to read from (read-only unless ``rpc`` too).
        rpc: a daemon's RPC API URL (reads, unless ``gateway``, and writes).
        root: the CID the mutable root starts from (default: an empty directory).
        token: the bearer token for ``rpc``.
        profile: the import profile for writes (default: the repo's or daemon's).
        source: any :class:`BlockSource` to read from (and write to, if it is also a
            :class:`BlockWriter`); the sources above are built from the other arguments.

    With none of ``api``, ``repo``, ``gateway``, ``rpc`` (what ``fsspec.open`` does),
    the default repo is used as :mod:`ipfs_kit_py.fs._connect` describes.
    """

    protocol = "ipfs"
    root_marker = ""
    transaction_type = IPFSTransaction

    def __init__(
        self,
        *,
        api: IPFSSimpleAPI | RemoteAPI | None = None,
        repo: str | os.PathLike[str] | None = None,
        gateway: str | None = None,
        rpc: str | None = None,
        root: str | CID | None = None,
        token: str | None = None,
        profile: str | None = None,
        source: BlockSource | None = None,
        **storage_options: Any,
    ) -> None:
        super().__init__(**storage_options)
        self._connector = Connector(
            api=api,
            repo=repo,
            gateway=gateway,
            rpc=rpc,
            token=token,
            profile=profile,
            source=source,
        )
        self._profile = profile
        self._root: CID | None = None
        if root is not None:  # a CID, or ipfs://<cid>, /ipfs/<cid>
            self._root = root if isinstance(root, CID) else CID.parse(normalize(root))
        self._pinned: CID | None = None  # the root this file system pinned itself
        self._pending: Tree | None = None  # edits staged by a transaction or one call
        self._lock = threading.RLock()
        self._stats = StatCache()
        self._nodes = NodeCache()  # for sources that bring no node cache of their own
        self._changed = datetime.datetime.now(tz=datetime.UTC)  # of the mutable root

    # -- paths ----------------------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return normalize(os.fspath(path) if isinstance(path, os.PathLike) else str(path))

    @classmethod
    def _parent(cls, path: str) -> str:
        text = normalize(path)
        if text == "/":
            return "/"
        head, sep, _ = text.rpartition("/")
        if not sep:
            return ""  # above a bare CID there is nothing
        return head or "/"

    # -- the mutable root -----------------------------------------------------------------

    @property
    def root(self) -> CID:
        """The mutable root's CID now: a new one after each write or commit."""
        if self._root is None:
            with self._backend() as backend:
                self._root = self._empty_root(backend)
        return self._root

    def _empty_root(self, backend: Backend) -> CID:
        profile = self._profile or (backend.writer.profile if backend.writer else None)
        with Importer(resolve_options(profile)) as imp:
            return imp.directory([]).cid

    def end_transaction(self) -> CID:
        """Commit the transaction begun by :meth:`start_transaction`; the new root."""
        super().end_transaction()
        return self.root

    # -- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _backend(self) -> Iterator[Backend]:
        with self._connector.backend() as backend:
            yield backend

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Reader]:
        with self._backend() as backend:
            yield Reader(backend.source, self._stats, self._nodes)

    def _stat(self, reader: Reader, path: IPFSPath, *, exact: bool = True) -> Stat:
        """What ``path`` names (FileNotFoundError if nothing). ``exact``: a raw file's
        size from its block, not its link."""
        if path.mutable:
            with self._lock:
                pending = self._pending
                if pending is not None:
                    entry = pending.get(path.parts, reader)
                    if entry is None:
                        raise FileNotFoundError(errno.ENOENT, "No such file", path.text)
                    return self._entry_stat(reader, entry, exact=exact)
        cid = reader.resolve(path.cid or self.root, path.parts, path.text)
        return reader.stat(cid)

    def _entry_stat(self, reader: Reader, entry: Entry, *, exact: bool) -> Stat:
        if isinstance(entry, Staged):
            return Stat("file", entry.size, None, entry=entry)
        if isinstance(entry, Dir):
            if entry.dirty or entry.cid is None:
                return Stat("directory", 0, None, entry=entry)
            return Stat("directory", 0, entry.cid, entry.tsize)
        return reader.stat(entry.cid, None if exact else entry.tsize)

    def _info(self, name: str, stat: Stat) -> dict[str, Any]:
        kind = stat.kind if stat.kind in ("file", "directory") else "other"
        out: dict[str, Any] = {
            "name": name,
            "size": stat.size,
            "type": kind,
            "cid": None if stat.cid is None else str(stat.cid),
        }
        if stat.cid is not None:  # what HTTP-minded caches (datasets) key downloads on
            out["ETag"] = f'"{stat.cid}"'
        if stat.kind == "symlink":
            out["islink"] = True
            out["destination"] = stat.target
        return out

    def _mutable(self, path: str, *, root_ok: bool = False) -> IPFSPath:
        """Parse a path to write to: it must be under the mutable root."""
        parsed = parse(path)
        if not parsed.mutable:
            raise ReadOnlyError(
                f"{parsed.text}: content paths (<cid>/...) are immutable; "
                "write under '/' (the mutable root) instead",
                errno=errno.EROFS,
                filename=parsed.text,
            )
        if not parsed.parts and not root_ok:
            raise IsADirectoryError(errno.EISDIR, "Is a directory", "/")
        if self._connector.read_only:
            raise ReadOnlyError(
                f"{self._connector.where} is read-only: pass rpc= (or api=, repo=) to write",
                errno=errno.EROFS,
                filename=parsed.text,
            )
        return parsed

    @contextlib.contextmanager
    def _editing(self) -> Iterator[tuple[Tree, Reader]]:
        """The tree to edit: the pending one (transaction or batch), else a fresh one
        that becomes the new root when the ``with`` block ends without error."""
        with self._lock, self._reader() as reader:
            if self._pending is not None:
                yield self._pending, reader
            elif self._intrans:  # the transaction's tree, built when it ends
                self._pending = Tree(self.root)
                yield self._pending, reader
            else:
                with self._pending_tree() as tree:
                    yield tree, reader

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """One new root for everything a compound call (put, copy, mv, rm) does."""
        with self._lock:
            if self._pending is not None:
                yield
            else:
                with self._pending_tree():
                    yield

    @contextlib.contextmanager
    def _pending_tree(self) -> Iterator[Tree]:
        """A tree that reads see while the ``with`` block edits it, then the new root."""
        tree = self._pending = Tree(self.root)
        try:
            yield tree
            self._commit(tree)
        finally:
            self._pending = None
            tree.close()

    def _finish(self, *, commit: bool) -> CID:
        """End a transaction: build its tree into the new root, or drop it."""
        with self._lock:
            tree, self._pending = self._pending, None
            if tree is not None:
                try:
                    if commit:
                        self._commit(tree)
                finally:
                    tree.close()
            return self.root

    def _commit(self, tree: Tree) -> CID:
        """Import what ``tree`` staged, rebuild its dirty directories, pin the new root."""
        if not tree.dirty:
            return self.root
        with self._backend() as backend:
            writer = backend.writer
            if writer is None:
                raise ReadOnlyError(
                    f"{backend.where} is read-only: cannot write a new root",
                    errno=errno.EROFS,
                )
            options = resolve_options(self._profile or writer.profile)
            before = self.root
            with writer.hold():
                with Importer(options, sink=writer.put) as importer:
                    new = tree.build(importer).cid
                writer.flush()
                if new == before:  # edits that cancel out (or failed): nothing to pin
                    return new
                self._keep(writer, new)
        self._root = new
        self._changed = datetime.datetime.now(tz=datetime.UTC)
        return new

    def _keep(self, writer: BlockWriter, new: CID) -> None:
        """Pin ``new``; unpin the previous root only if the pin on it is still ours (pins
        are not counted: a CID someone else pinned too must keep their pin)."""
        old = self._pinned
        if old == new:
            return
        ours = old is not None and writer.pin_name(old) == PIN_NAME
        if writer.pin_name(new) is not None:  # pinned already, by someone else: theirs
            if ours:
                assert old is not None
                writer.unpin(old)
            self._pinned = None
            return
        if ours:
            assert old is not None
            writer.repin(old, new)
        else:
            writer.pin(new, PIN_NAME)
        self._pinned = new

    def _read_range(self, cid: CID, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        with self._reader() as reader:
            return b"".join(reader.exporter.cat(cid, start, end - start))

    def _stage(self, path: str, staged: Staged, *, exclusive: bool = False) -> None:
        try:
            target = self._mutable(path)
            with self._editing() as (tree, reader):
                if exclusive and tree.get(target.parts, reader) is not None:
                    raise FileExistsError(errno.EEXIST, "File exists", target.text)
                tree.put(target.parts, staged, reader)
        except BaseException:
            staged.close()  # (a no-op once the tree owns it: closing twice is harmless)
            raise

    # -- reading --------------------------------------------------------------------------

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        parsed = parse(path)
        with self._reader() as reader:
            return self._info(parsed.text, self._stat(reader, parsed))

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        parsed = parse(path)
        with self._reader() as reader:
            stat = self._stat(reader, parsed, exact=False)
            if stat.kind != "directory":
                return [self._info(parsed.text, stat) if detail else parsed.text]
            if isinstance(stat.entry, Dir):
                with self._lock:
                    items = sorted(stat.entry.entries.items())
                    stats = [(n, self._entry_stat(reader, e, exact=False)) for n, e in items]
            else:
                assert stat.cid is not None
                entries = reader.listing(stat.cid)
                if not detail:
                    return sorted(parsed.child(e.name) for e in entries)
                stats = list(zip((e.name for e in entries), reader.stats(entries), strict=True))
        if not detail:
            return [parsed.child(name) for name, _ in stats]
        return sorted(
            (self._info(parsed.child(name), s) for name, s in stats), key=lambda i: i["name"]
        )

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        parsed = parse(path)
        with self._reader() as reader:
            stat = self._file(reader, parsed)
            lo = start or 0
            if lo < 0 or (end is not None and end < 0):
                lo = max(0, stat.size + lo) if lo < 0 else lo
                end = stat.size + end if end is not None and end < 0 else end
            hi = stat.size if end is None else min(end, stat.size)
            if isinstance(stat.entry, Staged):
                return stat.entry.read(lo, hi)
            assert stat.cid is not None
            if hi <= lo:
                return b""
            return b"".join(reader.exporter.cat(stat.cid, lo, hi - lo))

    def _file(self, reader: Reader, path: IPFSPath) -> Stat:
        stat = self._stat(reader, path)
        if stat.kind == "directory":
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path.text)
        if stat.kind == "symlink":
            raise InvalidInputError(
                f"{path.text} is a symlink to {stat.target!r}: symlinks are not followed"
            )
        if stat.kind != "file":
            raise InvalidInputError(f"{path.text} is not a UnixFS file ({stat.cid})")
        return stat

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> IPFSFile:
        if mode == "rb":
            parsed = parse(path)
            with self._reader() as reader:
                stat = self._file(reader, parsed)
            staged = stat.entry if isinstance(stat.entry, Staged) else None
            return IPFSFile(
                self,
                parsed.text,
                "rb",
                cid=stat.cid,
                staged=staged,
                size=stat.size,
                block_size=block_size,
                cache_options=cache_options,
                **kwargs,
            )
        if mode not in ("wb", "xb"):
            raise ValueError(f"unsupported mode {mode!r} for ipfs files: rb, wb or xb")
        target = self._mutable(path)
        with self._reader() as reader, contextlib.suppress(FileNotFoundError, NotADirectoryError):
            existing = self._stat(reader, target)
            if existing.kind == "directory":
                raise IsADirectoryError(errno.EISDIR, "Is a directory", target.text)
            if mode == "xb":
                raise FileExistsError(errno.EEXIST, "File exists", target.text)
        return IPFSFile(
            self,
            target.text,
            mode,
            block_size=block_size,
            autocommit=autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    def ukey(self, path: str) -> str:
        """The CID of what ``path`` names (computed, not stored, for staged writes)."""
        parsed = parse(path)
        with self._reader() as reader:
            stat = self._stat(reader, parsed)
            if stat.cid is not None:
                return str(stat.cid)
            assert stat.entry is not None
            profile = self._profile
            if profile is None:
                with self._backend() as backend:
                    profile = backend.writer.profile if backend.writer else None
            with self._lock, Importer(resolve_options(profile)) as hashing:
                return str(build(stat.entry, hashing).cid)

    def modified(self, path: str) -> datetime.datetime:
        """The mtime the node records; else, for content paths, the epoch (content never
        changes), and for the mutable root, when this file system's root last changed."""
        parsed = parse(path)
        with self._reader() as reader:
            stat = self._stat(reader, parsed)
        if stat.mtime is not None:
            seconds = stat.mtime.seconds + (stat.mtime.nanos or 0) / 1e9
            return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
        if parsed.mutable:
            return self._changed
        return _EPOCH

    def checksum(self, path: str) -> int:
        """An integer derived from the CID: equal for equal content (same profile)."""
        return int.from_bytes(hashlib.sha256(self.ukey(path).encode()).digest()[:8], "big")

    # -- writing --------------------------------------------------------------------------

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        data = bytes(value)
        self._stage(path, Staged(data, len(data)), exclusive=mode == "create")

    def put_file(
        self,
        lpath: str | os.PathLike[str],
        rpath: str,
        callback: Any = None,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        local = Path(lpath)
        # inside a transaction the bytes are copied now: the file may change before commit
        staged = Staged.copy_of(local) if self._intrans else Staged(local, local.stat().st_size)
        self._stage(rpath, staged, exclusive=mode == "create")
        if callback is not None:
            callback.set_size(staged.size)
            callback.relative_update(staged.size)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        target = self._mutable(path, root_ok=True)
        if not target.parts:
            raise FileExistsError(errno.EEXIST, "File exists", "/")
        with self._editing() as (tree, reader):
            tree.mkdir(target.parts, reader, parents=create_parents, exist_ok=False)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        target = self._mutable(path, root_ok=True)
        if not target.parts:
            if exist_ok:
                return
            raise FileExistsError(errno.EEXIST, "File exists", "/")
        with self._editing() as (tree, reader):
            tree.mkdir(target.parts, reader, parents=True, exist_ok=exist_ok)

    def rmdir(self, path: str) -> None:
        target = self._mutable(path)
        with self._editing() as (tree, reader):
            entry = tree.get(target.parts, reader)
            if entry is None:
                raise FileNotFoundError(errno.ENOENT, "No such directory", target.text)
            if not tree.is_dir(entry, reader):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", target.text)
            tree.remove(target.parts, reader, recursive=False)

    def _rm(self, path: str) -> None:
        target = self._mutable(path)
        with self._editing() as (tree, reader):
            tree.remove(target.parts, reader, recursive=False)

    def rm_file(self, path: str) -> None:
        self._rm(path)

    def rm(
        self, path: str | list[str], recursive: bool = False, maxdepth: int | None = None
    ) -> None:
        with self._batch():
            paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
            with self._editing() as (tree, reader):
                for one in reversed(paths):
                    target = self._mutable(one, root_ok=True)
                    if target.parts:  # the root itself stays (emptied)
                        whole = recursive and maxdepth is None
                        tree.remove(target.parts, reader, recursive=whole)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        source, target = parse(path1), self._mutable(path2)
        with self._editing() as (tree, reader):
            stat = self._stat(reader, source, exact=False)
            if stat.kind == "directory":
                tree.mkdir(target.parts, reader, parents=True, exist_ok=True)
                return
            if stat.kind == "other":  # as Kubo's MFS, UnixFS only
                raise InvalidInputError(f"{source.text} is not UnixFS: cannot link it in a tree")
            entry: Entry
            if isinstance(stat.entry, Staged):
                entry = stat.entry
            else:
                assert stat.cid is not None
                tsize = stat.tsize if stat.tsize is not None else reader.tsize(stat.cid)
                entry = Link(stat.cid, tsize)
            tree.put(target.parts, entry, reader)

    def copy(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        with self._batch():
            super().copy(path1, path2, *args, **kwargs)

    def put(self, lpath: Any, rpath: Any, *args: Any, **kwargs: Any) -> None:
        with self._batch():
            super().put(lpath, rpath, *args, **kwargs)

    def mv(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        with self._batch():
            super().mv(path1, path2, *args, **kwargs)

    def close(self) -> None:
        """Close HTTP clients this file system made (gateway, RPC)."""
        self._connector.close()
