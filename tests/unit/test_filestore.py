"""The no-copy filestore (``add --nocopy``): references into the user's files, always verified."""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import (
    Blockstore,
    FileStatus,
    FilestoreBlockstore,
    FlatFSBlockstore,
    MemoryBlockstore,
)
from ipfs_kit_py.blockstore import _filestore as filestore_mod
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    EXIT_STATUS,
    BlockNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    StorageError,
)
from ipfs_kit_py.node import Node, init_repo
from ipfs_kit_py.unixfs import Importer, resolve_options

MiB = 1 << 20


def data_bytes(root: Path) -> int:
    """Bytes of every stored block file under a flatfs directory."""
    return sum(p.stat().st_size for p in root.rglob("*.data"))


def write(path: Path, size: int, seed: int = 0) -> bytes:
    data = random.Random(seed).randbytes(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo") as opened:
        yield opened


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A directory of files of awkward sizes: empty, tiny, one chunk, several chunks."""
    root = tmp_path / "data"
    write(root / "empty.bin", 0)
    write(root / "tiny.txt", 5, 1)
    write(root / "sub" / "one-chunk.bin", 200_000, 2)
    write(root / "sub" / "three-chunks.bin", 2 * MiB + 12_345, 3)
    write(root / "zeros.bin", 0)
    (root / "zeros.bin").write_bytes(bytes(3 * MiB))  # identical leaves: one reference
    return root


def store_on(tmp_path: Path, inner: Blockstore | None = None) -> FilestoreBlockstore[Any]:
    return FilestoreBlockstore(inner or MemoryBlockstore(), tmp_path / "filestore.sqlite")


# -- the store on its own ------------------------------------------------------------------


def test_implements_the_protocol_and_delegates(tmp_path: Path) -> None:
    store = store_on(tmp_path)
    assert isinstance(store, Blockstore)
    copied = Block.from_data(b"copied")
    store.put(copied)
    store.put_many([Block.from_data(b"also")])
    assert store.get(copied.cid) == b"copied"
    assert store.has(copied.cid)
    assert store.size(copied.cid) == 6
    assert len(list(store.multihashes())) == 2
    assert not (tmp_path / "filestore.sqlite").exists()  # made on the first reference only
    missing = Block.from_data(b"nowhere").cid
    assert not store.has(missing)
    with pytest.raises(BlockNotFoundError):
        store.get(missing)
    with pytest.raises(BlockNotFoundError):
        store.size(missing)
    store.delete(missing)  # absent: no error, no database


def test_references_read_verify_list_and_delete(tmp_path: Path) -> None:
    data = write(tmp_path / "file.bin", 10_000)
    store = store_on(tmp_path)
    head, tail = Block.from_data(data[:4000]), Block.from_data(data[4000:])
    store.put_ref(head.cid, tmp_path / "file.bin", 0, 4000)
    store.put_ref(tail.cid, tmp_path / "." / "file.bin", 4000, 6000)  # resolved
    assert store.get(head.cid) == data[:4000]
    assert store.get(tail.cid.to_v1()) == data[4000:]
    assert store.has(tail.cid)
    assert store.size(tail.cid) == 6000
    entries = list(store.ls())
    assert [(e.offset, e.size) for e in entries] == [(0, 4000), (4000, 6000)]
    assert {e.path for e in entries} == {str((tmp_path / "file.bin").resolve())}
    assert str(entries[1]).split()[1:] == ["6000", entries[1].path, "4000"]  # Kubo's line
    assert sorted(store.multihashes()) == sorted([head.cid.multihash, tail.cid.multihash])
    assert all(c.ok for c in store.verify_refs())
    store.delete(head.cid)
    assert not store.has(head.cid)
    with pytest.raises(BlockNotFoundError):
        store.get(head.cid)
    assert [e.cid for e in store.ls()] == [tail.cid]


def test_identity_cids_are_never_referenced(tmp_path: Path) -> None:
    store = store_on(tmp_path)
    inline = CID.parse("bafkqaaa")  # identity, empty
    store.put_ref(inline, tmp_path / "x", 0, 0)
    assert store.get(inline) == b""
    assert list(store.ls()) == []


def test_bad_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        store_on(tmp_path).put_ref(Block.from_data(b"x").cid, tmp_path / "f", -1, 1)


def test_changed_truncated_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    data = write(path, 3000)
    store = store_on(tmp_path)
    blocks = [Block.from_data(data[i : i + 1000]) for i in range(0, 3000, 1000)]
    for i, block in enumerate(blocks):
        store.put_ref(block.cid, path, i * 1000, 1000)
    with path.open("r+b") as f:  # flip one byte of the middle block
        f.seek(1500)
        f.write(bytes([data[1500] ^ 1]))
    with pytest.raises(FileChangedError) as info:
        store.get(blocks[1].cid)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    assert isinstance(info.value, IntegrityError)
    assert store.get(blocks[0].cid) == data[:1000]  # the rest still reads
    statuses = [c.status for c in store.verify_refs()]
    assert statuses == [FileStatus.OK, FileStatus.CHANGED, FileStatus.OK]

    os.truncate(path, 2500)
    with pytest.raises(FileChangedError, match="shorter"):
        store.get(blocks[2].cid)
    assert [c.status for c in store.verify_refs()][2] is FileStatus.CHANGED

    path.unlink()
    with pytest.raises(FileChangedError, match="gone") as gone:
        store.get(blocks[0].cid)
    assert gone.value.path == str(path)
    checks = list(store.verify_refs())
    assert {c.status for c in checks} == {FileStatus.NO_FILE}
    assert not any(c.ok for c in checks)
    assert all(c.message for c in checks)

    path.mkdir()  # a directory where the file was
    with pytest.raises(FileChangedError):
        store.get(blocks[0].cid)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_unreadable_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = write(path, 100)
    store = store_on(tmp_path)
    block = Block.from_data(data)
    store.put_ref(block.cid, path, 0, 100)
    path.unlink()
    with socket.socket(socket.AF_UNIX) as sock:  # a name open() refuses (ENXIO), not missing
        sock.bind(str(path))
        with pytest.raises(StorageError) as info:
            store.get(block.cid)
        assert not isinstance(info.value, IntegrityError)
        assert info.value.filename == str(path)
        assert [c.status for c in store.verify_refs()] == [FileStatus.ERROR]


def test_a_copy_wins_and_is_a_dup(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    data = write(path, 100)
    store = store_on(tmp_path)
    block = Block.from_data(data)
    store.put_ref(block.cid, path, 0, 100)
    assert list(store.dups()) == []
    store.put(block)
    assert list(store.dups()) == [block.cid]
    assert list(store.multihashes()) == [block.cid.multihash]  # listed once
    path.write_bytes(b"something else")
    assert store.get(block.cid) == data  # served from the copy
    store.delete(block.cid)  # removes both
    assert not store.has(block.cid)
    assert list(store.ls()) == []


def test_queued_references_are_visible_and_batched(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    n = filestore_mod.BATCH + 10
    data = write(path, n * 10)
    store = store_on(tmp_path)
    cids = [Block.from_data(data[i * 10 : i * 10 + 10]).cid for i in range(n)]
    for i, cid in enumerate(cids):
        store.put_ref(cid, path, i * 10, 10)
    assert len(store._pending) == 10  # one batch committed, the rest queued
    assert store.get(cids[-1]) == data[-10:]  # a read commits the queue first
    assert not store._pending
    for cid in cids[:5]:
        store.delete(cid)
    store.flush()
    assert len(list(store.ls())) == n - 5


def test_persists_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    data = write(path, 100)
    block = Block.from_data(data)
    store = store_on(tmp_path)
    store.put_ref(block.cid, path, 0, 100)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        store.put_ref(block.cid, path, 0, 100)
    with pytest.raises(StorageError, match="closed"):
        store.has(block.cid)
    again = store_on(tmp_path)
    assert again.get(block.cid) == data
    again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "filestore.sqlite")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StorageError, match="schema"):
        store_on(tmp_path)


def test_in_memory_references(tmp_path: Path) -> None:
    data = write(tmp_path / "f", 10)
    store: FilestoreBlockstore[MemoryBlockstore] = FilestoreBlockstore(MemoryBlockstore())
    block = Block.from_data(data)
    store.put_ref(block.cid, tmp_path / "f", 0, 10)
    assert store.get(block.cid) == data
    assert store.verify
    assert "memory" in repr(store)


@pytest.mark.skipif(os.name != "posix", reason="byte file names")
def test_undecodable_file_names_round_trip(tmp_path: Path) -> None:
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.bin"))
    data = write(path, 50)
    store = store_on(tmp_path)
    block = Block.from_data(data)
    store.put_ref(block.cid, path, 0, 50)
    store.close()
    again = store_on(tmp_path)
    assert again.get(block.cid) == data
    assert [e.path for e in again.ls()] == [str(path)]
    again.close()


def test_concurrent_reads_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    data = write(path, 256 * 1000)
    store = store_on(tmp_path, FlatFSBlockstore(tmp_path / "blocks", sync=False))
    leaves = [Block.from_data(data[i : i + 1000]) for i in range(0, len(data), 1000)]
    for i, leaf in enumerate(leaves[:128]):
        store.put_ref(leaf.cid, path, i * 1000, 1000)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i, leaf in enumerate(leaves[128:], 128):
                store.put_ref(leaf.cid, path, i * 1000, 1000)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    def read(i: int) -> bool:
        leaf = leaves[i % 128]
        return store.get(leaf.cid) == leaf.data and store.size(leaf.cid) == 1000

    thread = threading.Thread(target=writer)
    thread.start()
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(read, range(2000)))
    thread.join()
    assert not errors
    assert all(store.get(leaf.cid) == leaf.data for leaf in leaves)
    store.close()


# -- the importer hook ----------------------------------------------------------------------


def test_importer_reports_contiguous_leaves(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    write(path, 10_000)
    refs: list[tuple[CID, Path, int, int]] = []
    sunk: list[Block] = []
    opts = resolve_options(chunker="size-1000")
    with Importer(opts, sunk.append, ref_sink=lambda *a: refs.append(a)) as imp:
        (entry,) = imp.add_paths([path])
    assert [(r[2], r[3]) for r in refs] == [(i * 1000, 1000) for i in range(10)]
    assert {r[1] for r in refs} == {path}
    assert all(b.cid.codec_name == "dag-pb" for b in sunk)  # only the root was sunk
    with Importer(opts) as plain:
        assert plain.add_paths([path]).__next__().cid == entry.cid


def test_importer_hook_ignores_streams_and_dag_pb_leaves(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = write(path, 3000)
    called: list[object] = []
    sunk: list[Block] = []
    opts = resolve_options(chunker="size-1000")
    hook = Importer(opts, sunk.append, ref_sink=lambda *a: called.append(a))
    with hook as imp, path.open("rb") as fp:
        imp.add_stream(fp)  # a stream: stored as usual
    assert not called
    assert len(sunk) == 4
    v0 = resolve_options("unixfs-v0-2015", chunker="size-1000")  # dag-pb leaves
    sunk.clear()
    with Importer(v0, sunk.append, ref_sink=lambda *a: called.append(a)) as imp:
        list(imp.add_paths([path]))
    assert not called
    assert len(sunk) == 4
    assert b"".join(b.data for b in sunk).count(data[:1000]) == 1


# -- through the API -----------------------------------------------------------------------

SAME_CID_OPTIONS: list[dict[str, Any]] = [
    {},
    {"chunker": "size-65536"},
    {"chunker": "size-20000", "max_links": 3},
    {"chunker": "buzhash"},
    {"trickle": True, "chunker": "size-100000"},
    {"profile": "unixfs-v0-2015"},
    {"cid_version": 0},
    {"inline": True, "inline_limit": 32},
    {"preserve_mtime": True, "preserve_mode": True},
    {"hash": "blake3"},
    {"wrap_with_directory": True},
]


@pytest.mark.parametrize("options", SAME_CID_OPTIONS, ids=lambda o: ",".join(o) or "default")
def test_cids_equal_a_normal_raw_leaves_add(
    tmp_path: Path, tree: Path, options: dict[str, Any]
) -> None:
    with IPFSSimpleAPI(tmp_path / "plain", blockstore__sync=False) as plain:
        expected = plain.add_path(tree, **{**options, "raw_leaves": True})
    with IPFSSimpleAPI(tmp_path / "nocopy", blockstore__sync=False) as api:
        got = api.add_path(tree, nocopy=True, **options)
        assert got == expected
        for entry in got:
            if entry.kind == "file":
                assert api.cat(entry.cid) == (tree.parent / entry.path).read_bytes()


def test_repo_holds_no_leaf_bytes(api: IPFSSimpleAPI, tree: Path, tmp_path: Path) -> None:
    total = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    entries = api.add_path(tree, nocopy=True)
    assert not api.node.blocks._pending  # the pin's DAG walk committed the references
    stored = data_bytes(api.node.path / "blocks")
    assert stored < 2000 < total  # dag-pb nodes only (and the empty leaf)
    referenced = sum(e.size for e in api.node.blocks.ls())
    assert referenced == total - 3 * MiB + MiB  # the zero file is one leaf three times
    with IPFSSimpleAPI(tmp_path / "copy") as copy:
        copy.add_path(tree, raw_leaves=True)
        assert data_bytes(copy.node.path / "blocks") > total - 3 * MiB
    assert api.cat(f"{entries[-1].cid}/tiny.txt") == (tree / "tiny.txt").read_bytes()


def test_changed_file_fails_reads_verify_and_repo_verify(api: IPFSSimpleAPI, tree: Path) -> None:
    entries = {e.path: e for e in api.add_path(tree, nocopy=True)}
    big = tree / "sub" / "three-chunks.bin"
    cid = entries["data/sub/three-chunks.bin"].cid
    original = big.read_bytes()
    assert api.cat(cid) == original
    assert api.repo_verify().ok
    with big.open("r+b") as f:
        f.seek(MiB + 7)
        f.write(b"!")
    with pytest.raises(FileChangedError, match=str(big)):
        api.cat(cid)
    bad = [c for c in api.node.blocks.verify_refs() if not c.ok]
    assert [(c.status, c.entry.offset) for c in bad] == [(FileStatus.CHANGED, MiB)]
    report = api.repo_verify()
    assert report.corrupt == (bad[0].entry.cid,)
    assert not all(r.ok for r in api.node.pins.verify(api.node.blocks))
    assert api.cat(entries["data/tiny.txt"].cid) == (tree / "tiny.txt").read_bytes()

    big.unlink()
    with pytest.raises(FileChangedError, match="gone"):
        api.cat(cid)
    assert len(api.repo_verify().corrupt) == 3  # every leaf of the deleted file


def test_gc_removes_unpinned_references_and_keeps_pinned(
    api: IPFSSimpleAPI, tree: Path, tmp_path: Path
) -> None:
    kept = api.add_path(tree / "sub", nocopy=True)[-1]
    other = tmp_path / "other.bin"
    write(other, 300_000, 9)
    dropped = api.add_path(other, nocopy=True, pin=False)[-1]
    assert {e.path for e in api.node.blocks.ls()} == {
        str((tree / "sub" / "one-chunk.bin").resolve()),
        str((tree / "sub" / "three-chunks.bin").resolve()),
        str(other.resolve()),
    }
    report = api.gc()
    assert dropped.cid in report.removed
    assert str(other.resolve()) not in {e.path for e in api.node.blocks.ls()}
    assert not api.node.blocks.has(dropped.cid)
    assert (
        api.cat(f"{kept.cid}/three-chunks.bin") == (tree / "sub" / "three-chunks.bin").read_bytes()
    )
    api.unpin(kept.cid)
    api.gc()
    assert list(api.node.blocks.ls()) == []


def test_gc_is_not_stopped_by_a_changed_file(api: IPFSSimpleAPI, tree: Path) -> None:
    root = api.add_path(tree, nocopy=True)[-1]
    (tree / "sub" / "three-chunks.bin").write_bytes(b"rewritten")
    report = api.gc()  # pinned raw leaves are checked for presence, never read
    assert report.ok
    assert not report.removed
    assert api.node.blocks.has(root.cid)


def test_references_survive_reopening_the_repo(tmp_path: Path, tree: Path) -> None:
    repo = tmp_path / "repo"
    with IPFSSimpleAPI(repo) as api:
        root = api.add_path(tree, nocopy=True, pin=False)[-1]
    assert (repo / "filestore.sqlite").exists()
    with IPFSSimpleAPI(repo) as api:
        assert api.cat(f"{root.cid}/sub/one-chunk.bin") == (tree / "sub/one-chunk.bin").read_bytes()


def test_a_repo_without_a_filestore_opens(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    with Node.open(repo) as node:
        assert list(node.blocks.ls()) == []
        assert list(node.blocks.dups()) == []
        assert isinstance(node.blocks.inner, FlatFSBlockstore)
    assert not (repo / "filestore.sqlite").exists()


def test_nocopy_implies_raw_leaves(api: IPFSSimpleAPI, tree: Path) -> None:
    with pytest.raises(InvalidInputError, match="raw leaves"):
        api.add_path(tree, nocopy=True, raw_leaves=False)
    opts = resolve_options("unixfs-v0-2015")
    with pytest.raises(InvalidInputError, match="raw leaves"):
        api.add_paths([tree], options=opts, nocopy=True)
    root = api.add_paths([tree / "tiny.txt"], nocopy=True)[-1]
    assert root.cid.codec_name == "raw"
    assert api.node.blocks.ls().__next__().cid == root.cid


def test_concurrent_cat_from_threads(api: IPFSSimpleAPI, tree: Path) -> None:
    entries = [e for e in api.add_path(tree, nocopy=True) if e.kind == "file"]
    want = {e.cid: (tree.parent / e.path).read_bytes() for e in entries}

    def cat(i: int) -> bool:
        cid = entries[i % len(entries)].cid
        return api.cat(cid) == want[cid]

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(cat, range(64)))


def test_error_codes() -> None:
    assert issubclass(FileChangedError, IntegrityError)
    assert FileChangedError.code == "file_changed"
    assert EXIT_STATUS[FileChangedError.code] == 5
