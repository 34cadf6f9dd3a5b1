"""UnixFS importer: files and directories to DAGs whose CIDs match Kubo and Helia.

Files are cut by a fixed-size chunker into leaves; leaves are hashed on a thread
pool (hashlib releases the GIL, so every core hashes), at most a few chunks in
flight so memory stays bounded; a balanced builder folds finished leaves into
parents of ``max_links`` children as soon as a level fills, which yields the
same left-packed tree as Kubo's depth-first builder and the JS importer's
batching. In hash-only mode no block bytes are assembled at all: a dag-pb leaf
is hashed as ``header || chunk || trailer`` without copying the chunk.
With a ``ref_sink`` (``add --nocopy``), the raw leaves of regular files are
hashed but not handed to the sink: each is reported as ``(cid, path, offset,
length)`` instead, so a filestore can reference the user's file.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.cid._multicodec import DAG_PB, IDENTITY, RAW, SHA2_256
from ipfs_kit_py.cid._varint import encode_leb128
from ipfs_kit_py.codecs import Block, PBLink, PBNode, dag_pb
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs._hamt import sharded_directory
from ipfs_kit_py.unixfs._options import ImportOptions, resolve_options
from ipfs_kit_py.unixfs._pb import NO_METADATA, DataType, Metadata, UnixFSData
from ipfs_kit_py.unixfs._trickle import trickle_file

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["AddedEntry", "BlockSink", "Importer", "RefSink", "add_bytes", "add_path"]

#: Receives every block the importer makes; ``None`` hashes only.
BlockSink = Callable[[Block], None]
#: Receives ``(cid, file, offset, length)`` for each raw leaf left in its file (no-copy).
RefSink = Callable[[CID, Path, int, int], None]


@dataclass(frozen=True, slots=True)
class AddedEntry:
    """One imported file, directory or symlink, as ``ipfs add`` reports it."""

    path: str
    cid: CID
    size: int  # content bytes for files; cumulative DAG size for directories
    kind: str  # "file", "directory" or "symlink"
    dag_size: int = 0  # bytes of every block under the root: Kubo's ``add`` Size


#: One entry of a tree streamed to :meth:`Importer.add_entries`: ``(path, kind, payload)``.
TreeEntry = tuple[str, str, BinaryIO | bytes | None]


@dataclass(frozen=True, slots=True)
class _Link:
    cid: CID
    tsize: int  # cumulative DAG bytes under the link, as dag-pb Tsize
    size: int  # content bytes, for UnixFS blocksizes


class Importer:
    """Turn files, directories and streams into UnixFS DAGs.

    >>> imp = Importer(resolve_options("unixfs-v0-2015"))
    >>> str(imp.add_stream(__import__("io").BytesIO(b"hello world\\n")).cid)
    'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
    """

    def __init__(
        self,
        options: ImportOptions | None = None,
        sink: BlockSink | None = None,
        *,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
        ref_sink: RefSink | None = None,
    ) -> None:
        self.options = options or resolve_options()
        self.sink = sink
        #: with raw leaves, regular files' leaves go here, not to ``sink`` (``add --nocopy``)
        self.ref_sink = ref_sink
        self.workers = workers or os.cpu_count() or 1
        #: called with the number of file bytes each time a chunk has been read
        self.progress = progress
        self._pool: ThreadPoolExecutor | None = None

    # -- files ---------------------------------------------------------------------------

    def add_stream(
        self, fp: BinaryIO, name: str = "", *, meta: Metadata = NO_METADATA
    ) -> AddedEntry:
        """Import the bytes of a binary stream as one UnixFS file.

        ``meta`` (mode, mtime) is recorded on the file's root node.
        """
        link = self._file(fp, meta)
        return AddedEntry(name, link.cid, link.size, "file", link.tsize)

    def _file(
        self, fp: BinaryIO, meta: Metadata = NO_METADATA, source: Path | None = None
    ) -> _Link:
        opts = self.options
        head = _Head(fp, opts.chunk_size) if meta else None
        src: BinaryIO = fp if head is None else head  # type: ignore[assignment]
        if source is not None and opts.raw_leaves:  # no-copy: leaves stay in ``source``
            leaves = self._referenced_leaves(src, source)
        else:
            leaves = self._leaves(src)
        reduces = opts.layout == "balanced" or not opts.kubo_trickle  # one leaf is the file
        if meta and reduces:
            # a raw leaf cannot carry metadata: a file of one chunk (or none) becomes one
            # dag-pb File node holding its bytes, as the JS importer makes it
            first = next(leaves, None)
            second = next(leaves, None)
            if second is None:
                assert head is not None  # (the leaf block itself is left unreferenced)
                data = UnixFSData(
                    DataType.FILE,
                    data=bytes(head.data) or None,
                    filesize=len(head.data),
                    mode=meta.mode,
                    mtime=meta.mtime,
                )
                return self._node(PBNode((), data.encode()), len(head.data))
            leaves = itertools.chain((first, second), leaves)  # type: ignore[arg-type]
        if opts.layout == "trickle":
            return trickle_file(
                self,
                leaves,
                layer_repeat=opts.trickle_layer_repeat,
                reduce_single_leaf_to_self=not opts.kubo_trickle,
                meta=meta,
            )
        return self._balanced(leaves, meta)

    def _balanced(self, leaves: Iterator[_Link], meta: Metadata) -> _Link:
        """Fold leaves into Kubo's balanced, left-packed tree of ``max_links`` wide nodes.

        A full level is folded into its parent only when one more link arrives,
        so the root is always made last (and alone carries ``meta``).
        """
        width = self.options.max_links
        levels: list[list[_Link]] = []

        def push(level: int, link: _Link) -> None:
            if level == len(levels):
                levels.append([])
            if len(levels[level]) == width:
                push(level + 1, self._file_node(levels[level]))
                levels[level] = []
            levels[level].append(link)

        for leaf in leaves:
            push(0, leaf)
        if not levels:
            return self._leaf(memoryview(b""))  # the empty file is one empty leaf
        level = 0
        while True:  # fold partial levels upward until the top level makes the root
            items = levels[level]
            if level + 1 == len(levels) or not any(levels[level + 1 :]):
                return items[0] if len(items) == 1 else self._file_node(items, meta)
            if items:
                levels[level] = []
                push(level + 1, self._file_node(items))
            level += 1

    def _leaves(
        self, fp: BinaryIO, leaf: Callable[[memoryview], _Link] | None = None
    ) -> Iterator[_Link]:
        """Chunk ``fp`` and hash chunks in parallel (with ``leaf``, default :meth:`_leaf`);
        yield leaf links in order.

        Chunk buffers are recycled once their leaf is hashed: a fresh 1 MiB
        buffer per chunk costs more in page faults than hashing it.
        """
        leaf = leaf or self._leaf
        chunker = self.options.chunker
        if not chunker.fixed:
            yield from self._cdc_leaves(chunker.split(fp), leaf)
            return
        size = chunker.size
        pending: deque[tuple[Future[_Link], bytearray]] = deque()
        free: list[bytearray] = []
        window = 2 * self.workers + 1
        pool = self._executor()
        while True:
            buf = free.pop() if free else bytearray(size)
            n = _read_full(fp, buf)
            if n == 0:
                break
            pending.append((pool.submit(leaf, memoryview(buf)[:n]), buf))
            if self.progress is not None:
                self.progress(n)
            if len(pending) >= window:
                future, done = pending.popleft()
                yield future.result()
                free.append(done)
            if n < size:
                break
        while pending:
            yield pending.popleft()[0].result()

    def _cdc_leaves(
        self, chunks: Iterator[bytes], leaf: Callable[[memoryview], _Link]
    ) -> Iterator[_Link]:
        """Hash content-defined chunks in parallel; yield leaf links in order."""
        pending: deque[Future[_Link]] = deque()
        window = 2 * self.workers + 1
        pool = self._executor()
        for chunk in chunks:
            pending.append(pool.submit(leaf, memoryview(chunk)))
            if self.progress is not None:
                self.progress(len(chunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def _referenced_leaves(self, fp: BinaryIO, source: Path) -> Iterator[_Link]:
        """Raw leaves hashed but not stored, each reported to ``ref_sink`` with its offset."""
        report = self.ref_sink
        assert report is not None
        offset = 0
        for link in self._leaves(fp, self._unstored_leaf):
            if not link.cid.is_identity:  # an inlined leaf carries its bytes in its CID
                report(link.cid, source, offset, link.size)
            offset += link.size
            yield link

    def _unstored_leaf(self, chunk: memoryview) -> _Link:
        """:meth:`_leaf` for raw leaves, without handing the bytes to the sink."""
        n = len(chunk)
        limit = self.options.inline_limit
        if limit is not None and n <= limit:
            return _Link(CID(1, RAW, multihash.encode(IDENTITY, bytes(chunk))), n, n)
        return _Link(CID(1, RAW, self._digest((chunk,))), n, n)

    def _leaf(self, chunk: memoryview) -> _Link:
        opts = self.options
        n = len(chunk)
        if opts.raw_leaves:
            if opts.inline_limit is not None and n <= opts.inline_limit:
                cid = CID(1, RAW, multihash.encode(IDENTITY, bytes(chunk)))
            else:
                cid = CID(1, RAW, self._digest((chunk,)))
                if self.sink is not None:
                    self.sink(Block(cid, bytes(chunk)))
            return _Link(cid, n, n)
        # a dag-pb leaf: PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: n}};
        # Kubo's trickle layout types its leaves Raw instead
        kind = b"\x08\x00" if opts.kubo_trickle and opts.layout == "trickle" else b"\x08\x02"
        inner_head = kind + (b"\x12" + encode_leb128(n) if n else b"")
        trailer = b"\x18" + encode_leb128(n)
        inner_len = len(inner_head) + n + len(trailer)
        head = b"\x0a" + encode_leb128(inner_len) + inner_head
        size = len(head) + n + len(trailer)
        if opts.inline_limit is not None and size <= opts.inline_limit:
            data = head + bytes(chunk) + trailer
            cid = CID(1, DAG_PB, multihash.encode(IDENTITY, data))
            return _Link(cid, size, n)
        cid = CID(opts.cid_version, DAG_PB, self._digest((head, chunk, trailer)))
        if self.sink is not None:
            self.sink(Block(cid, head + bytes(chunk) + trailer))
        return _Link(cid, size, n)

    def _digest(self, parts: Iterable[bytes | memoryview]) -> bytes:
        code = self.options.hash_code
        if code == SHA2_256:
            h = hashlib.sha256()
            for part in parts:
                h.update(part)
            return b"\x12\x20" + h.digest()
        hasher = multihash.hasher(code)
        for part in parts:
            hasher.update(part)
        return multihash.encode(code, hasher.digest())

    def _file_node(self, children: list[_Link], meta: Metadata = NO_METADATA) -> _Link:
        total = sum(c.size for c in children)
        data = UnixFSData(
            DataType.FILE,
            filesize=total,
            blocksizes=tuple(c.size for c in children),
            mode=meta.mode,
            mtime=meta.mtime,
        )
        node = PBNode(tuple(PBLink(c.cid, "", c.tsize) for c in children), data.encode())
        return self._node(node, total)

    def _node(self, node: PBNode, size: int) -> _Link:
        raw = dag_pb.encode(node)
        opts = self.options
        if opts.inline_limit is not None and len(raw) <= opts.inline_limit:
            cid = CID(1, DAG_PB, multihash.encode(IDENTITY, raw))
        else:
            cid = CID(opts.cid_version, DAG_PB, self._digest((raw,)))
            if self.sink is not None:
                self.sink(Block(cid, raw))
        return _Link(cid, len(raw) + sum(lk.tsize or 0 for lk in node.links), size)

    # -- directories and paths -------------------------------------------------------------

    def add_paths(
        self, paths: Iterable[str | os.PathLike[str]], *, recursive: bool = True
    ) -> Iterator[AddedEntry]:
        """Import files, symlinks and directory trees; yield entries, each root last.

        Files are reported as they are added and directories after them,
        deepest first, as ``ipfs add -r`` prints them. With
        ``wrap_with_directory`` everything goes into one directory, reported
        last with an empty path.
        """
        tops: list[tuple[str, _Link]] = []
        for path in paths:
            root = Path(path)
            if not recursive and root.is_dir() and not root.is_symlink():
                raise InvalidInputError(f"{root} is a directory; add it recursively (-r)")
            files: list[AddedEntry] = []
            dirs: list[AddedEntry] = []
            tops.append((root.name, self._entry(root, root.name, files, dirs)))
            yield from files
            yield from dirs
        if self.options.wrap_with_directory:
            link = self._directory(tops)
            yield AddedEntry("", link.cid, link.tsize, "directory", link.tsize)

    def _entry(
        self, path: Path, rel: str, files: list[AddedEntry], dirs: list[AddedEntry]
    ) -> _Link:
        st = path.lstat()
        opts = self.options
        meta = Metadata.from_stat(st, mode=opts.preserve_mode, mtime=opts.preserve_mtime)
        if stat.S_ISLNK(st.st_mode):
            target = os.fsencode(os.readlink(path))
            data = UnixFSData(
                DataType.SYMLINK, data=target, mode=meta.mode, mtime=meta.mtime
            ).encode()
            link = self._node(PBNode((), data), len(target))
            files.append(AddedEntry(rel, link.cid, len(target), "symlink", link.tsize))
            return link
        if stat.S_ISDIR(st.st_mode):
            children = []
            with os.scandir(path) as it:
                names = sorted((e.name for e in it), key=os.fsencode)
            for child in names:
                if not self.options.hidden and child.startswith("."):
                    continue
                children.append((child, self._entry(path / child, f"{rel}/{child}", files, dirs)))
            link = self._directory(children, meta)
            dirs.append(AddedEntry(rel, link.cid, link.tsize, "directory", link.tsize))
            return link
        if stat.S_ISREG(st.st_mode):
            with path.open("rb") as fp:
                link = self._file(fp, meta, path if self.ref_sink is not None else None)
            files.append(AddedEntry(rel, link.cid, link.size, "file", link.tsize))
            return link
        raise InvalidInputError(f"{path}: not a regular file, directory or symlink")

    def directory(
        self, entries: Iterable[tuple[str, CID, int]], *, meta: Metadata = NO_METADATA
    ) -> AddedEntry:
        """Build one directory from existing ``(name, cid, tsize)`` links, by the rules
        :meth:`add_paths` uses (sorted by name bytes; HAMT-sharded past the profile's
        threshold), so patching a tree entry by entry gives the CID ``add -r`` would.

        ``tsize`` is each child's cumulative DAG size (its link's Tsize). Names must be
        plain and unique (:class:`InvalidInputError` otherwise). Only the directory's
        own blocks (its node, or its shards) go to the sink.

        >>> imp = Importer(resolve_options("unixfs-v0-2015"))
        >>> str(imp.directory([]).cid)
        'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'
        """
        children: list[tuple[str, _Link]] = []
        seen: set[str] = set()
        for name, cid, tsize in entries:
            if name in seen or "\0" in name:
                raise InvalidInputError(f"duplicate or invalid directory entry name {name!r}")
            seen.add(name)
            children.append((name, _Link(cid, tsize, 0)))
        link = self._directory(children, meta)
        return AddedEntry("", link.cid, link.tsize, "directory", link.tsize)

    def _directory(self, children: list[tuple[str, _Link]], meta: Metadata = NO_METADATA) -> _Link:
        links = [PBLink(link.cid, name, link.tsize) for name, link in children]
        for name, _ in children:
            if not name or "/" in name or name in (".", ".."):
                raise InvalidInputError(f"invalid directory entry name {name!r}")
        data = UnixFSData(DataType.DIRECTORY, mode=meta.mode, mtime=meta.mtime)
        node = PBNode.create(links, data.encode())
        opts = self.options
        if opts.shard_estimate == "links-bytes":
            estimate = sum(len(lk.name_bytes()) + len(lk.cid.bytes) for lk in links)
        else:
            estimate = len(dag_pb.encode(node))
        if links and estimate > opts.shard_threshold:  # an empty directory never shards
            return sharded_directory(self, links, meta)
        return self._node(node, 0)

    def add_entries(self, entries: Iterable[TreeEntry]) -> Iterator[AddedEntry]:
        """Import a tree that arrives as a stream of ``(path, kind, payload)`` entries.

        This is how a tree crosses a network (``ipfs add`` over RPC, multipart): no
        file system, one entry after another. ``kind`` is ``file`` (payload: a binary
        stream, read to its end before the next entry is taken), ``directory``
        (payload ``None``) or ``symlink`` (payload: the target bytes). A path is
        ``/``-separated and relative, each component a plain name: an absolute path,
        an empty component, ``.`` or ``..`` raises :class:`InvalidInputError` before
        anything of that entry is read. Parents missing from the stream are created;
        a path given twice is an error. Only a lone top-level file may have the empty
        path. Files are yielded as they are imported, directories once the stream
        ends (children first), as :meth:`add_paths` does; each top-level entry is a
        root, or all go into one directory, yielded last with an empty path, with
        ``wrap_with_directory``.
        """
        root: dict[str, _Link | dict[str, object]] = {}
        order: list[str] = []  # top-level names, as they arrive
        for path, kind, payload in entries:
            parts = _entry_parts(path)
            if not parts and (kind != "file" or root or self.options.wrap_with_directory):
                raise InvalidInputError("only a single top-level file may have no name")
            parent = root
            for depth, name in enumerate(parts[:-1]):
                child = parent.setdefault(name, {})
                if not isinstance(child, dict):
                    raise InvalidInputError(f"{'/'.join(parts[: depth + 1])} is not a directory")
                if parent is root and name not in order:
                    order.append(name)
                parent = child  # type: ignore[assignment]
            leaf = parts[-1] if parts else ""
            existing = parent.get(leaf)
            if kind == "directory":
                if existing is not None and not isinstance(existing, dict):
                    raise InvalidInputError(f"duplicate entry {path!r}")
                parent.setdefault(leaf, {})
            elif existing is not None:
                raise InvalidInputError(f"duplicate entry {path!r}")
            elif kind == "file" and payload is not None and not isinstance(payload, bytes):
                link = self._file(payload)
                parent[leaf] = link
                yield AddedEntry(path, link.cid, link.size, "file", link.tsize)
            elif kind == "symlink" and isinstance(payload, bytes):
                data = UnixFSData(DataType.SYMLINK, data=payload).encode()
                link = self._node(PBNode((), data), len(payload))
                parent[leaf] = link
                yield AddedEntry(path, link.cid, len(payload), "symlink", link.tsize)
            else:
                raise InvalidInputError(f"bad entry {path!r}: kind {kind!r} with this payload")
            if parent is root and leaf not in order:
                order.append(leaf)
        dirs: list[AddedEntry] = []
        tops = [(name, self._tree(name, root[name], dirs)) for name in order]
        yield from dirs
        if self.options.wrap_with_directory:
            link = self._directory(tops)
            yield AddedEntry("", link.cid, link.tsize, "directory", link.tsize)

    def _tree(self, rel: str, node: _Link | dict[str, object], dirs: list[AddedEntry]) -> _Link:
        """Fold one directory of :meth:`add_entries` (children first) into its node."""
        if not isinstance(node, dict):
            return node
        names = sorted(node, key=lambda n: n.encode("utf-8", "surrogateescape"))
        children = [(n, self._tree(f"{rel}/{n}", node[n], dirs)) for n in names]  # type: ignore[arg-type]
        link = self._directory(children)
        dirs.append(AddedEntry(rel, link.cid, link.tsize, "directory", link.tsize))
        return link

    # -- lifetime --------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ipfs-kit-hash")
        return self._pool

    def close(self) -> None:
        """Stop the hashing threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Importer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)


class _Head(io.RawIOBase):
    """Reads through to ``fp`` and keeps a copy of the first ``limit`` bytes read."""

    def __init__(self, fp: BinaryIO, limit: int) -> None:
        super().__init__()
        self._fp = fp
        self._limit = limit
        self.data = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            n: int = self._fp.readinto(view)  # type: ignore[attr-defined]
            if n and len(self.data) < self._limit:
                self.data += view[: min(n, self._limit - len(self.data))]
        return n


def _entry_parts(path: str) -> list[str]:
    """The components of a streamed entry's relative path; refuse anything that could
    escape the tree (absolute, ``..``, ``.``, empty components, NUL)."""
    if path == "":
        return []
    parts = path.split("/")
    if path.startswith("/") or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise InvalidInputError(f"invalid entry path {path!r}: must be relative, plain names")
    return parts


def _read_full(fp: BinaryIO, buf: bytearray) -> int:
    view = memoryview(buf)
    total = 0
    while total < len(buf):
        n = fp.readinto(view[total:])  # type: ignore[attr-defined]
        if not n:
            break
        total += n
    return total


def add_bytes(
    data: bytes, options: ImportOptions | None = None, sink: BlockSink | None = None
) -> CID:
    """The CID of ``data`` imported as one UnixFS file."""
    with Importer(options, sink) as imp:
        return imp.add_stream(io.BytesIO(data)).cid


def add_path(
    path: str | os.PathLike[str],
    options: ImportOptions | None = None,
    sink: BlockSink | None = None,
) -> list[AddedEntry]:
    """Import ``path`` (a file or a directory tree); the root entry is last."""
    with Importer(options, sink) as imp:
        return list(imp.add_paths([path]))
