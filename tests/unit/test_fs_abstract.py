"""fsspec's own abstract test suites, run against the mutable root of ``IPFSFileSystem``.

fsspec ships these so that an implementation certifies itself: copy, get, put, pipe
and open, each with its trailing-slash, glob and maxdepth edge cases. Every write
here builds a new root CID in a real repo, so these also exercise copy-on-write
patching, pin updates and listings of freshly built directories.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fsspec.tests.abstract import (
    AbstractCopyTests,
    AbstractFixtures,
    AbstractGetTests,
    AbstractOpenTests,
    AbstractPipeTests,
    AbstractPutTests,
)

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.fs import IPFSFileSystem


class IPFSFixtures(AbstractFixtures):  # type: ignore[misc]
    @pytest.fixture
    def fs(self, tmp_path: Path) -> Iterator[IPFSFileSystem]:
        with IPFSSimpleAPI(tmp_path / "repo", blockstore__sync=False) as api:
            yield IPFSFileSystem(api=api, skip_instance_cache=True)

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def fs_path(self) -> str:
        return "/abstract"


class TestIPFSCopy(IPFSFixtures, AbstractCopyTests):  # type: ignore[misc]
    pass


class TestIPFSGet(IPFSFixtures, AbstractGetTests):  # type: ignore[misc]
    pass


class TestIPFSPut(IPFSFixtures, AbstractPutTests):  # type: ignore[misc]
    pass


class TestIPFSPipe(IPFSFixtures, AbstractPipeTests):  # type: ignore[misc]
    pass


class TestIPFSOpen(IPFSFixtures, AbstractOpenTests):  # type: ignore[misc]
    pass
