"""``IPFSSimpleAPI``: one friendly facade over a local node.

Every call returns the same frozen dataclass wherever it is made from (Python,
CLI ``--json``, later RPC). Adds run under the shared side of the node's GC lock
and pin their root before releasing it, so a concurrent garbage collection can
never remove a block of an add in progress. Every block read is verified.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ipfs_kit_py.car import CarReader, export_dag
from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError, IntegrityError, InvalidInputError
from ipfs_kit_py.node import Node
from ipfs_kit_py.pinning import GCReport, Pin, execute_gc, plan_gc
from ipfs_kit_py.pinning._walk import links_of
from ipfs_kit_py.unixfs import (
    AddedEntry,
    DirEntry,
    Exporter,
    Importer,
    ImportOptions,
    Stat,
    resolve_options,
)

__all__ = ["BlockStat", "IPFSSimpleAPI", "RepoStat", "VerifyReport"]


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
class VerifyReport:
    """``repo verify``: blocks checked, and the multihashes of those that fail their hash."""

    checked: int
    corrupt: tuple[CID, ...]

    @property
    def ok(self) -> bool:
        return not self.corrupt


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

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the repo (when this object opened it)."""
        if self._owns_node:
            self.node.close()

    def __enter__(self) -> IPFSSimpleAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        with self.node.gc_lock.shared(), self._importer(opts) as imp:
            entry = imp.add_stream(stream, name)
            if pin:
                self.node.pins.add(entry.cid, blockstore=self.node.blocks, name=name or None)
        return entry

    def add_path(
        self,
        path: str | os.PathLike[str],
        *,
        recursive: bool = True,
        pin: bool = True,
        profile: str | None = None,
        **options: Any,
    ) -> list[AddedEntry]:
        """Store a file or directory tree; every entry as ``ipfs add -r`` lists them, root last.

        >>> import tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> (tmp / "d").mkdir(); _ = (tmp / "d" / "a.txt").write_text("a")
        >>> with IPFSSimpleAPI(tmp / "repo") as api:
        ...     [e.path for e in api.add_path(tmp / "d")]
        ['d/a.txt', 'd']
        """
        opts = self._options(profile, options)
        return self.add_paths([path], recursive=recursive, pin=pin, options=opts)

    def add_paths(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        options: ImportOptions | None = None,
        recursive: bool = True,
        pin: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> list[AddedEntry]:
        """Store several paths at once (``ipfs add -r A B``); each top-level root is pinned.

        With ``options.wrap_with_directory`` only the wrapping directory is pinned.
        ``progress`` is called with the number of bytes read as the import goes.
        """
        opts = options or self._options(None, {})
        with self.node.gc_lock.shared(), self._importer(opts, progress) as imp:
            entries = list(imp.add_paths(paths, recursive=recursive))
            if pin:
                tops = {Path(p).name for p in paths}
                for entry in entries:
                    if entry.path == "" or (entry.path in tops and not opts.wrap_with_directory):
                        name = entry.path or None
                        self.node.pins.add(entry.cid, blockstore=self.node.blocks, name=name)
        return entries

    def add_json(self, value: Any, *, pin: bool = True) -> AddedEntry:
        """Store ``value`` as a UnixFS file of compact, key-sorted JSON.

        >>> import tempfile
        >>> with IPFSSimpleAPI(Path(tempfile.mkdtemp()) / "r") as api:
        ...     api.cat(api.add_json({"b": 1, "a": [True, None]}).cid)
        b'{"a":[true,null],"b":1}'
        """
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return self.add(text.encode("utf-8"), pin=pin)

    def _importer(
        self, options: ImportOptions, progress: Callable[[int], None] | None = None
    ) -> Importer:
        return Importer(options, sink=self.node.blocks.put, progress=progress)

    # -- reading ---------------------------------------------------------------------------

    @property
    def exporter(self) -> Exporter:
        """A UnixFS reader over this node's blocks (the blockstore verifies each read)."""
        return Exporter(self.node.blocks.get, verify=False)

    def cat(self, path: str | CID, *, offset: int = 0, length: int | None = None) -> bytes:
        """The bytes of the file at ``path`` (``CID[/a/b]``); ``length`` of them from ``offset``."""
        return b"".join(self.exporter.cat(path, offset=offset, length=length))

    def stream(
        self, path: str | CID, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        """The file at ``path`` as verified pieces, without holding it all in memory."""
        return self.exporter.cat(path, offset=offset, length=length)

    def get(self, path: str | CID, target: str | os.PathLike[str]) -> Path:
        """Write the file or tree at ``path`` to ``target`` (which must not exist)."""
        return self.exporter.export(path, target)

    def ls(self, path: str | CID) -> list[DirEntry]:
        """The entries of the directory at ``path``."""
        return self.exporter.ls(path)

    def stat(self, path: str | CID) -> Stat:
        """Kind, size, mode and mtime of what ``path`` names."""
        return self.exporter.stat(path)

    # -- pins and garbage ------------------------------------------------------------------

    def pin(self, cid: str | CID, *, recursive: bool = True, name: str | None = None) -> Pin:
        """Pin ``cid`` (every block must be present)."""
        target = CID.parse(cid)
        return self.node.pins.add(
            target, recursive=recursive, name=name, blockstore=self.node.blocks
        )

    def unpin(self, cid: str | CID) -> None:
        """Remove the pin on ``cid``."""
        self.node.pins.rm(CID.parse(cid))

    def pins(self, type: str = "all") -> list[Pin]:
        """The pins of a type: ``all``, ``recursive``, ``direct`` or ``indirect``."""
        return list(self.node.pins.ls(type, blockstore=self.node.blocks))

    def gc(self, *, dry_run: bool = False) -> GCReport:
        """Remove every block no pin needs (``dry_run``: only report what would go)."""
        with self.node.gc_lock.exclusive():
            plan = plan_gc(self.node.blocks, self.node.pins)
            return execute_gc(plan, self.node.blocks, pins=self.node.pins, dry_run=dry_run)

    # -- blocks and DAGs -------------------------------------------------------------------

    def block_put(self, data: bytes, *, codec: str = "raw", hash: str = "sha2-256") -> BlockStat:
        """Store one block; its CIDv1 names it."""
        from ipfs_kit_py.cid import multicodec

        block = Block.from_data(data, codec, hash_code=multicodec.code_of(hash))
        if codec != "raw":
            block.decode()  # refuse bytes that are not valid for the codec
        self.node.blocks.put(block)
        return BlockStat(block.cid, len(data))

    def block_get(self, cid: str | CID) -> bytes:
        """The verified bytes of one block."""
        return self.node.blocks.get(CID.parse(cid))

    def block_stat(self, cid: str | CID) -> BlockStat:
        """The length of one stored block."""
        target = CID.parse(cid)
        return BlockStat(target, self.node.blocks.size(target))

    def block_rm(self, cid: str | CID) -> None:
        """Delete one block (refused while a pin needs it)."""
        target = CID.parse(cid)
        if not self.node.blocks.has(target):
            raise BlockNotFoundError(f"block {target} is not stored")
        with self.node.gc_lock.exclusive():
            for pinned in self.node.pins.ls("all", blockstore=self.node.blocks):
                if pinned.cid.multihash == target.multihash:
                    raise InvalidInputError(f"block {target} is pinned ({pinned.type})")
            self.node.blocks.delete(target)

    def dag_put(self, value: Any, *, codec: str = "dag-cbor", pin: bool = True) -> CID:
        """Encode ``value`` as one IPLD block and store it (pinned recursively)."""
        block = Block.encode(value, codec)
        with self.node.gc_lock.shared():
            self.node.blocks.put(block)
            if pin:
                self.node.pins.add(block.cid, blockstore=self.node.blocks)
        return block.cid

    def dag_get(self, cid: str | CID) -> Any:
        """Decode the block ``cid`` with its codec."""
        target = CID.parse(cid)
        return Block(target, self.node.blocks.get(target)).decode()

    def dag_export(self, cid: str | CID, out: BinaryIO) -> int:
        """Write the whole DAG under ``cid`` as a CARv1 to ``out``; the number of blocks."""
        target = CID.parse(cid)
        return export_dag(out, [target], self.node.blocks.get, verify=False)  # store verifies

    def dag_import(self, car: BinaryIO, *, pin_roots: bool = True) -> list[CID]:
        """Store every block of a CAR (each verified) and pin its roots, as Kubo does."""
        with self.node.gc_lock.shared():
            reader = CarReader(car)
            batch: list[Block] = []
            for block in reader:
                batch.append(block)
                if len(batch) >= 256:
                    self.node.blocks.put_many(batch)
                    batch = []
            self.node.blocks.put_many(batch)
            roots = list(reader.roots)
            if pin_roots:
                for root in roots:
                    self.node.pins.add(root, blockstore=self.node.blocks)
        return roots

    def refs(
        self, cid: str | CID, *, recursive: bool = False, unique: bool = False
    ) -> Iterator[CID]:
        """The CIDs ``cid`` links to (``recursive``: the whole DAG below it, depth first)."""
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
        """How many blocks the repo holds and their total size."""
        count = size = 0
        for mh in self.node.blocks.multihashes():
            count += 1
            size += self.node.blocks.size(CID(1, RAW, mh))
        version = (self.node.path / "version").read_text(encoding="ascii").strip()
        return RepoStat(count, size, str(self.node.path), version)

    def repo_verify(self) -> VerifyReport:
        """Re-hash every stored block; name the ones whose bytes are wrong."""
        checked = 0
        corrupt: list[CID] = []
        for mh in self.node.blocks.multihashes():
            cid = CID(1, RAW, mh)
            checked += 1
            try:
                data = self.node.blocks.get(cid)
                if not self.node.blocks.verify:  # a trusting store: hash here instead
                    multihash.verify(mh, data)
            except IntegrityError:
                corrupt.append(cid)
        return VerifyReport(checked, tuple(corrupt))
