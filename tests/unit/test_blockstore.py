"""The ``Blockstore`` contract, run against every implementation, plus flatfs specifics.

Kubo's side of the flatfs layout is checked against a real Kubo in
``tests/interop/test_flatfs_kubo.py``; here the layout is checked against the
independent path helper in ``tests/helpers/kubo.py``.
"""

from __future__ import annotations

import base64
import errno
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers.kubo import kubo_block_path
from ipfs_kit_py import CID, Block
from ipfs_kit_py import blockstore as blockstore_pkg
from ipfs_kit_py.blockstore import (
    SHARDING,
    Blockstore,
    FlatFSBlockstore,
    MemoryBlockstore,
    flatfs_key,
    flatfs_shard,
)
from ipfs_kit_py.cid import multihash
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    IntegrityError,
    InvalidInputError,
    ReadOnlyError,
    StorageError,
    UnsupportedError,
)

RAW, DAG_PB, IDENTITY, SHA2_512 = 0x55, 0x70, 0x00, 0x13
KINDS = ["memory", "flatfs"]

#: ``make(verify=True)`` builds a store; every call on one test shares the backing data.
Factory = Callable[..., Blockstore]


def blocks(seed: int, count: int, size: int = 4096, codec: int = RAW) -> list[Block]:
    """``count`` distinct blocks of seeded random bytes."""
    rng = random.Random(seed)
    return [Block(CID.from_data(d, codec), d) for d in (rng.randbytes(size) for _ in range(count))]


def temp_files(store: Blockstore) -> list[Path]:
    """What a flatfs has staged but not renamed (always empty between calls)."""
    if not isinstance(store, FlatFSBlockstore):
        return []
    return [p for p in (store.root / ".temp").iterdir() if p.is_file()]


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.data") if p.is_file())


@pytest.fixture(params=KINDS)
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    """A store factory; for flatfs each call reopens the same directory."""
    shared = MemoryBlockstore()

    def build(*, verify: bool = True) -> Blockstore:
        if request.param == "flatfs":
            return FlatFSBlockstore(tmp_path / "blocks", verify=verify, sync=False)
        mem = MemoryBlockstore(verify=verify)
        mem._blocks = shared._blocks  # same data, its own verify flag
        mem._lock = shared._lock
        return mem

    return build


@pytest.fixture
def store(make: Factory) -> Blockstore:
    return make()


def corrupt(store: Blockstore, cid: CID, data: bytes) -> None:
    """Replace what the store holds for ``cid`` behind its back (bit rot)."""
    if isinstance(store, FlatFSBlockstore):
        store.block_path(cid).write_bytes(data)
    else:
        assert isinstance(store, MemoryBlockstore)
        store._blocks[cid.multihash] = data


# -- the contract -------------------------------------------------------------------------


def test_public_names() -> None:
    for name in blockstore_pkg.__all__:
        assert hasattr(blockstore_pkg, name), name
    assert {"Blockstore", "FlatFSBlockstore", "MemoryBlockstore"} <= set(blockstore_pkg.__all__)


def test_implements_protocol(store: Blockstore) -> None:
    assert isinstance(store, Blockstore)


def test_round_trip(store: Blockstore) -> None:
    rng = random.Random(1)
    sizes = [0, 1, 100, 4096, 262_158, 1024 * 1024 + 3]
    items = [Block.from_data(rng.randbytes(n)) for n in sizes]
    items.append(Block.encode({"a": [1, 2, 3]}, "dag-cbor"))
    items.append(Block.from_data(b"sha512", hash_code=SHA2_512))
    for block in items:
        store.put(block)
    for block in items:
        assert store.has(block.cid)
        assert store.get(block.cid) == block.data
        assert store.size(block.cid) == len(block.data)
    assert sorted(store.multihashes()) == sorted(b.cid.multihash for b in items)
    assert temp_files(store) == []


def test_put_many_and_reopen(make: Factory) -> None:
    items = blocks(2, 50)
    make().put_many(iter(items))  # any iterable, consumed once
    again = make()
    assert all(again.get(b.cid) == b.data for b in items)
    assert len(list(again.multihashes())) == 50


def test_put_is_idempotent(store: Blockstore) -> None:
    items = blocks(3, 5)
    store.put(items[0])
    store.put(items[0])
    store.put_many(items + items)
    assert sorted(store.multihashes()) == sorted(b.cid.multihash for b in items)
    assert all(store.get(b.cid) == b.data for b in items)
    if isinstance(store, FlatFSBlockstore):
        assert len(data_files(store.root)) == 5
    assert temp_files(store) == []


def test_cid_versions_and_codecs_share_storage(store: Blockstore) -> None:
    data = random.Random(4).randbytes(1000)
    v0 = CID.from_data(data, DAG_PB, version=0)
    store.put(Block(v0, data))
    v1_pb, v1_raw = CID(1, DAG_PB, v0.multihash), CID(1, RAW, v0.multihash)
    assert str(v0).startswith("Qm")
    for cid in (v0, v1_pb, v1_raw):
        assert store.has(cid)
        assert store.get(cid) == data
    store.put(Block(v1_raw, data))  # the same block again, by another name
    assert list(store.multihashes()) == [v0.multihash]
    store.delete(v1_pb)
    assert not store.has(v0)


def test_missing_block(store: Blockstore) -> None:
    cid = blocks(5, 1)[0].cid
    assert not store.has(cid)
    with pytest.raises(BlockNotFoundError, match=str(cid)):
        store.get(cid)
    with pytest.raises(KeyError):  # BlockNotFoundError is a KeyError
        store.size(cid)
    store.delete(cid)  # no error


def test_corrupt_block_is_detected_unless_verify_off(make: Factory) -> None:
    store = make()
    block = blocks(6, 1)[0]
    store.put(block)
    bad = bytearray(block.data)
    bad[100] ^= 1
    corrupt(store, block.cid, bytes(bad))
    with pytest.raises(IntegrityError, match=str(block.cid)):
        store.get(block.cid)
    assert make(verify=False).get(block.cid) == bytes(bad)
    assert store.size(block.cid) == len(block.data)  # size never reads


def test_identity_cids_are_never_stored(store: Blockstore) -> None:
    cid = CID.from_data(b"tiny", RAW, hash_code=IDENTITY)
    assert cid.is_identity
    assert store.has(cid)
    assert store.get(cid) == b"tiny"
    assert store.size(cid) == 4
    store.put(Block(cid, b"tiny"))
    store.put_many([Block(cid, b"tiny")])
    store.delete(cid)
    assert list(store.multihashes()) == []
    if isinstance(store, FlatFSBlockstore):
        assert data_files(store.root) == []


def test_delete(store: Blockstore) -> None:
    keep, gone = blocks(7, 2)
    store.put_many([keep, gone])
    store.delete(gone.cid)
    store.delete(gone.cid)
    assert not store.has(gone.cid)
    with pytest.raises(BlockNotFoundError):
        store.get(gone.cid)
    assert list(store.multihashes()) == [keep.cid.multihash]
    store.put(gone)  # and back
    assert store.get(gone.cid) == gone.data


def test_threads_put_and_get_concurrently(store: Blockstore) -> None:
    items = blocks(8, 64, size=20_000)
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        order = items[:]
        random.Random(seed).shuffle(order)
        if seed % 2:
            for i in range(0, len(order), 8):
                store.put_many(order[i : i + 8])
        else:
            for block in order:
                store.put(block)

    def reader(seed: int) -> int:
        rng = random.Random(seed)
        seen = 0
        for _ in range(400):
            block = rng.choice(items)
            try:
                data = store.get(block.cid)  # whole and verified, or absent
            except BlockNotFoundError:
                continue
            except BaseException as err:
                errors.append(err)
                raise
            assert data == block.data
            seen += 1
        return seen

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(writer, s) for s in range(6)]
        futures += [pool.submit(reader, s) for s in range(6)]
        for f in futures:
            f.result()
    assert errors == []
    assert sorted(store.multihashes()) == sorted(b.cid.multihash for b in items)
    assert all(store.get(b.cid) == b.data for b in items)
    assert temp_files(store) == []


# -- flatfs: layout -----------------------------------------------------------------------


def test_layout_matches_kubo_paths(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    items = [*blocks(9, 20, size=300), Block.from_data(b"x", hash_code=SHA2_512)]
    store.put_many(items)
    for block in items:
        kubo = kubo_block_path(tmp_path / "r", block.cid.multihash)
        rel = kubo.relative_to(tmp_path / "r" / "blocks")
        assert store.block_path(block.cid) == store.root / rel
        assert (store.root / rel).read_bytes() == block.data
    assert len(data_files(store.root)) == len(items)


def test_key_and_shard() -> None:
    mh = multihash.digest(b"hello world\n")
    key = flatfs_key(mh)
    assert key.startswith("CIQ")
    assert key.isupper()
    assert "=" not in key
    assert flatfs_shard(key) == key[-3:-1]
    assert flatfs_shard("AB") == "_A"  # go-ds-flatfs pads short keys with "_"


def test_sharding_file_is_kubos_bytes(tmp_path: Path) -> None:
    FlatFSBlockstore(tmp_path / "b")
    assert (tmp_path / "b" / "SHARDING").read_bytes() == (SHARDING + "\n").encode()
    assert SHARDING == "/repo/flatfs/shard/v1/next-to-last/2"
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [".temp", "SHARDING"]


def test_sharding_without_newline_is_accepted(tmp_path: Path) -> None:
    root = tmp_path / "b"
    root.mkdir()
    (root / "SHARDING").write_text(SHARDING)
    FlatFSBlockstore(root).put(blocks(10, 1)[0])


@pytest.mark.parametrize(
    "scheme", ["/repo/flatfs/shard/v1/prefix/2", "/repo/flatfs/shard/v1/next-to-last/3", "auto"]
)
def test_other_sharding_is_refused(tmp_path: Path, scheme: str) -> None:
    root = tmp_path / "b"
    root.mkdir()
    (root / "SHARDING").write_text(scheme + "\n")
    for read_only in (False, True):
        with pytest.raises(UnsupportedError, match="sharded by"):
            FlatFSBlockstore(root, read_only=read_only)


def test_non_empty_directory_without_sharding_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="SHARDING"):
        FlatFSBlockstore(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_interrupted_creation_is_finished_on_next_open(tmp_path: Path) -> None:
    root = tmp_path / "b"
    (root / ".temp").mkdir(parents=True)
    (root / ".SHARDING-0123456789ab").write_bytes(b"/repo/flatfs/sh")  # crashed mid-write
    FlatFSBlockstore(root)
    assert (root / "SHARDING").read_bytes() == (SHARDING + "\n").encode()


def test_multihashes_skips_junk(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    items = blocks(11, 3)
    store.put_many(items)
    root = store.root
    real = store.block_path(items[0].cid)
    key = real.name[: -len(".data")]
    shard = real.parent
    wrong = "ZZ" if shard.name != "ZZ" else "YY"
    (root / wrong).mkdir()
    junk = {
        shard / "notes.txt": b"x",
        shard / "put-123456": b"kubo<0.5 temp",  # old go-ds-flatfs staged here
        shard / ".put-abc": b"dot temp",
        shard / f"{key.lower()}.data": b"lower case",
        shard / f"{key}.data.tmp": b"suffix",
        root / wrong / real.name: items[0].data,  # right name, wrong shard
        root / ".temp" / "put-deadbeef": b"staged",
        root / ".temp" / f"{key}.data": b"in temp",
        root / f"{key}.data": b"top level",
        root / "_README": b"readme",
        root / "diskUsage.cache": b"{}",
    }
    odd = flatfs_key(multihash.digest(b"odd")) + "AA"  # 57 chars: no byte string encodes to that
    not_mh = flatfs_key(b"\xff" * 34)  # valid base32, not a multihash
    junk[root / flatfs_shard(odd) / f"{odd}.data"] = b"bad length"
    junk[root / flatfs_shard(not_mh) / f"{not_mh}.data"] = b"not a multihash"
    for path, data in junk.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    (shard / "DIR.data").mkdir()
    (root / "ABC").mkdir()
    assert sorted(store.multihashes()) == sorted(b.cid.multihash for b in items)


def test_non_canonical_base32_names_are_skipped(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    key = flatfs_key(
        multihash.digest(b"canon")
    )  # 34 bytes -> 55 chars: the last has 3 padding bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    alias = key[:-1] + alphabet[alphabet.index(key[-1]) ^ 1]  # same bytes, a padding bit set
    assert base64.b32decode(alias + "=" * (-len(alias) % 8)) == multihash.digest(b"canon")
    assert alias != key
    assert flatfs_shard(alias) == flatfs_shard(key)
    (store.root / flatfs_shard(key)).mkdir()
    (store.root / flatfs_shard(key) / f"{alias}.data").write_bytes(b"alias")
    assert list(store.multihashes()) == []


# -- flatfs: read-only, recovery, failures -----------------------------------------------


def test_read_only_refuses_writes_and_leaves_no_trace(tmp_path: Path) -> None:
    block = blocks(12, 1)[0]
    FlatFSBlockstore(tmp_path / "b").put(block)
    (tmp_path / "b" / ".temp").rmdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    ro = FlatFSBlockstore(tmp_path / "b", read_only=True)
    assert ro.get(block.cid) == block.data
    other = blocks(13, 1)[0]
    for write in (
        lambda: ro.put(other),
        lambda: ro.put_many([other]),
        lambda: ro.delete(block.cid),
    ):
        with pytest.raises(ReadOnlyError) as info:
            write()
        assert isinstance(info.value, StorageError | OSError)
        assert info.value.errno == errno.EROFS
        assert info.value.code == "read_only"
    assert ro.has(block.cid)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_read_only_on_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no flatfs") as info:
        FlatFSBlockstore(tmp_path / "nothing", read_only=True)
    assert info.value.errno == errno.ENOENT
    assert not (tmp_path / "nothing").exists()


def test_put_repairs_a_truncated_block(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    block = blocks(14, 1)[0]
    store.put(block)
    store.block_path(block.cid).write_bytes(block.data[:10])
    with pytest.raises(IntegrityError):
        store.get(block.cid)
    store.put(block)
    assert store.get(block.cid) == block.data


def test_stale_temp_files_are_swept_on_open(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b")
    stale, fresh = store.root / ".temp" / "put-old", store.root / ".temp" / "put-new"
    stale.write_bytes(b"crashed")
    fresh.write_bytes(b"in flight")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    FlatFSBlockstore(tmp_path / "b")
    assert not stale.exists()
    assert fresh.exists()  # may belong to a live writer
    assert store.sweep_temp(0) == 1  # an owner holding a lock knows there is none
    assert not fresh.exists()


def test_temp_dir_removed_under_us_is_recreated(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    (store.root / ".temp").rmdir()  # what Kubo's open does (RemoveAll + Mkdir), half-way
    block = blocks(15, 1)[0]
    store.put(block)
    assert store.get(block.cid) == block.data


def test_shard_dir_removed_under_us_is_recreated(tmp_path: Path) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    first = blocks(30, 1)[0]
    store.put(first)
    store.delete(first.cid)
    store.block_path(first.cid).parent.rmdir()  # an emptied shard, pruned by someone else
    store.put(first)
    assert store.get(first.cid) == first.data


def _enospc_after(limit: int) -> Callable[[int, bytes], int]:
    """An ``os.write`` that writes ``limit`` bytes, then fails like a full disk."""
    real = os.write
    written = 0
    lock = threading.Lock()

    def write(fd: int, data: bytes) -> int:
        nonlocal written
        with lock:
            room = limit - written
            if room <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            n = real(fd, memoryview(data)[:room])
            written += n
            return n

    return write


@pytest.mark.parametrize("sync", [True, False])
def test_disk_full_leaves_no_partial_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sync: bool
) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=sync)
    block = blocks(16, 1, size=100_000)[0]
    with monkeypatch.context() as m:
        m.setattr(os, "write", _enospc_after(60_000))  # a short write, then ENOSPC
        with pytest.raises(StorageError) as info:
            store.put(block)
    err = info.value
    assert isinstance(err, OSError)
    assert err.errno == errno.ENOSPC
    assert err.code == "storage"
    assert str(block.cid) in str(err)
    assert isinstance(err.__cause__, OSError)
    assert temp_files(store) == []
    assert data_files(store.root) == []
    assert not store.has(block.cid)
    store.put(block)  # the disk has room again
    assert store.get(block.cid) == block.data


def test_disk_full_in_the_middle_of_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FlatFSBlockstore(tmp_path / "b")
    items = blocks(17, 6, size=10_000)
    with monkeypatch.context() as m:
        m.setattr(os, "write", _enospc_after(35_000))
        with pytest.raises(StorageError, match=str(items[3].cid)):
            store.put_many(items)
    assert temp_files(store) == []
    assert set(store.multihashes()) == set()  # a failed batch puts none of its blocks
    store.put_many(items)
    assert len(set(store.multihashes())) == 6
    assert all(store.get(b.cid) == b.data for b in items)


def test_flush_failure_is_a_storage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FlatFSBlockstore(tmp_path / "b", sync=True)
    block = blocks(18, 1)[0]

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    with monkeypatch.context() as m:
        m.setattr(os, "fdatasync", broken, raising=False)
        m.setattr(os, "fsync", broken)
        with pytest.raises(StorageError) as info:
            store.put(block)
    assert info.value.errno == errno.EIO
    assert temp_files(store) == []
    assert not store.has(block.cid)


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``KeyboardInterrupt`` (or a crash before the rename) exposes no ``.data`` file."""
    store = FlatFSBlockstore(tmp_path / "b", sync=False)
    block = blocks(19, 1, size=50_000)[0]

    def interrupted(fd: int, data: bytes) -> int:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(os, "write", interrupted)
        with pytest.raises(KeyboardInterrupt):
            store.put(block)
    assert temp_files(store) == []
    assert data_files(store.root) == []


def test_put_many_syncs_the_file_system_twice_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipfs_kit_py.blockstore import _flatfs

    if _flatfs._SYNCFS is None:
        pytest.skip("no syncfs(2) here")
    real = _flatfs._SYNCFS
    calls: list[int] = []
    flushed: list[int] = []

    def counting(fd: int) -> int:
        calls.append(fd)
        return real(fd)

    store = FlatFSBlockstore(tmp_path / "b", sync=True)
    unsynced = FlatFSBlockstore(tmp_path / "c", sync=False)
    monkeypatch.setattr(_flatfs, "_SYNCFS", counting)
    monkeypatch.setattr(_flatfs, "_flush", flushed.append)
    monkeypatch.setattr(_flatfs, "_sync_dir", flushed.append)
    items = blocks(22, 50, size=64)
    store.put_many(items)
    assert (len(calls), flushed) == (2, [])  # data before the renames, then the renames
    store.put_many(items)  # all present: nothing staged, nothing synced
    assert len(calls) == 2
    assert all(store.get(b.cid) == b.data for b in items)
    unsynced.put_many(items)
    assert len(calls) == 2


def test_put_many_flushes_each_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipfs_kit_py.blockstore import _flatfs

    monkeypatch.setattr(_flatfs, "_SYNCFS", None)  # where there is no syncfs(2)
    store = FlatFSBlockstore(tmp_path / "b", sync=True)
    synced: list[str] = []
    monkeypatch.setattr(_flatfs, "_sync_dir", synced.append)
    items = blocks(20, 200, size=64)
    store.put_many(items)
    shard_dirs = {str(store.block_path(b.cid).parent) for b in items}
    assert sorted(synced) == sorted([*shard_dirs, str(store.root)])  # new shards: root too
    synced.clear()
    store.put(blocks(21, 1, size=64)[0])
    assert len(synced) in (1, 2)  # its shard, and the root if the shard is new
    synced.clear()
    store.put_many(items)  # all present: nothing written, nothing to flush
    assert synced == []
    ro = FlatFSBlockstore(tmp_path / "b", sync=True, read_only=True)
    assert all(ro.get(b.cid) == b.data for b in items)
