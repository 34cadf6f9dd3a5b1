"""What the model and dataset registries share: the repo, the catalogue, references.

A registry owns (or borrows) an :class:`~ipfs_kit_py.api.IPFSSimpleAPI`, keeps a
:class:`~ipfs_kit_py.hub._catalogue.Catalogue` of its ``kind`` beside the repo, and
turns catalogue entries into typed records; each subclass says how a record block
is checked (:meth:`Registry._record`, which must treat the block as hostile input).
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import BlockNotFoundError, InvalidInputError, RefNotFoundError
from ipfs_kit_py.hub._catalogue import Catalogue, Entry

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["Registry"]

R = TypeVar("R")


class Registry(Generic[R]):
    """Names, versions and aliases of one kind of record, over one repo."""

    kind: ClassVar[str]

    def __init__(
        self, api: IPFSSimpleAPI | None = None, *, repo: str | os.PathLike[str] | None = None
    ) -> None:
        """Use ``api``'s node, or open (and own) ``IPFSSimpleAPI(repo)``."""
        if api is None:
            from ipfs_kit_py.api import IPFSSimpleAPI

            api = IPFSSimpleAPI(repo)
            self._owns_api = True
        else:
            self._owns_api = False
        self.api = api
        self.catalogue = Catalogue(api, api.node.path / "hub", self.kind)

    def close(self) -> None:
        """Release the repo when this registry opened it."""
        if self._owns_api:
            self.api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records ----------------------------------------------------------------------------

    def _record(self, entry: Entry, doc: Any) -> R:
        """Check the record block ``doc`` as hostile input and build its record."""
        raise NotImplementedError

    def get(self, ref: str | CID) -> R:
        """The record ``ref`` names: ``name``, ``name@version``, ``name@alias`` or a record CID.

        A CID need not be listed here (a record from another node, its blocks imported);
        it is checked as hostile input (:class:`~ipfs_kit_py.errors.DecodeError`, or
        :class:`~ipfs_kit_py.errors.InvalidInputError` for unsafe paths). Unknown
        references raise :class:`~ipfs_kit_py.errors.RefNotFoundError`.
        """
        entry = self.catalogue.resolve(ref)
        try:
            doc = self.api.dag_get(entry.record)
        except BlockNotFoundError as err:
            raise RefNotFoundError(
                f"{self.kind} record {entry.record} is not in this repo"
            ) from err
        return self._record(entry, doc)

    def list(self, name: str | None = None) -> builtins.list[R]:
        """Every listed version (of ``name``), by name, oldest version first."""
        return [self._record(e, self.api.dag_get(e.record)) for e in self.catalogue.entries(name)]

    def alias(self, ref: str, alias: str) -> R:
        """Point ``name@alias`` at the version ``ref`` names (moving it if it was elsewhere)."""
        entry = self.catalogue.set_alias(ref, alias)
        return self._record(entry, self.api.dag_get(entry.record))

    def remove(self, ref: str) -> R:
        """Unlist the version ``ref`` names; GC may then reclaim what nothing else keeps."""
        record = self.get(ref)
        self.catalogue.remove(ref)
        return record

    # -- listing ----------------------------------------------------------------------------

    def _list(
        self, doc: dict[str, Any], name: str, version: str | None, aliases: Sequence[str]
    ) -> Entry:
        """Store the record and list it; an automatic version retries if another add won it."""
        for _ in range(8):
            doc["version"] = version if version is not None else self._next_version(name)
            record = self.api.dag_put(doc, pin=False)
            try:
                return self.catalogue.add(name, doc["version"], record, aliases)
            except InvalidInputError:
                if version is not None or not self._taken(name, doc["version"]):
                    raise
        raise InvalidInputError(f"could not pick a free version for {name!r}; pass version=")

    def _taken(self, name: str, version: str) -> bool:
        return any(e.version == version for e in self.catalogue.entries(name))

    def _check_new(self, name: str, version: str) -> None:
        if self._taken(name, version):
            raise InvalidInputError(f"{name}@{version} is already registered")

    def _next_version(self, name: str) -> str:
        """One more than the highest all-digit version of ``name`` (``"1"`` first)."""
        versions = {e.version for e in self.catalogue.entries(name)}
        n = max((int(v) for v in versions if v.isdigit()), default=0) + 1
        while str(n) in versions:
            n += 1
        return str(n)
