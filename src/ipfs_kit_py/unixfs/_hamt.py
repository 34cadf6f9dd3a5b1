"""HAMT-sharded directories (UnixFS ``HAMTShard``). Not implemented yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ipfs_kit_py.codecs import PBLink
from ipfs_kit_py.errors import UnsupportedError

if TYPE_CHECKING:
    from ipfs_kit_py.unixfs._importer import Importer, _Link


def sharded_directory(importer: Importer, links: list[PBLink]) -> _Link:
    """Build a HAMT-sharded directory of ``links`` and return its root link."""
    raise UnsupportedError(
        f"a directory of {len(links)} entries needs HAMT sharding, not implemented yet"
    )
