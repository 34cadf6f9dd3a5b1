"""Reading through one backend: path resolution, stats and listings, cached by CID.

A :class:`Reader` wraps one :class:`~ipfs_kit_py.fs._sources.BlockSource` in an
:class:`~ipfs_kit_py.unixfs.Exporter` (which verifies nothing itself: every source
already hands out verified bytes). Kinds and sizes of dag-pb nodes are remembered by
CID in a :class:`StatCache` for the life of a file system: content never changes, so
the cache never goes stale, whichever backend filled it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block, PBNode, dag_pb
from ipfs_kit_py.errors import (
    DecodeError,
    InvalidCIDError,
    InvalidInputError,
    PathNotFoundError,
    UnsupportedError,
)
from ipfs_kit_py.fs._sources import BlockSource, RepoBlockSource
from ipfs_kit_py.fs._tree import Dir, Staged
from ipfs_kit_py.unixfs import (
    DataType,
    DirEntry,
    Exporter,
    Metadata,
    NodeCache,
    UnixFSData,
    UnixTime,
)

__all__ = ["Reader", "Stat", "StatCache"]

_EMPTY_DIR = dag_pb.encode(PBNode((), UnixFSData(DataType.DIRECTORY).encode()))
_EMPTY_DIR_HASH = Block.from_data(_EMPTY_DIR, "dag-pb").cid.multihash
_STATS_MAX = 65536  # CIDs whose kind and size are remembered


@dataclass(frozen=True, slots=True)
class Stat:
    """What a path names: a kind (file, directory, symlink), a size and, once built, a
    CID; ``entry`` is the staged or edited thing when it is not built yet."""

    kind: str
    size: int
    cid: CID | None
    tsize: int | None = None
    target: str | None = None
    entry: Staged | Dir | None = None
    mtime: UnixTime | None = None  # when the node records one


class Reader:
    """Reads through one backend: resolution, stats and listings (stats cached by CID)."""

    def __init__(self, source: BlockSource, stats: StatCache, nodes: NodeCache) -> None:
        self.source = source
        nodes = getattr(source, "nodes", None) or nodes  # the source's own cache first
        self.exporter = Exporter(_with_empty_dir(source.get), verify=False, nodes=nodes)
        self._stats = stats

    def resolve(self, cid: CID, parts: tuple[str, ...], text: str) -> CID:
        if not parts:
            return cid
        try:
            return self.exporter.resolve("/".join((str(cid), *parts)))
        except (DecodeError, InvalidCIDError):
            raise
        except InvalidInputError as err:  # a file on the way: no such path
            raise PathNotFoundError(f"{text}: {err}") from err

    def stat(self, cid: CID, tsize: int | None = None) -> Stat:
        """Kind and size of ``cid``; a raw block's size is its link's Tsize when given
        (they are equal in any valid DAG, and reads never trust it)."""
        if cid.codec == RAW:
            size = tsize if tsize is not None else self.source.size(cid)
            return Stat("file", size, cid, tsize)
        hit = self._stats.get(cid)
        if hit is not None:
            return hit
        try:
            info = self.exporter.stat(cid)
        except UnsupportedError:  # not UnixFS (dag-cbor, ...) or a type we do not read
            return Stat("other", 0, cid, tsize)
        target = None
        if info.kind == "symlink":
            _, fs = self.exporter.node(cid)
            target = os.fsdecode(fs.data or b"")
        stat = Stat(info.kind, info.size, cid, tsize, target, mtime=info.mtime)
        self._stats.put(cid, stat)
        return stat

    def stats(self, entries: list[DirEntry]) -> list[Stat]:
        """:meth:`stat` of each entry; remote blocks are fetched a few at a time."""
        slow = not isinstance(self.source, RepoBlockSource)
        todo = [e for e in entries if e.cid.codec != RAW and self._stats.get(e.cid) is None]
        if slow and len(todo) > 4:
            with ThreadPoolExecutor(8, thread_name_prefix="ipfs-kit-fs-stat") as pool:
                list(pool.map(lambda e: self.stat(e.cid, e.tsize), todo))
        return [self.stat(e.cid, e.tsize) for e in entries]

    # the Loader role of the tree being edited
    def listing(self, cid: CID) -> list[DirEntry]:
        return self.exporter.ls(cid)

    def meta(self, cid: CID) -> Metadata:
        _, fs = self.exporter.node(cid)
        return Metadata(fs.mode, fs.mtime)

    def kind(self, cid: CID) -> str:
        return self.stat(cid).kind

    def tsize(self, cid: CID) -> int:
        """The cumulative DAG size of ``cid``, as a link to it records (dag-pb Tsize)."""
        if cid.codec == RAW or cid.is_identity:
            return 0 if cid.is_identity else self.source.size(cid)
        node, _ = self.exporter.node(cid)
        return len(dag_pb.encode(node)) + sum(link.tsize or 0 for link in node.links)


class StatCache:
    def __init__(self) -> None:
        self._items: OrderedDict[CID, Stat] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cid: CID) -> Stat | None:
        with self._lock:
            return self._items.get(cid)

    def put(self, cid: CID, stat: Stat) -> None:
        with self._lock:
            self._items[cid] = stat
            if len(self._items) > _STATS_MAX:
                self._items.popitem(last=False)


def _with_empty_dir(get: Callable[[CID], bytes]) -> Callable[[CID], bytes]:
    """``get``, answering the empty UnixFS directory (any CID version) from memory: the
    mutable root starts as one before anything stored it."""

    def wrapped(cid: CID) -> bytes:
        return _EMPTY_DIR if cid.multihash == _EMPTY_DIR_HASH else get(cid)

    return wrapped
