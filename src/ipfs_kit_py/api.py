"""``IPFSSimpleAPI``: one friendly facade over a local node.

Every call returns the same frozen dataclass wherever it is made from (Python,
CLI ``--json``, later RPC). Adds run under the shared side of the node's GC lock
and pin their root before releasing it, so a concurrent garbage collection can
never remove a block of an add in progress. Every block read is verified.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ipfs_kit_py.blockstore import BatchWriter, FilestoreCheck, FilestoreEntry
from ipfs_kit_py.car import CarLimits, CarReader, export_dag
from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    IntegrityError,
    InvalidInputError,
    IPFSKitError,
    StorageError,
)
from ipfs_kit_py.index import DagRecorder
from ipfs_kit_py.node import Node
from ipfs_kit_py.pinning import GCReport, Pin, PinVerifyResult, execute_gc, plan_gc
from ipfs_kit_py.pinning._walk import links_of
from ipfs_kit_py.unixfs import (
    AddedEntry,
    DirEntry,
    Exporter,
    Importer,
    ImportOptions,
    NodeCache,
    Stat,
    TreeEntry,
    resolve_options,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BlockStat", "CarImport", "IPFSSimpleAPI", "RepoStat", "VerifyReport", "open_api_for"]

#: The APIs open in this process, by resolved repo path. The repo lock is a per-process
#: flock, so a second ``IPFSSimpleAPI(path)`` here fails (RepoLockedError): code that
#: needs the repo another part of the process opened (``ipfs://`` reads) looks it up.
_OPEN_APIS: weakref.WeakValueDictionary[Path, IPFSSimpleAPI] = weakref.WeakValueDictionary()
_OPEN_LOCK = threading.Lock()


def open_api_for(path: str | os.PathLike[str] | None = None) -> IPFSSimpleAPI | None:
    """The :class:`IPFSSimpleAPI` open in this process over the repo at ``path`` (default
    ``$IPFS_KIT_PATH`` or ``~/.ipfs-kit``), or ``None``. It belongs to whoever opened it:
    use it, do not close it, and do not keep it past their ``close``.

    >>> import tempfile
    >>> repo = Path(tempfile.mkdtemp()) / "r"
    >>> with IPFSSimpleAPI(repo) as api:
    ...     open_api_for(repo) is api
    True
    >>> open_api_for(repo) is None
    True
    """
    from ipfs_kit_py.config import default_repo_path

    key = _repo_key(Path(path) if path is not None else default_repo_path())
    with _OPEN_LOCK:
        return _OPEN_APIS.get(key)


def _repo_key(path: Path) -> Path:
    return Path(os.path.realpath(path))


@dataclass(frozen=True, slots=True)
class BlockStat:
    """A stored block: its CID and length (Kubo's ``block stat``: ``Key``, ``Size``)."""

    cid: CID
    size: int


@dataclass(frozen=True, slots=True)
class RepoStat:
    """Kubo's ``repo stat``: how many blocks, how many bytes, where."""

    num_objects: int
    repo_size: int
    path: str
    version: str


@dataclass(frozen=True, slots=True)
class CarImport:
    """What :meth:`IPFSSimpleAPI.import_cars` stored: roots, blocks, bytes, pin failures."""

    roots: tuple[CID, ...]
    pin_errors: tuple[tuple[CID, IPFSKitError], ...]
    blocks: int
    bytes: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """``repo verify``: blocks checked; those whose bytes fail their hash (``corrupt``:
    a no-copy block whose file changed or went counts too) and those that could not be
    read at all (``unreadable``: an I/O error)."""

    checked: int
    corrupt: tuple[CID, ...]
    unreadable: tuple[CID, ...] = ()

    @property
    def ok(self) -> bool:
        """Every block read back and hashed right."""
        return not self.corrupt and not self.unreadable


class IPFSSimpleAPI:
    """Add, read, pin and collect content in a local repo.

    >>> import tempfile
    >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "repo") as api:
    ...     entry = api.add(b"hello world\\n")
    ...     str(entry.cid), api.cat(entry.cid)
    ('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4', b'hello world\\n')
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        node: Node | None = None,
        create: bool = True,
        **config: Any,
    ) -> None:
        """Open the repo at ``path`` (default ``$IPFS_KIT_PATH`` or ``~/.ipfs-kit``).

        With ``create`` (the default) a missing repo is initialised first.
        ``config`` keys override the repo's configuration for this process.
        """
        self.node = node if node is not None else Node.open(path, create=create, **config)
        self._owns_node = node is None
        self._lock = threading.RLock()
        #: decoded directory and inner file nodes, shared by every read through this API
        self.node_cache = NodeCache()
        self._key = _repo_key(self.node.path)
        with _OPEN_LOCK:  # the first API over a repo is the one others find
            _OPEN_APIS.setdefault(self._key, self)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the repo (when this object opened it); ``with`` does it for you.

        >>> import tempfile
        >>> api = IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r")
        >>> api.close()
        """
        with _OPEN_LOCK:
            if _OPEN_APIS.get(self._key) is self:
                del _OPEN_APIS[self._key]
        if self._owns_node:
            self.node.close()

    def __enter__(self) -> IPFSSimpleAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def profile(self) -> str:
        """The import profile adds use unless told otherwise (the repo's ``profile``).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.profile
        'unixfs-v1-2025'
        """
        return self.node.config.profile

    # -- adding ----------------------------------------------------------------------------

    def _options(self, profile: str | None, overrides: dict[str, Any]) -> ImportOptions:
        if profile is None and "cid_version" not in overrides:
            profile = self.node.config.profile
        return resolve_options(profile, **overrides)

    def add(
        self,
        data: bytes | str | BinaryIO,
        *,
        name: str = "",
        pin: bool = True,
        profile: str | None = None,
        tags: Sequence[str] = (),
        **options: Any,
    ) -> AddedEntry:
        """Store bytes (or a text, UTF-8, or a binary stream) as a UnixFS file.

        ``options`` are :func:`~ipfs_kit_py.unixfs.resolve_options` overrides
        (``chunker="buzhash"``, ``cid_version=0``, ...).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r", profile="unixfs-v0-2015") as api:
        ...     str(api.add("hello world\\n").cid)
        'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        opts = self._options(profile, options)
        with self.node.gc_lock.shared():
            with self._import(opts) as (imp, recorder):
                entry = imp.add_stream(stream, name)
            if pin:
                self.node.pins.add(
                    entry.cid, blockstore=self.node.blocks, name=name or None, complete=True
                )
            self.node.keeper.added(
                [entry], recorder, self.exporter, profile=opts.profile, tags=tags
            )
        return entry

    def add_path(
        self,
        path: str | os.PathLike[str],
        *,
        recursive: bool = True,
        pin: bool = True,
        profile: str | None = None,
        tags: Sequence[str] = (),
        nocopy: bool = False,
        **options: Any,
    ) -> list[AddedEntry]:
        """Store a file or directory tree; every entry as ``ipfs add -r`` lists them, root last.

        ``nocopy`` (Kubo's ``add --nocopy``) leaves the files' bytes where they are: their
        raw leaves are recorded as references and read back, verified, from the files. It
        implies ``raw_leaves=True`` (asking for ``raw_leaves=False`` too is an error).

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> (tmp / "d").mkdir(); _ = (tmp / "d" / "a.txt").write_text("a")
        >>> with IPFSSimpleAPI(tmp / "repo") as api:
        ...     [e.path for e in api.add_path(tmp / "d")]
        ['d/a.txt', 'd']
        """
        if nocopy:
            if options.get("raw_leaves") is False:
                raise InvalidInputError("nocopy requires raw leaves; raw_leaves=False was given")
            options["raw_leaves"] = True
        opts = self._options(profile, options)
        return self.add_paths(
            [path], recursive=recursive, pin=pin, options=opts, tags=tags, nocopy=nocopy
        )

    def add_paths(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        options: ImportOptions | None = None,
        recursive: bool = True,
        pin: bool = True,
        progress: Callable[[int], None] | None = None,
        tags: Sequence[str] = (),
        nocopy: bool = False,
    ) -> list[AddedEntry]:
        """Store several paths at once (``ipfs add -r A B``); each top-level root is pinned.

        With ``options.wrap_with_directory`` only the wrapping directory is pinned.
        ``progress`` is called with the number of bytes read as the import goes. Each
        top-level root gets a row in the :meth:`index`, with ``tags``. With ``nocopy``
        file bytes stay in the files: the repo keeps references (``ipfs-kit filestore``)
        and every read re-hashes them, failing with
        :class:`~ipfs_kit_py.errors.FileChangedError` if a file changed.

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> for name in "ab":
        ...     _ = (tmp / name).write_bytes(os.urandom(2_000_000))
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     added = api.add_paths([tmp / "a", tmp / "b"], nocopy=True)
        ...     [e.path for e in added], api.repo_stat().repo_size < 1000
        (['a', 'b'], True)
        """
        opts = options or self._options(None, {"raw_leaves": True} if nocopy else {})
        if nocopy and not opts.raw_leaves:
            raise InvalidInputError("nocopy requires raw leaves; options.raw_leaves is False")
        added = self._add_tree(
            lambda imp: imp.add_paths(paths, recursive=recursive),
            opts,
            pin=pin,
            progress=progress,
            tags=tags,
            nocopy=nocopy,
        )
        return list(added)

    def add_entries(
        self,
        entries: Iterable[TreeEntry],
        *,
        options: ImportOptions | None = None,
        pin: bool = True,
        progress: Callable[[int], None] | None = None,
        tags: Sequence[str] = (),
    ) -> Iterator[AddedEntry]:
        """Store a tree that arrives as a stream of ``(path, kind, payload)`` entries.

        This is ``ipfs add`` of a multipart upload: no file system, one entry after
        another (see :meth:`Importer.add_entries` for the rules; bad paths raise
        :class:`~ipfs_kit_py.errors.InvalidInputError` before anything of theirs is
        read). Entries are yielded as they are stored; the top-level roots are pinned
        once the stream ends, so consume the whole iterator.

        >>> import io, tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     tree = [("d", "directory", None), ("d/a.txt", "file", io.BytesIO(b"a"))]
        ...     [(e.path, e.kind) for e in api.add_entries(tree)], len(api.pins("recursive"))
        ([('d/a.txt', 'file'), ('d', 'directory')], 1)
        """
        opts = options or self._options(None, {})
        return self._add_tree(
            lambda imp: imp.add_entries(entries), opts, pin=pin, progress=progress, tags=tags
        )

    def _add_tree(
        self,
        tree: Callable[[Importer], Iterable[AddedEntry]],
        options: ImportOptions,
        *,
        pin: bool,
        progress: Callable[[int], None] | None,
        tags: Sequence[str],
        nocopy: bool = False,
    ) -> Iterator[AddedEntry]:
        """Import ``tree``, yielding its entries; then pin and index its top-level roots.

        Everything runs under the shared side of the GC lock, so no collection can
        remove a block of the add before its root is pinned.
        """
        roots: list[AddedEntry] = []
        with self.node.gc_lock.shared():
            with self._import(options, progress, nocopy=nocopy) as (imp, recorder):
                for entry in tree(imp):
                    if entry.path == "" or (
                        "/" not in entry.path and not options.wrap_with_directory
                    ):
                        roots.append(entry)
                    yield entry
            if pin:
                pins = self.node.pins  # the add stored every block, under the shared lock
                for entry in roots:
                    name = entry.path or None
                    pins.add(entry.cid, blockstore=self.node.blocks, name=name, complete=True)
            self.node.keeper.added(
                roots, recorder, self.exporter, profile=options.profile, tags=tags
            )

    def add_json(self, value: Any, *, pin: bool = True) -> AddedEntry:
        """Store ``value`` as a UnixFS file of compact, key-sorted JSON.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.cat(api.add_json({"b": 1, "a": [True, None]}).cid)
        b'{"a":[true,null],"b":1}'
        """
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return self.add(text.encode("utf-8"), pin=pin)

    @contextlib.contextmanager
    def _import(
        self,
        options: ImportOptions,
        progress: Callable[[int], None] | None = None,
        *,
        nocopy: bool = False,
    ) -> Iterator[tuple[Importer, DagRecorder]]:
        """An importer storing into this repo in batches, and a record of what it stored.

        Every block is durable when the ``with`` block ends normally: pin after it.
        """
        blocks = self.node.blocks
        recorder = DagRecorder()
        with BatchWriter(blocks.put_many) as batch:

            def sink(block: Block) -> None:
                batch(block)
                recorder.put(block)

            def ref_sink(cid: CID, path: Path, offset: int, length: int) -> None:
                blocks.put_ref(cid, path, offset, length)
                recorder.put_ref(cid, length)

            refs = ref_sink if nocopy else None
            with Importer(options, sink=sink, progress=progress, ref_sink=refs) as importer:
                yield importer, recorder
        blocks.flush()  # no-copy references too, before anything pins them

    # -- reading ---------------------------------------------------------------------------

    @property
    def exporter(self) -> Exporter:
        """A UnixFS reader over this node's blocks (the blockstore verifies each read).

        Reads through it are not counted in the index; :meth:`cat` and friends are.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.exporter.stat(api.add(b"abc").cid).size
        3
        """
        return Exporter(self.node.blocks.get, verify=False, nodes=self.node_cache)

    def cat(self, path: str | CID, *, offset: int = 0, length: int | None = None) -> bytes:
        """The bytes of the file at ``path`` (``CID[/a/b]``); ``length`` of them from ``offset``.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.cat(api.add(b"0123456789").cid, offset=2, length=3)
        b'234'
        """
        data = b"".join(self.exporter.cat(path, offset=offset, length=length))
        self.node.keeper.accessed(path)
        return data

    def stream(
        self, path: str | CID, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        """The file at ``path`` as verified pieces, without holding it all in memory.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     cid = api.add(os.urandom(3_000_000)).cid
        ...     [len(piece) for piece in api.stream(cid)]
        [1048576, 1048576, 902848]
        """
        pieces = self.exporter.cat(path, offset=offset, length=length)
        return self._counted(path, pieces)

    def _counted(self, path: str | CID, pieces: Iterator[bytes]) -> Iterator[bytes]:
        self.node.keeper.accessed(path)  # on the first read, not when the stream is made
        yield from pieces

    def get(
        self,
        path: str | CID,
        target: str | os.PathLike[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """Write the file or tree at ``path`` to ``target`` (which must not exist).

        ``progress`` is called with the number of bytes each time some are written.

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     api.get(api.add(b"weights").cid, tmp / "out").read_bytes()
        b'weights'
        """
        written = self.exporter.export(path, target, progress=progress)
        self.node.keeper.accessed(path)
        return written

    def ls(self, path: str | CID) -> list[DirEntry]:
        """The entries of the directory at ``path``.

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> (tmp / "d").mkdir(); _ = (tmp / "d" / "a.txt").write_text("a")
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     [e.name for e in api.ls(api.add_path(tmp / "d")[-1].cid)]
        ['a.txt']
        """
        return self.exporter.ls(path)

    def stat(self, path: str | CID) -> Stat:
        """Kind, size, mode and mtime of what ``path`` names.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     info = api.stat(api.add(b"abc").cid)
        ...     info.kind, info.size
        ('raw', 3)
        """
        return self.exporter.stat(path)

    # -- pins and garbage ------------------------------------------------------------------

    def pin(self, cid: str | CID, *, recursive: bool = True, name: str | None = None) -> Pin:
        """Pin ``cid`` (every block must be present).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     str(api.pin(api.add(b"keep", pin=False).cid, name="keep").type)
        'recursive'
        """
        target = CID.parse(cid)
        pinned = self.node.pins.add(
            target, recursive=recursive, name=name, blockstore=self.node.blocks
        )
        self.node.keeper.stored(target, name=name, walk_dag=recursive)
        return pinned

    def pin_update(self, old: str | CID, new: str | CID, *, unpin: bool = True) -> Pin:
        """Move a recursive pin from ``old`` to ``new`` (a new version of a model, say).

        The new pin keeps the old one's name; ``unpin=False`` keeps the old pin too.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     v1 = api.add(b"weights v1", name="model").cid
        ...     v2 = api.add(b"weights v2", pin=False).cid
        ...     pin = api.pin_update(v1, v2)
        ...     pin.name, [str(p.cid) == str(v2) for p in api.pins("recursive")]
        ('model', [True])
        """
        target = CID.parse(new)
        pinned = self.node.pins.update(
            CID.parse(old), target, unpin=unpin, blockstore=self.node.blocks
        )
        self.node.keeper.stored(target, name=pinned.name)
        return pinned

    def unpin(self, cid: str | CID) -> None:
        """Remove the pin on ``cid``.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.unpin(api.add(b"done").cid)
        ...     api.pins()
        []
        """
        self.node.pins.rm(CID.parse(cid))

    def pins(self, type: str = "all") -> list[Pin]:
        """The pins of a type: ``all``, ``recursive``, ``direct`` or ``indirect``.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(b"a", name="a")
        ...     [(str(p.type), p.name) for p in api.pins("recursive")]
        [('recursive', 'a')]
        """
        return list(self.node.pins.ls(type, blockstore=self.node.blocks))

    def pin_verify(self) -> list[PinVerifyResult]:
        """Kubo's ``pin verify``: for each stored pin, whether its DAG is whole and intact.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(b"a")
        ...     [r.ok for r in api.pin_verify()]
        [True]
        """
        return self.node.pins.verify(self.node.blocks)

    # -- no-copy references ------------------------------------------------------------------

    def filestore_ls(self) -> Iterator[FilestoreEntry]:
        """Every ``add --nocopy`` reference, in file order (Kubo's ``filestore ls``).

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> _ = (tmp / "w.bin").write_bytes(b"weights")
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     _ = api.add_path(tmp / "w.bin", nocopy=True)
        ...     [(e.offset, e.size) for e in api.filestore_ls()]
        [(0, 7)]
        """
        return self.node.blocks.ls()

    def filestore_verify(self) -> Iterator[FilestoreCheck]:
        """Read back and hash every no-copy reference (Kubo's ``filestore verify``).

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> _ = (tmp / "w.bin").write_bytes(b"weights")
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     _ = api.add_path(tmp / "w.bin", nocopy=True)
        ...     _ = (tmp / "w.bin").write_bytes(b"changed")
        ...     [str(c.status) for c in api.filestore_verify()]
        ['changed']
        """
        return self.node.blocks.verify_refs()

    def filestore_dups(self) -> Iterator[CID]:
        """No-copy references whose block is also copied into the repo (``filestore dups``).

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> _ = (tmp / "w.bin").write_bytes(b"weights")
        >>> with IPFSSimpleAPI(tmp / "r") as api:
        ...     cid = api.add_path(tmp / "w.bin", nocopy=True)[0].cid
        ...     _ = api.add_path(tmp / "w.bin")
        ...     list(api.filestore_dups()) == [cid]
        True
        """
        return self.node.blocks.dups()

    def gc(
        self,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> GCReport:
        """Remove every block no pin needs (``dry_run``: only report what would go).

        ``planned`` is told how many blocks will go, then ``progress`` is called with 1
        as each one does.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     kept, dropped = api.add(b"kept").cid, api.add(b"dropped", pin=False).cid
        ...     [str(c) == str(dropped) for c in api.gc().removed]
        [True]
        """
        with self.node.gc_lock.exclusive():
            plan = plan_gc(self.node.blocks, self.node.pins)
            if planned is not None:
                planned(len(plan.remove))
            report = execute_gc(
                plan, self.node.blocks, pins=self.node.pins, dry_run=dry_run, progress=progress
            )
        self.node.keeper.collected(report)
        return report

    # -- blocks and DAGs -------------------------------------------------------------------

    def block_put(self, data: bytes, *, codec: str = "raw", hash: str = "sha2-256") -> BlockStat:
        """Store one block; its CIDv1 names it.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     str(api.block_put(b"hello world\\n").cid)
        'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
        """
        from ipfs_kit_py.cid import multicodec

        block = Block.from_data(data, codec, hash_code=multicodec.code_of(hash))
        if codec != "raw":
            block.decode()  # refuse bytes that are not valid for the codec
        self.node.blocks.put(block)
        self.node.keeper.stored(block.cid, walk_dag=False)
        return BlockStat(block.cid, len(data))

    def block_get(self, cid: str | CID) -> bytes:
        """The verified bytes of one block.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.block_get(api.block_put(b"raw bytes").cid)
        b'raw bytes'
        """
        return self.node.blocks.get(CID.parse(cid))

    def block_stat(self, cid: str | CID) -> BlockStat:
        """The length of one stored block.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.block_stat(api.block_put(b"12345").cid).size
        5
        """
        target = CID.parse(cid)
        return BlockStat(target, self.node.blocks.size(target))

    def block_rm(self, cid: str | CID) -> None:
        """Delete one block (refused while a pin needs it).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     cid = api.block_put(b"scratch").cid
        ...     api.block_rm(cid)
        ...     api.node.blocks.has(cid)
        False
        """
        target = CID.parse(cid)
        if not self.node.blocks.has(target):
            raise BlockNotFoundError(f"block {target} is not stored")
        with self.node.gc_lock.exclusive():
            for pinned in self.node.pins.ls("all", blockstore=self.node.blocks):
                if pinned.cid.multihash == target.multihash:
                    raise InvalidInputError(f"block {target} is pinned ({pinned.type})")
            self.node.blocks.delete(target)
        self.node.keeper.removed(target)

    def dag_put(self, value: Any, *, codec: str = "dag-cbor", pin: bool = True) -> CID:
        """Encode ``value`` as one IPLD block and store it (pinned recursively).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     str(api.dag_put({"hello": "world"}))
        'bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae'
        """
        block = Block.encode(value, codec)
        with self.node.gc_lock.shared():
            self.node.blocks.put(block)
            if pin:
                self.node.pins.add(block.cid, blockstore=self.node.blocks)
            self.node.keeper.stored(block.cid)
        return block.cid

    def dag_get(self, cid: str | CID) -> Any:
        """Decode the block ``cid`` with its codec.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.dag_get(api.dag_put({"n": [1, 2]}, codec="dag-json"))
        {'n': [1, 2]}
        """
        target = CID.parse(cid)
        return Block(target, self.node.blocks.get(target)).decode()

    def dag_export(self, cid: str | CID, out: BinaryIO) -> int:
        """Write the whole DAG under ``cid`` as a CARv1 to ``out``; the number of blocks.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.dag_export(api.add(os.urandom(2_000_000)).cid, io.BytesIO())
        3
        """
        target = CID.parse(cid)
        return export_dag(out, [target], self.node.blocks.get, verify=False)  # store verifies

    def dag_import(self, car: BinaryIO, *, pin_roots: bool = True) -> list[CID]:
        """Store every block of a CAR (each verified) and pin its roots, as Kubo does.

        >>> import tempfile
        >>> car = io.BytesIO()
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "a") as a:
        ...     _ = a.dag_export(a.add(b"shared").cid, car)
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "b") as b:
        ...     b.cat(b.dag_import(io.BytesIO(car.getvalue()))[0])
        b'shared'
        """
        report = self.import_cars([car], pin_roots=pin_roots)
        if report.pin_errors:
            raise report.pin_errors[0][1]
        return list(report.roots)

    def import_cars(
        self,
        cars: Iterable[BinaryIO],
        *,
        pin_roots: bool = True,
        limits: CarLimits | None = None,
    ) -> CarImport:
        """Store every block of several CARs, each verified against its CID, then pin
        their roots (Kubo's ``dag import A.car B.car``). A root that cannot be pinned
        (its DAG is incomplete) is reported in ``pin_errors``, not raised.

        >>> import tempfile
        >>> car = io.BytesIO()
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "a") as a:
        ...     _ = a.dag_export(a.add(b"shared").cid, car)
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "b") as b:
        ...     r = b.import_cars([io.BytesIO(car.getvalue())])
        ...     r.blocks, r.bytes, r.pin_errors
        (1, 6, ())
        """
        node = self.node
        roots: list[CID] = []
        blocks = nbytes = 0
        pin_errors: list[tuple[CID, IPFSKitError]] = []
        with node.gc_lock.shared():
            for car in cars:
                reader = CarReader(car, verify=True, limits=limits or CarLimits())
                with BatchWriter(node.blocks.put_many) as batch:
                    for block in reader:
                        blocks += 1
                        nbytes += len(block.data)
                        batch(block)
                roots.extend(r for r in reader.roots if r not in roots)
            for root in roots:
                pinned = False
                if pin_roots:
                    try:
                        node.pins.add(root, blockstore=node.blocks)
                        pinned = True
                    except IPFSKitError as err:
                        pin_errors.append((root, err))
                if node.blocks.has(root):
                    node.keeper.stored(root, walk_dag=pinned)
        return CarImport(tuple(roots), tuple(pin_errors), blocks, nbytes)

    def refs(
        self, cid: str | CID, *, recursive: bool = False, unique: bool = False
    ) -> Iterator[CID]:
        """The CIDs ``cid`` links to (``recursive``: the whole DAG below it, depth first).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     len(list(api.refs(api.add(os.urandom(2_500_000)).cid)))
        3
        """
        get = self.node.blocks.get
        seen: set[bytes] = set()
        stack = [iter(links_of(CID.parse(cid), get))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            if unique:
                if child.bytes in seen:
                    continue
                seen.add(child.bytes)
            yield child
            if recursive:
                stack.append(iter(links_of(child, get)))

    # -- the repo --------------------------------------------------------------------------

    def repo_stat(self) -> RepoStat:
        """How many blocks the repo holds and their total size.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(b"x" * 10)
        ...     stat = api.repo_stat()
        ...     stat.num_objects, stat.repo_size
        (1, 10)
        """
        count = size = 0
        stored = self.node.blocks.inner  # no-copy references count as objects, not bytes
        for mh in self.node.blocks.multihashes():
            count += 1
            with contextlib.suppress(BlockNotFoundError):
                size += stored.size(CID(1, RAW, mh))
        version = (self.node.path / "version").read_text(encoding="ascii").strip()
        return RepoStat(count, size, str(self.node.path), version)

    def repo_verify(
        self,
        *,
        progress: Callable[[int], None] | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Re-hash every stored block; name the ones whose bytes are wrong.

        ``planned`` is told how many blocks there are, then ``progress`` is called with
        1 as each is checked.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(os.urandom(2_500_000))  # three 1 MiB leaves and their root
        ...     api.repo_verify()
        VerifyReport(checked=4, corrupt=(), unreadable=())
        """
        checked = 0
        corrupt: list[CID] = []
        unreadable: list[CID] = []
        hashes = list(self.node.blocks.multihashes())
        if planned is not None:
            planned(len(hashes))
        for mh in hashes:
            if progress is not None:
                progress(1)
            cid = CID(1, RAW, mh)
            checked += 1
            try:
                data = self.node.blocks.get(cid)
                if not self.node.blocks.verify:  # a trusting store: hash here instead
                    multihash.verify(mh, data)
            except IntegrityError:
                corrupt.append(cid)
            except StorageError:
                unreadable.append(cid)
            except BlockNotFoundError:
                checked -= 1  # removed while we looked (block rm): nothing to check
        return VerifyReport(checked, tuple(corrupt), tuple(unreadable))

    # -- the metadata index ----------------------------------------------------------------

    def index(self) -> pa.Table:
        """The metadata index: one row per stored root object (the held table, not a copy).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     cid = api.add(b"a,b\\n1,2\\n", name="t.csv", tags=["demo"]).cid
        ...     row = api.index().to_pylist()[0]
        >>> row["name"], row["mime_type"], row["size_bytes"], row["pin_types"], row["tags"]
        ('t.csv', 'text/csv', 8, ['recursive'], ['demo'])
        """
        return self.node.keeper.table()

    def index_query(self, sql: str) -> pa.Table:
        """duckdb SQL over the index, which is the table ``objects`` (read-only, sandboxed).

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(b"x" * 1000, name="x.bin"); _ = api.add(b"y", name="y.txt")
        ...     api.index_query("SELECT name FROM objects WHERE size_bytes > 100").to_pylist()
        [{'name': 'x.bin'}]
        """
        return self.node.keeper.query(sql)

    def tag(self, cid: str | CID, *tags: str, replace: bool = False) -> list[str]:
        """Label an object in the index; its tags afterwards.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.tag(api.add(b"w", tags=["model"]).cid, "v2")
        ['model', 'v2']
        """
        target = CID.parse(cid)
        if not self.node.blocks.has(target):
            raise BlockNotFoundError(f"block {target} is not stored")
        self.node.keeper.tagged(target, tags, replace=replace)
        row = self.node.index.get(target)
        return list(row["tags"]) if row else []

    def index_rebuild(self) -> int:
        """Recreate the index from the pins (read counts and tags are lost); its row count.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     _ = api.add(b"pinned"); _ = api.add(b"not pinned", pin=False)
        ...     api.index_rebuild()
        1
        """
        with self.node.gc_lock.shared():
            return self.node.keeper.rebuild()
