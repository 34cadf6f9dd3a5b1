"""UnixFS exporter: stream, range-read, list and materialise DAGs, verifying every block.

Ranged reads walk a file's tree by the ``blocksizes`` its nodes record and fetch
only the blocks that overlap the range, so reading a tensor out of a 10 GB
weights file costs a few blocks. Every claim a node makes is checked against
what its children deliver: sizes that lie, nesting deeper than
:data:`MAX_DEPTH` (a cycle is only possible through unverified or identity
blocks) and entry names that would escape a target directory are all refused
with typed errors.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_PB, RAW
from ipfs_kit_py.codecs import Block, PBNode, dag_pb
from ipfs_kit_py.errors import (
    DecodeError,
    InvalidInputError,
    PathNotFoundError,
    UnsupportedError,
)
from ipfs_kit_py.unixfs._hamt import hamt_lookup
from ipfs_kit_py.unixfs._pb import DataType, UnixFSData, UnixTime

__all__ = ["MAX_DEPTH", "DirEntry", "Exporter", "Stat", "safe_name"]

#: Deepest file tree or directory nesting followed (Kubo's DAGs are a few levels deep).
MAX_DEPTH = 128
#: Told how many bytes were just written (a progress bar), or nothing.
Progress = Callable[[int], None] | None
_CHUNK_KINDS = {DataType.FILE, DataType.RAW}


@dataclass(frozen=True, slots=True)
class Stat:
    """What a CID holds: ``kind`` is file, directory, symlink or raw (a raw block)."""

    cid: CID
    kind: str
    size: int  # content bytes of a file or symlink; 0 for a directory
    mode: int | None = None  # permission bits, when the node records them
    mtime: UnixTime | None = None  # modification time, when the node records it


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One directory entry: the name, the CID it links to and the link's Tsize."""

    name: str
    cid: CID
    tsize: int


def safe_name(name: str) -> str:
    """Return ``name`` if it is a single, harmless path component; else raise."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise InvalidInputError(f"unsafe entry name {name!r}")
    return name


class NodeCache:
    """Decoded UnixFS nodes that have links (directories, a file's inner nodes), by CID.

    Shared by the exporters of one node, so the root of a big file is fetched, hashed
    and decoded once, not once per read of it (a gateway serving ranges of one file
    reads its root for every request). Content-addressed entries never go stale.
    Thread-safe; least recently used first out once their blocks exceed ``max_bytes``.
    """

    def __init__(self, max_bytes: int = 16 << 20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CID, tuple[PBNode, UnixFSData, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, cid: CID) -> tuple[PBNode, UnixFSData] | None:
        """The decoded node, if cached."""
        with self._lock:
            hit = self._entries.get(cid)
            if hit is None:
                return None
            self._entries.move_to_end(cid)
            return hit[0], hit[1]

    def put(self, cid: CID, node: PBNode, fs: UnixFSData, size: int) -> None:
        """Keep a node whose block is ``size`` bytes (leaves are not worth keeping)."""
        if not node.links or size > self.max_bytes:
            return
        with self._lock:
            if cid in self._entries:
                return
            self._entries[cid] = (node, fs, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, _, freed) = self._entries.popitem(last=False)
                self._bytes -= freed


class Exporter:
    """Read UnixFS DAGs through ``get_block`` (a CID to its bytes).

    ``verify`` (default on) hashes every block fetched; turn it off only when
    ``get_block`` already verifies (our blockstores and :class:`IndexedCar` do).
    ``nodes`` is a :class:`NodeCache` shared with other exporters over the same blocks.
    """

    def __init__(
        self,
        get_block: Callable[[CID], bytes],
        *,
        verify: bool = True,
        nodes: NodeCache | None = None,
    ) -> None:
        self._get = get_block
        self.verify = verify
        self._nodes = nodes
        self._last: tuple[CID, PBNode, UnixFSData] | None = None  # stat then read: one fetch

    # -- blocks and nodes -----------------------------------------------------------------

    def block(self, cid: CID) -> bytes:
        """The verified bytes of ``cid`` (identity CIDs are answered from the CID)."""
        if cid.is_identity:
            return cid.digest
        data = self._get(cid)
        if self.verify:
            Block(cid, data).verify()
        return data

    def node(self, cid: CID) -> tuple[PBNode, UnixFSData]:
        """The dag-pb node ``cid`` and its UnixFS data (verified, decoded, cached)."""
        last = self._last
        if last is not None and last[0] == cid:
            return last[1], last[2]
        if cid.codec != DAG_PB:
            raise UnsupportedError(f"{cid} is {cid.codec_name}, not a UnixFS (dag-pb) node")
        cached = self._nodes.get(cid) if self._nodes is not None else None
        if cached is not None:
            node, fs = cached
        else:
            data = self.block(cid)
            node = dag_pb.decode_node(data)
            if node.data is None:
                raise DecodeError(f"{cid}: dag-pb node without UnixFS data")
            fs = UnixFSData.decode(node.data)
            if self._nodes is not None:
                self._nodes.put(cid, node, fs, len(data))
        self._last = (cid, node, fs)
        return node, fs

    def stat(self, path: str | CID) -> Stat:
        """Kind and size of what ``path`` (``CID[/a/b]``) names."""
        cid = self.resolve(path)
        if cid.codec == RAW:
            return Stat(cid, "raw", len(self.block(cid)))
        _, fs = self.node(cid)
        if fs.type in (DataType.DIRECTORY, DataType.HAMT_SHARD):
            return Stat(cid, "directory", 0, fs.mode, fs.mtime)
        if fs.type is DataType.SYMLINK:
            return Stat(cid, "symlink", len(fs.data or b""), fs.mode, fs.mtime)
        if fs.type in _CHUNK_KINDS:
            return Stat(cid, "file", _file_size(fs), fs.mode, fs.mtime)
        raise UnsupportedError(f"{cid}: UnixFS type {fs.type.name} is not supported")

    # -- directories ------------------------------------------------------------------------

    def ls(self, path: str | CID) -> list[DirEntry]:
        """The entries of the directory at ``path``, sharded directories included."""
        cid = self.resolve(path)
        if cid.codec == RAW:
            raise InvalidInputError(f"{path} is not a directory")
        node, fs = self.node(cid)
        if fs.type is DataType.DIRECTORY:
            return [DirEntry(lk.name or "", lk.cid, lk.tsize or 0) for lk in node.links]
        if fs.type is DataType.HAMT_SHARD:
            entries = list(self._shard_entries(node, 0))
            return sorted(entries, key=lambda e: e.name.encode("utf-8", "surrogateescape"))
        raise InvalidInputError(f"{path} is not a directory")

    def _shard_entries(self, node: PBNode, depth: int) -> Iterator[DirEntry]:
        if depth > MAX_DEPTH:
            raise DecodeError("HAMT shard nested too deeply (cycle?)")
        for link in node.links:
            name = link.name or ""
            if len(name) < 2:
                raise DecodeError(f"bad HAMT link name {name!r}")
            if len(name) > 2:
                yield DirEntry(name[2:], link.cid, link.tsize or 0)
            else:
                child, fs = self.node(link.cid)
                if fs.type is not DataType.HAMT_SHARD:
                    raise DecodeError(f"HAMT link {name!r} points to a {fs.type.name} node")
                yield from self._shard_entries(child, depth + 1)

    def resolve(self, path: str | CID) -> CID:
        """The CID that ``CID/a/b/c`` names (a bare CID resolves to itself)."""
        if isinstance(path, CID):
            return path
        text = path.removeprefix("/ipfs/")
        head, _, rest = text.partition("/")
        cid = CID.parse(head)
        parts = [p for p in rest.split("/") if p]
        if len(parts) > MAX_DEPTH:
            raise InvalidInputError(f"path has more than {MAX_DEPTH} components")
        for i, part in enumerate(parts):
            found = self._child(cid, part, path)
            if found is None:
                where = "/".join([head, *parts[:i]])
                raise PathNotFoundError(f"no entry {part!r} in {where}")
            cid = found
        return cid

    def _child(self, cid: CID, name: str, path: str) -> CID | None:
        """The entry ``name`` of the directory ``cid`` (a HAMT: only the shards on its way)."""
        if cid.codec == RAW:
            raise InvalidInputError(f"{path}: {cid} is not a directory")
        node, fs = self.node(cid)
        if fs.type is DataType.DIRECTORY:
            return next((lk.cid for lk in node.links if lk.name == name), None)
        if fs.type is DataType.HAMT_SHARD:
            return hamt_lookup(self.node, node, fs, name)
        raise InvalidInputError(f"{path}: {cid} is not a directory")

    # -- files ----------------------------------------------------------------------------

    def cat(self, path: str | CID, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Stream the bytes of the file at ``path``, from ``offset``, ``length`` at most.

        Only blocks that overlap the range are fetched.
        """
        if offset < 0 or (length is not None and length < 0):
            raise InvalidInputError("offset and length must not be negative")
        cid = self.resolve(path)
        info = self.stat(cid)
        if info.kind not in ("file", "raw"):
            raise InvalidInputError(f"{path} is a {info.kind}, not a file")
        end = info.size if length is None else min(offset + length, info.size)
        if offset < end:
            yield from self._read(cid, offset, end, 0, info.size)

    def _read(self, cid: CID, start: int, end: int, depth: int, claimed: int) -> Iterator[bytes]:
        """Yield bytes ``[start, end)`` of the file node ``cid`` whose parent says it has
        ``claimed`` bytes; refuse the node if its own accounting disagrees."""
        if depth > MAX_DEPTH:
            raise DecodeError(f"file tree deeper than {MAX_DEPTH} (cycle?) at {cid}")
        if cid.codec == RAW:
            data = self.block(cid)
            if len(data) != claimed:
                raise DecodeError(
                    f"blocksizes lie: {cid} has {len(data)} bytes, parent says {claimed}"
                )
            yield data[start:end]
            return
        node, fs = self.node(cid)
        if fs.type not in _CHUNK_KINDS:
            raise DecodeError(f"{cid}: a {fs.type.name} node inside a file")
        if len(fs.blocksizes) != len(node.links):
            raise DecodeError(f"{cid}: {len(node.links)} links but {len(fs.blocksizes)} blocksizes")
        inline = fs.data or b""
        total = len(inline) + sum(fs.blocksizes)
        if total != claimed or (fs.filesize is not None and fs.filesize != total):
            raise DecodeError(f"blocksizes lie: {cid} holds {total} bytes, parent says {claimed}")
        if start < len(inline):
            yield inline[start : min(end, len(inline))]
        pos = len(inline)
        for link, size in zip(node.links, fs.blocksizes, strict=True):
            lo, hi = pos, pos + size
            if hi > start and lo < end:
                yield from self._read(
                    link.cid, max(start, lo) - lo, min(end, hi) - lo, depth + 1, size
                )
            pos = hi
            if pos >= end:
                return

    # -- materialising ----------------------------------------------------------------------

    def export(
        self,
        path: str | CID,
        target: str | os.PathLike[str],
        *,
        metadata: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """Write the file, symlink or tree at ``path`` to ``target`` (which must not exist).

        Entry names are checked with :func:`safe_name`; files are created with
        ``O_EXCL | O_NOFOLLOW`` so nothing is ever written outside ``target`` or
        over an existing file, even by a DAG with duplicate names. With
        ``metadata`` a recorded mtime is restored, and a recorded mode too, minus
        the setuid, setgid and sticky bits, which a DAG from elsewhere must not
        grant (symlinks keep their own mode). ``progress`` is called with the number
        of bytes each time some are written.
        """
        out = Path(target)
        if os.path.lexists(out):
            raise InvalidInputError(f"{out} already exists")
        self._export(self.resolve(path), out, 0, metadata, progress)
        return out

    def _export(self, cid: CID, out: Path, depth: int, metadata: bool, progress: Progress) -> None:
        if depth > MAX_DEPTH:
            raise DecodeError(f"directory tree deeper than {MAX_DEPTH}")
        try:
            self._write(cid, out, depth, metadata, progress)
        except FileExistsError:
            raise DecodeError(f"duplicate entry {out.name!r} in a directory") from None

    def _write(self, cid: CID, out: Path, depth: int, metadata: bool, progress: Progress) -> None:
        info = self.stat(cid)
        if info.kind == "directory":
            out.mkdir()
            for entry in self.ls(cid):
                child = out / safe_name(entry.name)
                self._export(entry.cid, child, depth + 1, metadata, progress)
        elif info.kind == "symlink":
            _, fs = self.node(cid)
            os.symlink(os.fsdecode(fs.data or b""), out)
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(out, flags, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
            with os.fdopen(fd, "wb") as f:
                for chunk in self.cat(cid):
                    f.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
        if metadata:  # after the contents, which would bump a directory's mtime
            _restore(out, info)


def _restore(out: Path, info: Stat) -> None:
    link = info.kind == "symlink"
    if info.mode is not None and not link:
        os.chmod(out, info.mode & 0o777)
    if info.mtime is not None:
        ns = info.mtime.seconds * 1_000_000_000 + (info.mtime.nanos or 0)
        if not link or os.utime in os.supports_follow_symlinks:
            os.utime(out, ns=(ns, ns), follow_symlinks=not link)


def _file_size(fs: UnixFSData) -> int:
    if fs.filesize is not None:
        return fs.filesize
    return len(fs.data or b"") + sum(fs.blocksizes)
