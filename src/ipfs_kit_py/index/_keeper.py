"""``IndexKeeper``: keeps a node's metadata index current as content is added, read, pinned
and collected.

The keeper turns node events into index changes; :class:`MetadataIndex` only stores
them. Pin columns are not journaled on every pin change: the keeper notes the pin
store's version and, when the table is next read, sets every row's ``pin_types``
from the pins. ``indirect`` needs a walk of the pinned DAGs, done only when some
row has no pin of its own (after ``add --no-pin`` or an ``unpin``), and it stops as
soon as every such row has been seen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ipfs_kit_py._mime import DIRECTORY, SYMLINK, guess_mime
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_PB, RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import IPFSKitError
from ipfs_kit_py.index._schema import LOCAL
from ipfs_kit_py.index._store import MetadataIndex
from ipfs_kit_py.pinning._walk import links_of, pin_key, walk

if TYPE_CHECKING:
    import pyarrow as pa

    from ipfs_kit_py.blockstore import Blockstore
    from ipfs_kit_py.pinning import GCReport, PinStore
    from ipfs_kit_py.unixfs import AddedEntry, Exporter

__all__ = ["DagRecorder", "IndexKeeper"]

_CODEC_MIME = {
    "dag-cbor": "application/vnd.ipld.dag-cbor",
    "dag-json": "application/vnd.ipld.dag-json",
}
_HEAD = 512  # bytes read from a file's start to sniff its type


@dataclass
class DagRecorder:
    """A block sink that remembers each block's size and links as an import stores it,
    so the size and block count of every root are known without reading blocks back.

    >>> leaf = Block.from_data(b"leaf")
    >>> root = Block.encode([leaf.cid, leaf.cid], "dag-cbor")
    >>> rec = DagRecorder()
    >>> rec.put(leaf); rec.put(root)
    >>> rec.stats(root.cid) == (2, len(leaf.data) + len(root.data))
    True
    """

    sizes: dict[bytes, int] = field(default_factory=dict)
    links: dict[bytes, list[CID]] = field(default_factory=dict)

    def put(self, block: Block) -> None:
        """Record one block (call it from the importer's sink)."""
        key = pin_key(block.cid)
        self.sizes[key] = len(block.data)
        if block.cid.codec == DAG_PB and block.data[:1] == b"\x0a":
            return  # dag-pb writes Links (field 2) before Data (field 1): a leaf, no links
        if block.cid.codec != RAW:
            self.links[key] = list(block.links())

    def put_ref(self, cid: CID, size: int) -> None:
        """Record a raw leaf kept elsewhere (a no-copy reference)."""
        self.sizes[pin_key(cid)] = size

    def stats(self, root: CID) -> tuple[int, int]:
        """Distinct blocks under ``root`` (itself included) and their total bytes."""
        seen: set[bytes] = set()
        stack = [root]
        count = size = 0
        while stack:
            cid = stack.pop()
            key = pin_key(cid)
            if key in seen or cid.is_identity:
                continue
            seen.add(key)
            count += 1
            size += self.sizes.get(key, 0)
            stack.extend(self.links.get(key, ()))
        return count, size


class IndexKeeper:
    """Index bookkeeping for one node: call its methods as things happen.

    Index failures never fail the user's operation: the index is derived data,
    and :meth:`rebuild` recreates it from the pins.
    """

    def __init__(
        self, index: MetadataIndex, blocks: Blockstore, pins: PinStore, *, replication: int = 1
    ) -> None:
        self.index = index
        self.blocks = blocks
        self.pins = pins
        self.replication = replication
        self._pins_seen = -1  # the pin-store version the pin columns reflect
        self._lock = threading.Lock()

    # -- events ----------------------------------------------------------------------------

    def added(
        self,
        roots: Iterable[AddedEntry],
        recorder: DagRecorder,
        exporter: Exporter,
        *,
        profile: str,
        tags: Sequence[str] = (),
    ) -> None:
        """Rows for the ``roots`` of an add (its top-level entries)."""
        rows = []
        for entry in roots:
            labels = list(tags)
            if tags and (existing := self.index.get(entry.cid)) is not None:
                labels = [*existing["tags"], *(t for t in tags if t not in existing["tags"])]
            count, dag_bytes = recorder.stats(entry.cid)
            if entry.kind == "file":
                mime = guess_mime(entry.path, b"".join(exporter.cat(entry.cid, length=_HEAD)))
            else:
                mime = DIRECTORY if entry.kind == "directory" else SYMLINK
            rows.append(
                {
                    "cid": str(entry.cid),
                    "size_bytes": entry.size if entry.kind != "directory" else dag_bytes,
                    "blocks": count,
                    "links": len(recorder.links.get(pin_key(entry.cid), ())),
                    "mime_type": mime,
                    "local": True,
                    "storage_locations": [LOCAL],
                    "replication": self.replication,
                    "name": entry.path.rsplit("/", 1)[-1] or None,
                    "profile": profile,
                }
            )
            if labels:
                rows[-1]["tags"] = labels
        self._safely(self.index.upsert_many, rows)

    def stored(
        self, cid: CID, *, name: str | None = None, tags: Sequence[str] = (), walk_dag: bool = True
    ) -> None:
        """A row for a DAG stored some other way (block put, dag put/import, pin)."""
        self._safely(self._stored, cid, name, tags, walk_dag)

    def _stored(self, cid: CID, name: str | None, tags: Sequence[str], walk_dag: bool) -> None:
        existing = self.index.get(cid)
        if existing is not None and existing["local"]:
            changes: dict[str, Any] = {}
            if name is not None and name != existing["name"]:
                changes["name"] = name
            if tags:
                changes["tags"] = [
                    *existing["tags"],
                    *(t for t in tags if t not in existing["tags"]),
                ]
            if changes:
                self.index.upsert(cid, **changes)
            return
        count = size = 0
        if walk_dag:
            for node in walk([cid], self.blocks.get, has=self.blocks.has):
                count += 1
                size += 0 if node.is_identity else self.blocks.size(node)
        data = cid.digest if cid.is_identity else self.blocks.get(cid)
        row: dict[str, Any] = {
            "cid": str(cid),
            "size_bytes": size,
            "blocks": count,
            "links": len(links_of(cid, lambda _: data)),
            "local": True,
            "storage_locations": [LOCAL],
            "replication": self.replication,
            "mime_type": _CODEC_MIME.get(cid.codec_name),
        }
        if cid.codec in (RAW, DAG_PB):
            row.update(self._unixfs_columns(cid, name, size))
        if name is not None:
            row["name"] = name
        if tags:
            row["tags"] = list(tags)
        self.index.upsert(**row)

    def _unixfs_columns(self, cid: CID, name: str | None, dag_bytes: int) -> dict[str, Any]:
        from ipfs_kit_py.unixfs import Exporter

        exporter = Exporter(self.blocks.get, verify=False)
        try:
            stat = exporter.stat(cid)
        except IPFSKitError:
            return {}  # dag-pb that is not UnixFS
        if stat.kind in ("file", "raw"):
            head = b"".join(exporter.cat(cid, length=_HEAD))
            return {"mime_type": guess_mime(name, head), "size_bytes": stat.size}
        return {"mime_type": DIRECTORY if stat.kind == "directory" else SYMLINK}

    def tagged(self, cid: CID, tags: Sequence[str], *, replace: bool = False) -> None:
        """Add ``tags`` to a row (``replace``: set them)."""
        row = self.index.get(cid)
        if row is None:
            self.stored(cid)
            row = self.index.get(cid) or {"tags": []}
        new = list(tags) if replace else [*row["tags"], *(t for t in tags if t not in row["tags"])]
        self.index.upsert(cid, tags=new)

    def accessed(self, path: str | CID) -> None:
        """Count a read of the object ``path`` starts at (``CID[/a/b]``)."""
        root = path if isinstance(path, CID) else str(path).removeprefix("/ipfs/").split("/")[0]
        self._safely(self.index.touch, root)

    def collected(self, report: GCReport) -> None:
        """Blocks a garbage collection removed."""
        if not report.dry_run:
            self._safely(self.index.blocks_removed, (c.multihash for c in report.removed))

    def removed(self, cid: CID) -> None:
        """One block left the repo (``block rm``)."""
        self._safely(self.index.blocks_removed, [cid.multihash])

    # -- reading ---------------------------------------------------------------------------

    def table(self) -> pa.Table:
        """The index with its pin columns brought up to date."""
        self.refresh_pins()
        return self.index.table()

    def query(self, sql: str) -> pa.Table:
        """duckdb SQL over the index (table ``objects``), pin columns up to date."""
        self.refresh_pins()
        return self.index.query(sql)

    def refresh_pins(self, *, force: bool = False) -> None:
        """Set every row's ``pinned`` / ``pin_types`` from the pin store, if pins changed."""
        with self._lock:
            version = self.pins.version
            if version == self._pins_seen and not force:
                return
            types: dict[str, list[str]] = {}
            recursive = []
            for pin in self.pins.ls("recursive"):
                types.setdefault(pin.cid.multihash.hex(), []).append("recursive")
                recursive.append(pin.cid)
            for pin in self.pins.ls("direct"):
                types.setdefault(pin.cid.multihash.hex(), []).append("direct")
            table = self.index.table()
            loose = set(table.column("multihash").to_pylist()) - set(types)
            if loose and recursive:
                for node in walk(recursive, self.blocks.get, has=self.blocks.has, missing_ok=True):
                    mh = node.multihash.hex()
                    if mh in loose:
                        types[mh] = ["indirect"]
                        loose.discard(mh)
                        if not loose:
                            break
            self.index.set_pins(types)
            self._pins_seen = version

    # -- recovery --------------------------------------------------------------------------

    def rebuild(self) -> int:
        """Recreate the index from the pins (names kept; reads and tags are lost)."""
        self.index.reset()
        pins = [*self.pins.ls("recursive"), *self.pins.ls("direct")]
        for pin in pins:
            self._stored(pin.cid, pin.name, (), pin.type == "recursive")
        self.refresh_pins(force=True)
        self.index.flush()
        return len(self.index)

    @staticmethod
    def _safely(func: Any, *args: Any) -> None:
        try:
            func(*args)
        except IPFSKitError as err:
            import logging

            logging.getLogger("ipfs_kit_py.index").warning(
                "index update failed (%s); `ipfs-kit index rebuild` recreates it", err
            )
