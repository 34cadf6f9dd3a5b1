"""Trickle layout (``ipfs add --trickle``). Not implemented yet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ipfs_kit_py.errors import UnsupportedError

if TYPE_CHECKING:
    from ipfs_kit_py.unixfs._importer import Importer, _Link


def trickle_file(importer: Importer, leaves: Iterator[_Link]) -> _Link:
    """Fold leaf links into a trickle DAG and return its root link."""
    raise UnsupportedError("the trickle layout is not implemented yet")
