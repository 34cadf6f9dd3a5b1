"""IPFSSimpleAPI over a real on-disk repo: add, read, pin, collect, blocks, DAGs, verify."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_key, flatfs_shard
from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    IntegrityError,
    InvalidInputError,
    RepoError,
    RepoLockedError,
    RepoNotFoundError,
)
from ipfs_kit_py.node import Node, init_repo


@pytest.fixture
def api(tmp_path: Path) -> IPFSSimpleAPI:
    with IPFSSimpleAPI(tmp_path / "repo") as opened:
        yield opened  # type: ignore[misc]


def _block_file(repo: Path, cid: CID) -> Path:
    key = flatfs_key(cid.multihash)
    return repo / "blocks" / flatfs_shard(key) / f"{key}.data"


def test_one_process_owns_a_repo(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    with Node.open(repo):
        with pytest.raises(RepoLockedError, match=r"in use by process \d+"):
            Node.open(repo)
        other = subprocess.run(
            [sys.executable, "-c", f"from ipfs_kit_py.node import Node; Node.open({str(repo)!r})"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "RepoLockedError" in other.stderr
    Node.open(repo).close()  # released on close


def test_missing_and_foreign_repos(tmp_path: Path) -> None:
    with pytest.raises(RepoNotFoundError):
        Node.open(tmp_path / "nothing")
    repo = init_repo(tmp_path / "r")
    with pytest.raises(RepoError):
        init_repo(repo)
    (repo / "version").write_text("99\n")
    with pytest.raises(RepoError, match="version 99"):
        Node.open(repo)


def test_add_read_and_tree(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    data = random.Random(1).randbytes(3_000_000)
    entry = api.add(data)
    assert api.cat(entry.cid) == data
    assert api.cat(entry.cid, offset=1_000_000, length=10) == data[1_000_000:1_000_010]
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.bin").write_bytes(data[:5000])
    (tree / "sub" / "b.txt").write_text("b")
    entries = api.add_path(tree)
    root = entries[-1].cid
    assert [e.name for e in api.ls(root)] == ["a.bin", "sub"]
    assert api.cat(f"{root}/sub/b.txt") == b"b"
    out = api.get(root, tmp_path / "out")
    assert (out / "a.bin").read_bytes() == data[:5000]
    assert {str(p.cid) for p in api.pins("recursive")} == {str(entry.cid), str(root)}


def test_gc_keeps_what_pins_need(api: IPFSSimpleAPI) -> None:
    keep = api.add(random.Random(2).randbytes(2_500_000), chunker="size-100000")
    drop = api.add(random.Random(3).randbytes(2_500_000), chunker="size-100000", pin=False)
    before = api.repo_stat().num_objects
    dry = api.gc(dry_run=True)
    assert api.repo_stat().num_objects == before  # a dry run removes nothing
    report = api.gc()
    assert {str(c) for c in report.removed} == {str(c) for c in dry.removed}
    assert len(report.removed) == 26  # 25 leaves and the root of the unpinned file
    assert api.cat(keep.cid) == random.Random(2).randbytes(2_500_000)
    with pytest.raises(BlockNotFoundError):
        api.cat(drop.cid)
    api.unpin(keep.cid)
    api.gc()
    assert api.repo_stat().num_objects == 0


def test_blocks_and_dags(api: IPFSSimpleAPI) -> None:
    stat = api.block_put(b"raw bytes")
    assert api.block_get(stat.cid) == b"raw bytes"
    assert api.block_stat(str(stat.cid)).size == 9
    with pytest.raises(InvalidInputError):
        api.block_put(b"\xff not cbor", codec="dag-cbor")
    leaf = api.dag_put({"name": "leaf"})
    root = api.dag_put({"child": leaf, "n": 1})
    assert api.dag_get(root) == {"child": leaf, "n": 1}
    assert list(api.refs(root)) == [leaf]
    with pytest.raises(InvalidInputError, match="pinned"):
        api.block_rm(leaf)
    api.block_rm(stat.cid)
    with pytest.raises(BlockNotFoundError):
        api.block_get(stat.cid)
    car = io.BytesIO()
    assert api.dag_export(root, car) == 2
    car.seek(0)
    with IPFSSimpleAPI(api.node.path.parent / "other") as other:
        assert other.dag_import(car) == [root]
        assert other.dag_get(root)["child"] == leaf
        assert [p.cid for p in other.pins("recursive")] == [root]


def test_refs_recursive_unique(api: IPFSSimpleAPI) -> None:
    shared = api.dag_put("shared")
    root = api.dag_put([shared, shared, api.dag_put({"x": shared})])
    assert len(list(api.refs(root, recursive=True))) == 4  # every edge: shared x3, the map
    assert len(list(api.refs(root, recursive=True, unique=True))) == 2


def test_corruption_is_caught(api: IPFSSimpleAPI) -> None:
    entry = api.add(random.Random(4).randbytes(300_000), chunker="size-100000")
    leaf = list(api.refs(entry.cid))[1]
    path = _block_file(api.node.path, leaf)
    raw = bytearray(path.read_bytes())
    raw[10] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError):
        api.cat(entry.cid)
    report = api.repo_verify()
    assert report.checked == 4
    assert [c.multihash for c in report.corrupt] == [leaf.multihash]


def test_add_json_and_text(api: IPFSSimpleAPI) -> None:
    assert api.cat(api.add("héllo").cid) == "héllo".encode()
    assert api.cat(api.add_json({"b": [1.5, None], "a": "x"}).cid) == b'{"a":"x","b":[1.5,null]}'


def test_profile_from_config(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r", profile="unixfs-v0-2015")
    with IPFSSimpleAPI(repo) as api:
        assert (
            str(api.add(b"hello world\n").cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
        )
        assert str(api.add(b"hello world\n", profile="unixfs-v1-2025").cid).startswith("bafkrei")


def test_verify_hashes_even_when_reads_trust_the_disk(tmp_path: Path) -> None:
    with IPFSSimpleAPI(tmp_path / "r", blockstore__verify=False) as api:
        cid = api.add(b"x" * 1000).cid
        path = _block_file(api.node.path, cid)
        path.write_bytes(b"y" * 1000)
        assert api.cat(cid) == b"y" * 1000  # trusted read, as configured
        assert [c.multihash for c in api.repo_verify().corrupt] == [cid.multihash]


def test_dag_import_refuses_a_block_that_does_not_hash_to_its_cid(tmp_path: Path) -> None:
    car = io.BytesIO()
    with IPFSSimpleAPI(tmp_path / "a") as a:
        cid = a.add(b"weights").cid
        a.dag_export(cid, car)
    tampered = bytearray(car.getvalue())
    tampered[-1] ^= 0x01  # the last byte of the only block's data
    with IPFSSimpleAPI(tmp_path / "b") as b:
        with pytest.raises(IntegrityError):
            b.dag_import(io.BytesIO(bytes(tampered)))
        assert not b.node.blocks.has(cid)
        assert b.pins() == []
