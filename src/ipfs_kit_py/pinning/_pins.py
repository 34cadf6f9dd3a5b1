"""``PinStore``: recursive, direct and indirect pins in SQLite, with Kubo's rules."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidInputError, IPFSKitError, StorageError
from ipfs_kit_py.pinning._lock import GCLock
from ipfs_kit_py.pinning._walk import links_of, pin_key, walk

if TYPE_CHECKING:
    from ipfs_kit_py.blockstore import Blockstore

__all__ = ["NOT_PINNED", "BadNode", "Pin", "PinStore", "PinType", "PinVerifyResult"]

#: Kubo's ``ErrNotPinned`` text (boxo ``pinning/pinner``), also what ``pin rm`` of an
#: indirectly pinned CID says in Kubo since the datastore pinner (v0.8).
NOT_PINNED: Final = "not pinned or pinned indirectly"

_SCHEMA_VERSION: Final = 1
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS pins (
    key        BLOB PRIMARY KEY,  -- the CID as CIDv1 bytes: a CIDv0 and its twin are one pin
    cid        BLOB NOT NULL,     -- the CID as it was pinned (a CIDv0 stays CIDv0)
    type       TEXT NOT NULL CHECK (type IN ('recursive', 'direct')),
    name       TEXT,
    created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pins_by_type ON pins (type, created_at);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (k, v) VALUES ('version', 0), ('additions', 0);
"""
_TYPES: Final = ("all", "direct", "indirect", "recursive")


class PinType(StrEnum):
    """How a CID is pinned: ``recursive`` and ``direct`` are stored, ``indirect`` computed."""

    RECURSIVE = "recursive"
    DIRECT = "direct"
    INDIRECT = "indirect"


@dataclass(frozen=True, slots=True)
class Pin:
    """One pinned CID.

    ``via`` is the recursive pin an indirect pin is reachable from (the first one found);
    ``name`` and ``created_at`` belong to stored (recursive, direct) pins only.
    """

    cid: CID
    type: PinType
    name: str | None = None
    via: CID | None = None
    created_at: float | None = None


@dataclass(frozen=True, slots=True)
class BadNode:
    """A block of a pinned DAG that is missing, corrupt or undecodable, and why."""

    cid: CID
    err: str


@dataclass(frozen=True, slots=True)
class PinVerifyResult:
    """Kubo's ``pin verify`` entry for one pin: complete (``ok``) or the bad blocks."""

    cid: CID
    ok: bool
    bad_nodes: tuple[BadNode, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Kubo's JSON shape, ``omitempty`` included (``Ok`` only when true).

        >>> PinVerifyResult(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"),
        ...                 True).to_json()
        {'Cid': 'QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o', 'Ok': True}
        """
        out: dict[str, Any] = {"Cid": str(self.cid)}
        if self.ok:
            out["Ok"] = True
        if self.bad_nodes:
            out["BadNodes"] = [{"Cid": str(b.cid), "Err": b.err} for b in self.bad_nodes]
        return out


class PinStore:
    """Pins in one SQLite database (WAL), with the rules of Kubo's pinner.

    * A CID is pinned at most once, ``recursive`` (it and everything reachable from it)
      or ``direct`` (its block only); a CIDv0 and its CIDv1 twin count as one CID.
      Pinning again replaces the pin: recursively upgrades a direct pin, and the name is
      the new call's (``None`` clears it), as in Kubo.
    * ``indirect`` pins are computed by walking the recursive pins' DAGs, never stored.
    * Pin changes need their blocks present: a recursive add walks the whole DAG first
      and pins nothing if a block is missing (Kubo would fetch it; we are offline).

    ``path=None`` keeps the database in memory (no WAL there). One connection serves
    every thread behind a lock: each statement is short (no DAG walk ever runs inside
    it), and WAL lets another ``PinStore`` or process on the same file read while this
    one writes. Commits are synchronous (``synchronous=FULL``): a pin that
    :meth:`add` returned survives a power cut. With ``gc_lock``, every pin change
    holds its shared side (see :class:`GCLock`).

    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> from ipfs_kit_py.unixfs import add_bytes, resolve_options
    >>> store = MemoryBlockstore()
    >>> cid = add_bytes(b"hello world", resolve_options(chunker="size-4"), store.put)
    >>> with PinStore() as pins:
    ...     pins.add(cid, name="greeting", blockstore=store).type
    ...     [p.type.value for p in pins.ls(blockstore=store)]
    <PinType.RECURSIVE: 'recursive'>
    ['recursive', 'indirect', 'indirect', 'indirect']
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        gc_lock: GCLock | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.gc_lock = gc_lock
        self._lock = threading.RLock()
        try:
            self._db: sqlite3.Connection | None = sqlite3.connect(
                ":memory:" if self.path is None else self.path,
                timeout=timeout,
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                check_same_thread=False,  # shared between threads behind self._lock
            )
        except sqlite3.Error as err:
            raise StorageError(f"cannot open pin database {self.path}: {err}") from err
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def _setup(self) -> None:
        db = self._conn()
        try:
            if self.path is not None:
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                (found,) = db.execute("PRAGMA user_version").fetchone()
                if found > _SCHEMA_VERSION:
                    raise StorageError(
                        f"pin database {self.path} has schema {found}; this code reads "
                        f"{_SCHEMA_VERSION}"
                    )
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as err:
            raise StorageError(f"cannot set up pin database {self.path}: {err}") from err

    # -- plumbing ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageError("the pin store is closed")
        return self._db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (a consistent snapshot across statements)."""
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN")
                try:
                    yield db
                finally:
                    db.execute("COMMIT")
            except sqlite3.Error as err:
                raise StorageError(f"pin database {self.path}: {err}") from err

    @contextmanager
    def _write(self, *, pins: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; bumps :attr:`version` if it changed anything, and
        :attr:`additions` too if it may have pinned something (``pins``)."""
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                before = db.total_changes
                try:
                    yield db
                    if db.total_changes != before:
                        bump = ("version", "additions") if pins else ("version",)
                        db.executemany(
                            "UPDATE meta SET v = v + 1 WHERE k = ?", [(k,) for k in bump]
                        )
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as err:
                raise StorageError(f"pin database {self.path}: {err}") from err

    def _shared(self) -> AbstractContextManager[None]:
        return self.gc_lock.shared() if self.gc_lock is not None else nullcontext()

    @staticmethod
    def _pin(row: tuple[bytes, str, str | None, float]) -> Pin:
        return Pin(CID.decode(row[0]), PinType(row[1]), row[2], None, row[3])

    def _rows(self, db: sqlite3.Connection) -> list[Pin]:
        rows = db.execute(
            "SELECT cid, type, name, created_at FROM pins ORDER BY type DESC, created_at, key"
        ).fetchall()
        return [self._pin(r) for r in rows]  # recursive first, then direct

    def _get(self, db: sqlite3.Connection, cid: CID) -> Pin | None:
        row = db.execute(
            "SELECT cid, type, name, created_at FROM pins WHERE key = ?", (pin_key(cid),)
        ).fetchone()
        return None if row is None else self._pin(row)

    def _snapshot(self) -> tuple[int, list[Pin]]:
        """:attr:`additions` and every stored pin, read atomically (for GC)."""
        with self._read() as db:
            return self._counter(db, "additions"), self._rows(db)

    @staticmethod
    def _counter(db: sqlite3.Connection, name: str) -> int:
        (value,) = db.execute("SELECT v FROM meta WHERE k = ?", (name,)).fetchone()
        return int(value)

    # -- reading ----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """A counter bumped by every committed pin change, by any ``PinStore`` on the file.

        >>> PinStore().version
        0
        """
        with self._read() as db:
            return self._counter(db, "version")

    @property
    def additions(self) -> int:
        """A counter bumped by every committed change that pins something (:meth:`add`,
        :meth:`update`): a garbage collection planned before it may remove a pinned block.

        >>> PinStore().additions
        0
        """
        with self._read() as db:
            return self._counter(db, "additions")

    def get(self, cid: CID) -> Pin | None:
        """The stored (recursive or direct) pin of ``cid`` or its CIDv0/v1 twin, else ``None``.

        Never walks a DAG, so it never reports indirect pins; :meth:`ls` does.

        >>> PinStore().get(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")) is None
        True
        """
        with self._read() as db:
            return self._get(db, cid)

    def ls(
        self,
        type: str = "all",
        cids: Iterable[CID] | None = None,
        *,
        blockstore: Blockstore | None = None,
        name: str | None = None,
    ) -> list[Pin]:
        """Kubo's ``pin ls``: the pins of ``type`` (``all``, ``recursive``, ``direct``,
        ``indirect``), recursive ones first, then direct, then indirect.

        A CID appears once, under the first of those kinds it has. Indirect pins (type
        ``all`` or ``indirect``) need ``blockstore`` to walk the recursive pins. ``name``
        keeps pins whose name contains it (so drops indirect ones).

        With ``cids``: one pin per CID, in order, as Kubo's ``pin ls CID...``; a CID not
        pinned as ``type`` raises :class:`~ipfs_kit_py.errors.InvalidInputError`
        (``path '/ipfs/CID' is not pinned``). A direct pin is also reported as indirect
        when ``type="indirect"`` and a recursive pin reaches it, as in Kubo.

        >>> from ipfs_kit_py.blockstore import MemoryBlockstore
        >>> from ipfs_kit_py.codecs import Block
        >>> store, leaf = MemoryBlockstore(), Block.from_data(b"leaf")
        >>> root = Block.encode({"leaf": leaf.cid}, "dag-cbor")
        >>> store.put_many([leaf, root])
        >>> pins = PinStore()
        >>> _ = pins.add(root.cid, blockstore=store)
        >>> [(p.type.value, p.via == root.cid) for p in pins.ls("indirect", blockstore=store)]
        [('indirect', True)]
        >>> pins.ls("recursive", [leaf.cid])
        Traceback (most recent call last):
        ...
        ipfs_kit_py.errors.InvalidInputError: path '/ipfs/bafkreie7selb6q2dhze2nxtnw2anph3acwps4swjc4tcdijiizbicwcebm' is not pinned
        """  # noqa: E501
        kind = _check_type(type)
        with self._shared():  # no collection between reading the pins and walking them
            with self._read() as db:
                stored = self._rows(db)
            if cids is None:
                found = self._ls_all(kind, stored, blockstore)
            else:
                found = self._ls_cids(kind, list(cids), stored, blockstore)
        if name is not None:
            found = [p for p in found if p.name is not None and name in p.name]
        return found

    def _ls_all(self, kind: str, stored: list[Pin], blockstore: Blockstore | None) -> list[Pin]:
        out = [p for p in stored if kind in ("all", p.type)]
        if kind in ("all", "indirect"):
            store = _need(blockstore, "listing indirect pins")
            pinned = {pin_key(p.cid) for p in stored}
            seen: set[bytes] = set()
            for root in stored:
                if root.type is PinType.RECURSIVE:
                    out.extend(
                        Pin(c, PinType.INDIRECT, via=root.cid)
                        for c in walk([root.cid], store.get, has=store.has, seen=seen)
                        if pin_key(c) not in pinned
                    )
        return out

    def _ls_cids(
        self, kind: str, cids: list[CID], stored: list[Pin], blockstore: Blockstore | None
    ) -> list[Pin]:
        by_key = {pin_key(p.cid): p for p in stored}
        direct_hits: dict[bytes, Pin] = {}
        todo: set[bytes] = set()
        for cid in cids:
            key = pin_key(cid)
            pin = by_key.get(key)
            if pin is not None and kind in ("all", pin.type):
                direct_hits[key] = pin
            elif kind == "all" or (kind == "indirect" and not _is_recursive(pin)):
                todo.add(key)
        holders: dict[bytes, CID] = {}
        if todo:
            store = _need(blockstore, "looking up indirect pins")
            holders = self._holders(todo, stored, store)
        out = []
        for cid in cids:
            key = pin_key(cid)
            if key in direct_hits:
                out.append(direct_hits[key])
            elif key in holders:
                out.append(Pin(cid, PinType.INDIRECT, via=holders[key]))
            else:
                raise InvalidInputError(f"path '/ipfs/{cid}' is not pinned")
        return out

    @staticmethod
    def _holders(todo: set[bytes], stored: list[Pin], store: Blockstore) -> dict[bytes, CID]:
        """For each key in ``todo``, the first recursive pin whose DAG (below it) has it."""
        found: dict[bytes, CID] = {}
        left = set(todo)
        seen: set[bytes] = set()
        for root in stored:
            if not left:
                break
            if root.type is not PinType.RECURSIVE:
                continue
            seen.add(pin_key(root.cid))  # below the root: a pin does not hold itself
            children = links_of(root.cid, store.get)
            for cid in walk(children, store.get, has=store.has, seen=seen):
                key = pin_key(cid)
                if key in left:
                    found[key] = root.cid
                    left.discard(key)
                    if not left:
                        break
        return found

    # -- changing ---------------------------------------------------------------------------

    def add(
        self,
        cid: CID,
        *,
        recursive: bool = True,
        name: str | None = None,
        blockstore: Blockstore,
        complete: bool = False,
    ) -> Pin:
        """Kubo's ``pin add``: pin ``cid`` recursively (default) or directly; the new pin.

        A recursive add first walks the whole DAG in ``blockstore`` (every node read,
        hash-verified and decoded; ``raw`` leaves, which link nowhere, only checked for
        presence) and pins nothing if a block is missing
        (:class:`~ipfs_kit_py.errors.BlockNotFoundError`) or bad. A direct add reads
        its one block. ``recursive=False`` on a recursively pinned CID is refused
        (``CID already pinned recursively``), as in Kubo. ``complete`` skips the walk:
        only for a caller that has just stored the whole DAG itself, under the shared
        side of the GC lock (an add), so that no block can be missing.

        >>> from ipfs_kit_py.blockstore import MemoryBlockstore
        >>> from ipfs_kit_py.codecs import Block
        >>> store, block = MemoryBlockstore(), Block.from_data(b"x")
        >>> store.put(block)
        >>> pins = PinStore()
        >>> pins.add(block.cid, recursive=False, blockstore=store).type.value
        'direct'
        >>> pins.add(block.cid, name="x", blockstore=store).type.value  # upgrade
        'recursive'
        >>> pins.add(block.cid, recursive=False, blockstore=store)
        Traceback (most recent call last):
        ...
        ipfs_kit_py.errors.InvalidInputError: bafkreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe already pinned recursively
        """  # noqa: E501
        with self._shared():
            if complete:
                pass
            elif recursive:
                for _ in walk([cid], blockstore.get, has=blockstore.has):
                    pass
            else:
                links_of(cid, blockstore.get)  # present, verified, decodable (Kubo resolves it)
            kind = PinType.RECURSIVE if recursive else PinType.DIRECT
            now = time.time()
            with self._write(pins=True) as db:
                old = self._get(db, cid)
                if not recursive and _is_recursive(old):
                    raise InvalidInputError(f"{cid} already pinned recursively")
                db.execute(
                    "INSERT OR REPLACE INTO pins (key, cid, type, name, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (pin_key(cid), cid.bytes, kind.value, name, now),
                )
            return Pin(cid, kind, name, None, now)

    def rm(self, cid: CID, *, recursive: bool = True, blockstore: Blockstore | None = None) -> Pin:
        """Kubo's ``pin rm``: remove the pin of ``cid``; the pin removed.

        ``recursive=False`` removes only a direct pin (``CID is pinned recursively``
        otherwise). A CID with no stored pin raises
        :class:`~ipfs_kit_py.errors.InvalidInputError` with Kubo's ``not pinned or
        pinned indirectly``; given ``blockstore``, the message also names the recursive
        pin that holds an indirectly pinned CID (``CID is pinned indirectly under
        ROOT``, the wording of Kubo before v0.8 and of js-ipfs).

        >>> from ipfs_kit_py.blockstore import MemoryBlockstore
        >>> from ipfs_kit_py.codecs import Block
        >>> store, block = MemoryBlockstore(), Block.from_data(b"x")
        >>> store.put(block)
        >>> pins = PinStore()
        >>> _ = pins.add(block.cid, blockstore=store)
        >>> pins.rm(block.cid).type.value
        'recursive'
        >>> pins.rm(block.cid)
        Traceback (most recent call last):
        ...
        ipfs_kit_py.errors.InvalidInputError: not pinned or pinned indirectly
        """
        with self._shared():
            with self._write() as db:
                old = self._get(db, cid)
                if old is not None:
                    if old.type is PinType.RECURSIVE and not recursive:
                        raise InvalidInputError(f"{cid} is pinned recursively")
                    db.execute("DELETE FROM pins WHERE key = ?", (pin_key(cid),))
                    return old
                stored = self._rows(db)
            if blockstore is not None:
                try:  # only to say more in the message: a broken pin must not hide it
                    via = self._holders({pin_key(cid)}, stored, blockstore).get(pin_key(cid))
                except IPFSKitError:
                    via = None
                if via is not None:
                    raise InvalidInputError(f"{NOT_PINNED}: {cid} is pinned indirectly under {via}")
            raise InvalidInputError(NOT_PINNED)

    def update(self, old: CID, new: CID, *, unpin: bool = True, blockstore: Blockstore) -> Pin:
        """Kubo's ``pin update``: pin ``new`` recursively in place of ``old``; the new pin.

        ``old`` must be pinned recursively; ``new`` must not be (a direct pin of it is
        upgraded), and its whole DAG must be in ``blockstore``. The new pin keeps the
        old one's name; ``unpin=False`` keeps the old pin as well.

        >>> from ipfs_kit_py.blockstore import MemoryBlockstore
        >>> from ipfs_kit_py.codecs import Block
        >>> store, a, b = MemoryBlockstore(), Block.from_data(b"a"), Block.from_data(b"b")
        >>> store.put_many([a, b])
        >>> pins = PinStore()
        >>> _ = pins.add(a.cid, name="model", blockstore=store)
        >>> pins.update(a.cid, b.cid, blockstore=store).name
        'model'
        >>> pins.get(a.cid) is None
        True
        """
        with self._shared():
            with self._read() as db:
                before, after = self._get(db, old), self._get(db, new)
            if before is None or before.type is not PinType.RECURSIVE:
                raise InvalidInputError("'from' cid was not recursively pinned already")
            if pin_key(old) == pin_key(new):
                return before
            if _is_recursive(after):
                raise InvalidInputError("'to' cid was already recursively pinned")
            for _ in walk([new], blockstore.get, has=blockstore.has):
                pass
            now = time.time()
            with self._write(pins=True) as db:  # check again: the walk ran outside any transaction
                before = self._get(db, old)
                if before is None or before.type is not PinType.RECURSIVE:
                    raise InvalidInputError("'from' cid was not recursively pinned already")
                if _is_recursive(self._get(db, new)):
                    raise InvalidInputError("'to' cid was already recursively pinned")
                db.execute(
                    "INSERT OR REPLACE INTO pins (key, cid, type, name, created_at) "
                    "VALUES (?, ?, 'recursive', ?, ?)",
                    (pin_key(new), new.bytes, before.name, now),
                )
                if unpin:
                    db.execute("DELETE FROM pins WHERE key = ?", (pin_key(old),))
            return Pin(new, PinType.RECURSIVE, before.name, None, now)

    # -- checking ---------------------------------------------------------------------------

    def verify(self, blockstore: Blockstore, *, direct: bool = True) -> list[PinVerifyResult]:
        """Kubo's ``pin verify``: for each recursive pin (and, unless ``direct=False``,
        each direct pin), whether every block it needs is present, hash-valid and
        decodable; the bad ones listed.

        Each block is read once however many pins share it. Kubo checks recursive pins
        only and prints only broken ones unless ``--verbose``; this returns them all.

        >>> from ipfs_kit_py.blockstore import MemoryBlockstore
        >>> from ipfs_kit_py.codecs import Block
        >>> store, leaf = MemoryBlockstore(), Block.from_data(b"leaf")
        >>> root = Block.encode([leaf.cid], "dag-cbor")
        >>> store.put_many([root, leaf])
        >>> pins = PinStore()
        >>> _ = pins.add(root.cid, blockstore=store)
        >>> store.delete(leaf.cid)
        >>> [r.ok for r in pins.verify(store)], pins.verify(store)[0].bad_nodes[0].cid == leaf.cid
        ([False], True)
        """
        with self._shared():  # no collection between reading the pins and walking them
            return self._verify(blockstore, direct)

    def _verify(self, blockstore: Blockstore, direct: bool) -> list[PinVerifyResult]:
        with self._read() as db:
            stored = self._rows(db)
        checked: dict[bytes, list[CID] | str] = {}  # key -> links, or what is wrong

        def check(cid: CID) -> list[CID] | str:
            key = pin_key(cid)
            if key not in checked:
                try:
                    checked[key] = links_of(cid, blockstore.get)
                except IPFSKitError as err:
                    checked[key] = str(err) or type(err).__name__
            return checked[key]

        results = []
        for pin in stored:
            if pin.type is PinType.DIRECT:
                if not direct:
                    continue
                err = check(pin.cid)
                bad = {pin_key(pin.cid): BadNode(pin.cid, err)} if isinstance(err, str) else {}
            else:
                bad = {}
                seen: set[bytes] = set()
                stack = [pin.cid]
                while stack:
                    cid = stack.pop()
                    key = pin_key(cid)
                    if key in seen:
                        continue
                    seen.add(key)
                    outcome = check(cid)
                    if isinstance(outcome, str):
                        bad[key] = BadNode(cid, outcome)
                    else:
                        stack.extend(reversed(outcome))
            results.append(PinVerifyResult(pin.cid, not bad, tuple(bad.values())))
        return results

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (idempotent).

        >>> pins = PinStore()
        >>> pins.close(); pins.close()
        """
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def __enter__(self) -> PinStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PinStore({str(self.path) if self.path else ':memory:'!r})"


def _check_type(value: str) -> str:
    if value not in _TYPES:
        raise InvalidInputError(
            f"invalid type '{value}', must be one of {{direct, indirect, recursive, all}}"
        )
    return value


def _is_recursive(pin: Pin | None) -> bool:
    return pin is not None and pin.type is PinType.RECURSIVE


def _need(blockstore: Blockstore | None, what: str) -> Blockstore:
    if blockstore is None:
        raise InvalidInputError(f"{what} needs a blockstore to walk the recursive pins")
    return blockstore
