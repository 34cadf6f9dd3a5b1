"""Fixtures shared by the unit tests of the pin store and garbage collection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ipfs_kit_py.blockstore import MemoryBlockstore
from ipfs_kit_py.pinning import PinStore


@pytest.fixture
def store() -> MemoryBlockstore:
    return MemoryBlockstore()


@pytest.fixture
def pins() -> Iterator[PinStore]:
    with PinStore() as p:
        yield p
