"""The registries' catalogue: names → versions → record CIDs, plus movable aliases.

The catalogue is content-addressed like everything it lists: each change writes one
new dag-cbor block ::

    {"schema": "ipfs-kit/catalogue/1", "kind": "model",
     "entries": {name: {"versions": [[version, <record CID>], ...],   # oldest first
                        "aliases": {alias: version}}}}

and moves one named recursive pin (``hub:<kind>s``) from the old head to the new, so
the pinned catalogue keeps every listed version, its manifest and all its files, out
of garbage collection, and removing a version from the catalogue is what lets GC
reclaim it. The head CID lives in ``<repo>/hub/<kind>.head`` (a temp file renamed
over it); writers hold an ``flock`` on ``<kind>.lock`` for read-modify-write, so
two processes registering at once lose nothing.

References: ``name`` (the newest version), ``name@version``, ``name@alias`` (a
version wins over an alias of the same spelling), or the record's CID itself,
which needs no catalogue at all (another machine can resolve it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import (
    DecodeError,
    InvalidCIDError,
    InvalidInputError,
    RefNotFoundError,
)

__all__ = ["Catalogue", "CatalogueAPI", "Entry", "Ref"]

SCHEMA = "ipfs-kit/catalogue/1"
# A name is HF-like (``org/model-name``); versions and aliases are one plain token.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


class CatalogueAPI(Protocol):
    """What the catalogue needs of a node: ``IPFSSimpleAPI`` and ``RemoteAPI`` both fit."""

    def dag_put(self, value: Any, *, codec: str = ..., pin: bool = ...) -> CID: ...
    def dag_get(self, cid: str | CID) -> Any: ...
    def pin(self, cid: str | CID, *, recursive: bool = ..., name: str | None = ...) -> Any: ...
    def pin_update(self, old: str | CID, new: str | CID, *, unpin: bool = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class Ref:
    """A parsed reference: ``name`` and an optional version or alias (``tag``).

    >>> Ref.parse("org/minilm@v2")
    Ref(name='org/minilm', tag='v2')
    >>> Ref.parse("minilm").tag is None
    True
    """

    name: str
    tag: str | None = None

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Split ``name[@tag]``; a malformed name or tag raises :class:`InvalidInputError`."""
        name, sep, tag = text.partition("@")
        check_name(name)
        if sep:
            check_tag(tag, "version or alias")
            return cls(name, tag)
        return cls(name)

    def __str__(self) -> str:
        return self.name if self.tag is None else f"{self.name}@{self.tag}"


def check_name(name: str) -> str:
    """``name`` if it is a valid registry name (``model`` or ``org/model``); else raise."""
    if not _NAME.fullmatch(name) or ".." in name or len(name) > 200:
        raise InvalidInputError(f"bad name {name!r}: use letters, digits, '._-', one '/'")
    return name


def check_tag(tag: str, what: str = "version") -> str:
    """``tag`` if it is a valid version or alias; else raise."""
    if not _TAG.fullmatch(tag) or len(tag) > 100:
        raise InvalidInputError(f"bad {what} {tag!r}: use letters, digits and '._+-'")
    return tag


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered version: its name, version, record CID and the aliases on it."""

    name: str
    version: str
    record: CID
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """``name@version``, or the record's CID for an entry outside any catalogue."""
        return f"{self.name}@{self.version}" if self.name else str(self.record)


class Catalogue:
    """The name → version → record table of one registry (``kind``: model, dataset)."""

    def __init__(self, api: CatalogueAPI, directory: str | os.PathLike[str], kind: str) -> None:
        self.api = api
        self.kind = kind
        self.directory = Path(directory)
        self._head_file = self.directory / f"{kind}.head"
        self._lock_file = self.directory / f"{kind}.lock"
        self._thread_lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------

    @property
    def head(self) -> CID | None:
        """The catalogue's current CID (``None`` while nothing is registered)."""
        try:
            text = self._head_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        try:
            return CID.parse(text)
        except InvalidCIDError as err:
            raise DecodeError(f"{self._head_file} does not hold a CID: {text[:60]!r}") from err

    def _table(self, head: CID | None) -> dict[str, Any]:
        if head is None:
            return {}
        doc = self.api.dag_get(head)
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or doc.get("kind") != self.kind:
            raise DecodeError(f"{head} is not a {self.kind} catalogue")
        entries = doc.get("entries")
        if not isinstance(entries, dict):
            raise DecodeError(f"{head}: catalogue without entries")
        return entries

    def entries(self, name: str | None = None) -> list[Entry]:
        """Every registered version (of ``name``), by name, then oldest first."""
        table = self._table(self.head)
        names = sorted(table) if name is None else [name] if name in table else []
        return [entry for n in names for entry in _entries(n, table[n])]

    def resolve(self, ref: str | CID) -> Entry:
        """The entry ``ref`` names: ``name``, ``name@version``, ``name@alias`` or a CID.

        A record CID that the catalogue does not list resolves too, with an empty name
        (it can come from another node). Anything else raises
        :class:`~ipfs_kit_py.errors.RefNotFoundError`.
        """
        cid = ref if isinstance(ref, CID) else _as_cid(ref)
        if cid is not None:
            for entry in self.entries():
                if entry.record == cid:
                    return entry
            return Entry("", "", cid)
        parsed = Ref.parse(str(ref))
        table = self._table(self.head)
        if parsed.name not in table:
            raise RefNotFoundError(f"no {self.kind} named {parsed.name!r}")
        found = _entries(parsed.name, table[parsed.name])
        if parsed.tag is None:
            return found[-1]
        for entry in found:
            if entry.version == parsed.tag:
                return entry
        for entry in found:
            if parsed.tag in entry.aliases:
                return entry
        versions = ", ".join(e.version for e in found)
        raise RefNotFoundError(
            f"{self.kind} {parsed.name!r} has no version or alias {parsed.tag!r} "
            f"(versions: {versions})"
        )

    # -- writing ----------------------------------------------------------------------------

    def add(self, name: str, version: str, record: CID, aliases: Sequence[str] = ()) -> Entry:
        """List ``record`` as ``name@version`` (versions are immutable) with ``aliases``.

        An alias already on another version of ``name`` moves to this one.
        """
        check_name(name)
        check_tag(version)
        for alias in aliases:
            check_tag(alias, "alias")
        with self._update() as table:
            item = table.setdefault(name, {"versions": [], "aliases": {}})
            if any(v == version for v, _ in item["versions"]):
                raise InvalidInputError(f"{name}@{version} is already registered")
            item["versions"].append([version, record])
            for alias in aliases:
                item["aliases"][alias] = version
        return self.resolve(f"{name}@{version}")

    def set_alias(self, ref: str, alias: str) -> Entry:
        """Point ``name@alias`` at the version ``ref`` names (moving it if it exists)."""
        check_tag(alias, "alias")
        entry = self.resolve(ref)
        if not entry.name:
            raise InvalidInputError(f"{ref} is not listed in this catalogue")
        with self._update() as table:
            table[entry.name]["aliases"][alias] = entry.version
        return self.resolve(f"{entry.name}@{entry.version}")

    def remove(self, ref: str) -> Entry:
        """Unlist the version ``ref`` names (and its aliases); GC may then reclaim it."""
        entry = self.resolve(ref)
        if not entry.name:
            raise InvalidInputError(f"{ref} is not listed in this catalogue")
        with self._update() as table:
            item = table[entry.name]
            item["versions"] = [vr for vr in item["versions"] if vr[0] != entry.version]
            item["aliases"] = {a: v for a, v in item["aliases"].items() if v != entry.version}
            if not item["versions"]:
                del table[entry.name]
        return entry

    @contextlib.contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        """Read-modify-write the table under the thread and file locks; then move the pin."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self._lock_file, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            old = self.head
            table = self._table(old)
            yield table
            doc = {"schema": SCHEMA, "kind": self.kind, "entries": table}
            new = self.api.dag_put(doc, pin=False)
            if old is None:
                self.api.pin(new, name=f"hub:{self.kind}s")
            elif old != new:
                self.api.pin_update(old, new)
            tmp = self._head_file.with_name(f".{self._head_file.name}.{os.getpid()}.tmp")
            tmp.write_text(f"{new}\n", encoding="ascii")
            os.replace(tmp, self._head_file)


def _entries(name: str, item: Any) -> list[Entry]:
    try:
        aliases: dict[str, str] = item["aliases"]
        return [
            Entry(
                name, version, record, tuple(sorted(a for a, v in aliases.items() if v == version))
            )
            for version, record in item["versions"]
        ]
    except (KeyError, TypeError, ValueError) as err:
        raise DecodeError(f"malformed catalogue entry for {name!r}") from err


def _as_cid(text: str) -> CID | None:
    """``text`` as a CID if it is one (``bafy…``, ``Qm…``, ``/ipfs/…``); else ``None``."""
    text = text.removeprefix("/ipfs/").removeprefix("ipfs://")
    if "@" in text or "/" in text:
        return None
    try:
        return CID.parse(text)
    except InvalidCIDError:
        return None
