"""The mutable root being edited: copy-on-write directories over an immutable DAG.

A :class:`Tree` starts as one CID. A directory is *materialised* (its links read into
a :class:`Dir`) only when a path goes through it; everything else stays a
:class:`Link` (CID and Tsize), untouched. Writes mark the directories on their path
dirty; :meth:`Tree.build` imports what was staged (:class:`Staged` file bytes) and
rebuilds only the dirty directories, bottom up, with
:meth:`~ipfs_kit_py.unixfs.Importer.directory`, the rules ``add -r`` uses, so the new
root CID is the one ``ipfs add -r`` of the same tree gives. A clean directory keeps
its CID without being re-encoded; a rebuilt one keeps the mode and mtime its node
recorded.
"""

from __future__ import annotations

import contextlib
import errno
import io
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from ipfs_kit_py.cid import CID
from ipfs_kit_py.unixfs import DirEntry, Importer, Metadata

__all__ = ["Dir", "Entry", "Link", "Loader", "Staged", "Tree"]

_SPOOL_BYTES = 16 << 20  # staged file bytes beyond this go to a temporary file


class Loader(Protocol):
    """What the tree needs to read: directory listings and the kind of a CID."""

    def listing(self, cid: CID) -> list[DirEntry]:
        """The entries of the directory ``cid`` (sharded directories included)."""
        ...

    def meta(self, cid: CID) -> Metadata:
        """The mode and mtime the directory node ``cid`` records."""
        ...

    def kind(self, cid: CID) -> str:
        """``file``, ``directory`` or ``symlink``."""
        ...


@dataclass(frozen=True, slots=True)
class Link:
    """An entry kept as it is: its CID and Tsize (cumulative DAG bytes)."""

    cid: CID
    tsize: int


class Staged:
    """File bytes written but not imported yet: ``bytes``, a local file, or a spool."""

    def __init__(self, payload: bytes | Path | IO[bytes], size: int) -> None:
        self.payload = payload
        self.size = size
        self._lock = threading.Lock()

    @classmethod
    def copy_of(cls, path: Path) -> Staged:
        """A private copy of a local file (it may change before the staged write lands)."""
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        with path.open("rb") as src:
            size = 0
            while piece := src.read(1 << 20):
                spool.write(piece)
                size += len(piece)
        return cls(spool, size)

    @contextlib.contextmanager
    def stream(self) -> Iterator[BinaryIO]:
        """The bytes from the start, as a binary stream."""
        payload = self.payload
        if isinstance(payload, bytes):
            yield io.BytesIO(payload)
        elif isinstance(payload, Path):
            with payload.open("rb") as fp:
                yield fp
        else:
            with self._lock:
                payload.seek(0)
                yield payload  # type: ignore[misc]

    def close(self) -> None:
        """Free a spool (bytes and local files need nothing)."""
        if not isinstance(self.payload, bytes | Path):
            self.payload.close()

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``."""
        if end <= start:
            return b""
        payload = self.payload
        if isinstance(payload, bytes):
            return payload[start:end]
        if isinstance(payload, Path):
            with payload.open("rb") as fp:
                fp.seek(start)
                return fp.read(end - start)
        with self._lock:
            payload.seek(start)
            return payload.read(end - start)


class Dir:
    """A materialised directory: entries by name; ``cid``/``tsize`` while still clean."""

    __slots__ = ("cid", "dirty", "entries", "meta", "tsize")

    def __init__(
        self,
        entries: dict[str, Entry] | None = None,
        *,
        meta: Metadata | None = None,
        cid: CID | None = None,
        tsize: int = 0,
    ) -> None:
        self.entries: dict[str, Entry] = entries if entries is not None else {}
        self.meta = meta or Metadata()
        self.cid = cid
        self.tsize = tsize
        self.dirty = cid is None


Entry = Link | Staged | Dir


class Tree:
    """The mutable root, editable: starts as the directory ``root``."""

    def __init__(self, root: CID) -> None:
        self.root: Link | Dir = Link(root, 0)
        self._staged: list[Staged] = []  # closed with the tree

    @property
    def dirty(self) -> bool:
        """Whether anything was changed (so a new root must be built)."""
        return isinstance(self.root, Dir) and self.root.dirty

    # -- walking ------------------------------------------------------------------------

    def _root_dir(self, loader: Loader) -> Dir:
        if isinstance(self.root, Link):
            self.root = _load(self.root, loader)
        return self.root

    def _enter(self, parent: Dir, name: str, loader: Loader) -> Dir | None:
        """The directory ``name`` of ``parent`` (materialised), or ``None`` if not one."""
        child = parent.entries.get(name)
        if isinstance(child, Dir):
            return child
        if isinstance(child, Link) and loader.kind(child.cid) == "directory":
            loaded = _load(child, loader)
            parent.entries[name] = loaded
            return loaded
        return None

    def get(self, parts: tuple[str, ...], loader: Loader) -> Entry | None:
        """The entry at ``parts`` (``()``: the root), or ``None`` if there is none."""
        here: Entry = self._root_dir(loader)
        for i, name in enumerate(parts):
            assert isinstance(here, Dir)
            if i == len(parts) - 1:
                child = here.entries.get(name)
                if isinstance(child, Link) and loader.kind(child.cid) == "directory":
                    return self._enter(here, name, loader)
                return child
            found = self._enter(here, name, loader)
            if found is None:
                return None
            here = found
        return here

    def is_dir(self, entry: Entry | None, loader: Loader) -> bool:
        """Whether ``entry`` is a directory."""
        if isinstance(entry, Link):
            return loader.kind(entry.cid) == "directory"
        return isinstance(entry, Dir)

    def _dir(self, parts: tuple[str, ...], loader: Loader, *, create: bool) -> Dir:
        """The directory at ``parts`` for writing: every directory on the way is marked
        dirty; missing ones are made (``create``) or raise FileNotFoundError."""
        here = self._root_dir(loader)
        here.dirty = True
        for i, name in enumerate(parts):
            found = self._enter(here, name, loader)
            if found is None:
                where = "/" + "/".join(parts[: i + 1])
                if name in here.entries:
                    raise NotADirectoryError(errno.ENOTDIR, "Not a directory", where)
                if not create:
                    raise FileNotFoundError(errno.ENOENT, "No such directory", where)
                found = here.entries[name] = Dir()
            found.dirty = True
            here = found
        return here

    # -- editing ------------------------------------------------------------------------

    def put(self, parts: tuple[str, ...], entry: Entry, loader: Loader) -> None:
        """Set the file (or linked entry) at ``parts``; parents are made as needed."""
        parent = self._dir(parts[:-1], loader, create=True)
        if self.is_dir(parent.entries.get(parts[-1]), loader) and not self.is_dir(entry, loader):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", "/" + "/".join(parts))
        parent.entries[parts[-1]] = entry
        if isinstance(entry, Staged):
            self._staged.append(entry)

    def close(self) -> None:
        """Free the spools of what was staged (after the build, or to discard it)."""
        for staged in self._staged:
            staged.close()
        self._staged.clear()

    def mkdir(
        self, parts: tuple[str, ...], loader: Loader, *, parents: bool, exist_ok: bool
    ) -> None:
        """Make the directory ``parts`` (and its parents, with ``parents``)."""
        parent = self._dir(parts[:-1], loader, create=parents)
        existing = parent.entries.get(parts[-1])
        if existing is not None:
            if exist_ok and self.is_dir(existing, loader):
                return
            raise FileExistsError(errno.EEXIST, "File exists", "/" + "/".join(parts))
        parent.entries[parts[-1]] = Dir()

    def remove(self, parts: tuple[str, ...], loader: Loader, *, recursive: bool) -> Entry:
        """Remove the entry at ``parts``: a non-empty directory only if ``recursive``
        (which never reads what is below it)."""
        where = "/" + "/".join(parts)
        parent = self._dir(parts[:-1], loader, create=False)
        entry = parent.entries.get(parts[-1])
        if entry is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", where)
        if not recursive and self.is_dir(entry, loader):
            loaded = self._enter(parent, parts[-1], loader)
            if loaded is not None and loaded.entries:
                raise OSError(errno.ENOTEMPTY, "Directory not empty", where)
        del parent.entries[parts[-1]]
        return entry

    # -- building -----------------------------------------------------------------------

    def build(self, importer: Importer) -> Link:
        """Import what is staged and rebuild the dirty directories; the root's link."""
        root = self.root
        return root if isinstance(root, Link) else build(root, importer)


def build(entry: Entry, importer: Importer) -> Link:
    """The link of ``entry`` once imported (blocks go to ``importer``'s sink)."""
    if isinstance(entry, Link):
        return entry
    if isinstance(entry, Staged):
        with entry.stream() as fp:
            added = importer.add_stream(fp)
        return Link(added.cid, added.dag_size)
    if not entry.dirty and entry.cid is not None:
        return Link(entry.cid, entry.tsize)
    children = [(name, build(child, importer)) for name, child in entry.entries.items()]
    made = importer.directory(((n, c.cid, c.tsize) for n, c in children), meta=entry.meta)
    return Link(made.cid, made.dag_size)


def _load(link: Link, loader: Loader) -> Dir:
    entries: dict[str, Entry] = {e.name: Link(e.cid, e.tsize) for e in loader.listing(link.cid)}
    return Dir(entries, meta=loader.meta(link.cid), cid=link.cid, tsize=link.tsize)
