"""Garbage collection: Kubo's mark and sweep, plan then execute, and the GC lock."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ipfs_kit_py import CID, Block
from ipfs_kit_py.blockstore import MemoryBlockstore
from ipfs_kit_py.cid import multihash
from ipfs_kit_py.cid._multicodec import DAG_CBOR, IDENTITY, RAW
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    IntegrityError,
    InvalidInputError,
    StorageError,
)
from ipfs_kit_py.pinning import (
    GCLock,
    GCPlan,
    PinStore,
    collect_garbage,
    execute_gc,
    plan_gc,
)
from ipfs_kit_py.pinning._walk import walk
from ipfs_kit_py.unixfs import Exporter, Importer, ImportOptions, resolve_options

SMALL_CHUNKS = resolve_options(chunker="size-1000")


def add_file(store: MemoryBlockstore, data: bytes, options: ImportOptions = SMALL_CHUNKS) -> CID:
    """Import ``data`` as a UnixFS file into ``store``; the root CID."""
    with Importer(options, sink=store.put, workers=1) as imp:
        return imp.add_stream(io.BytesIO(data)).cid


def dag(store: MemoryBlockstore, root: CID) -> set[bytes]:
    """The multihashes of every block under ``root``."""
    return {c.multihash for c in walk([root], store.get)}


def cat(store: MemoryBlockstore, cid: CID) -> bytes:
    return b"".join(Exporter(store.get).cat(cid))


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll until ``condition`` holds (a liveness guard, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.001)


# -- what is kept, what goes ---------------------------------------------------------------


def test_gc_keeps_pinned_dags_and_removes_the_rest(store: MemoryBlockstore, pins: PinStore) -> None:
    rng = random.Random(1)
    kept_data = rng.randbytes(30_000)
    kept = add_file(store, kept_data)
    dropped = add_file(store, rng.randbytes(30_000))
    stray = Block.from_data(b"stray block")
    store.put(stray)
    pins.add(kept, blockstore=store)
    doomed = dag(store, dropped) | {stray.cid.multihash}
    plan = plan_gc(store, pins)
    assert plan.remove == doomed
    assert plan.keep_count == len(dag(store, kept)) == 31
    assert plan.bytes_freed == sum(store.size(CID(1, RAW, mh)) for mh in doomed)
    report = execute_gc(plan, store, pins=pins)
    assert report.ok
    assert {c.multihash for c in report.removed} == doomed
    assert all(c.version == 1 and c.codec == RAW for c in report.removed)  # as Kubo prints
    assert list(report.removed) == sorted(report.removed, key=lambda c: c.multihash)
    assert report.bytes_freed == plan.bytes_freed
    assert set(store.multihashes()) == dag(store, kept)
    assert cat(store, kept) == kept_data


def test_direct_pins_keep_their_block_only(store: MemoryBlockstore, pins: PinStore) -> None:
    root = add_file(store, random.Random(2).randbytes(5000))
    pins.add(root, recursive=False, blockstore=store)
    report = collect_garbage(store, pins, GCLock())
    assert set(store.multihashes()) == {root.multihash}
    assert len(report.removed) == 5


def test_unpinning_one_of_two_pins_keeps_the_shared_blocks(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    rng = random.Random(3)
    shared = rng.randbytes(40_000)
    a_data = shared + rng.randbytes(20_000)
    b_data = rng.randbytes(20_000) + shared  # aligned on chunks: the same leaves
    a, b = add_file(store, a_data), add_file(store, b_data)
    pins.add(a, blockstore=store)
    pins.add(b, blockstore=store)
    in_a, in_b = dag(store, a), dag(store, b)
    assert len(in_a & in_b) >= 40
    lock = GCLock()
    assert collect_garbage(store, pins, lock).removed == ()
    pins.rm(a)
    report = collect_garbage(store, pins, lock)
    assert {c.multihash for c in report.removed} == in_a - in_b
    assert set(store.multihashes()) == in_b
    assert cat(store, b) == b_data
    assert all(r.ok for r in pins.verify(store))


def test_trees_sharing_files(tmp_path: Path, store: MemoryBlockstore, pins: PinStore) -> None:
    rng = random.Random(4)
    common = rng.randbytes(12_000)
    trees = []
    for name in ("one", "two"):
        root = tmp_path / name
        (root / "sub").mkdir(parents=True)
        (root / "sub" / "common.bin").write_bytes(common)
        (root / f"{name}.bin").write_bytes(rng.randbytes(7_000))
        with Importer(SMALL_CHUNKS, sink=store.put, workers=1) as imp:
            trees.append(list(imp.add_paths([root]))[-1].cid)
    one, two = trees
    pins.add(one, blockstore=store)
    pins.add(two, blockstore=store)
    pins.rm(two)
    collect_garbage(store, pins, GCLock())
    assert set(store.multihashes()) == dag(store, one)
    exporter = Exporter(store.get)
    assert b"".join(exporter.cat(f"{one}/sub/common.bin")) == common
    with pytest.raises(BlockNotFoundError):
        b"".join(exporter.cat(f"{two}/two.bin"))


def test_cidv0_pins_keep_their_blocks(store: MemoryBlockstore, pins: PinStore) -> None:
    data = random.Random(5).randbytes(4000)
    v0 = add_file(store, data, resolve_options("unixfs-v0-2015", chunker="size-1000"))
    pins.add(v0, blockstore=store)
    store.put(Block.from_data(b"garbage"))
    report = collect_garbage(store, pins, GCLock())
    assert len(report.removed) == 1
    assert cat(store, v0) == data


def test_identity_cids_need_no_stored_block(store: MemoryBlockstore, pins: PinStore) -> None:
    leaf = Block.from_data(b"under an inlined node")
    inline = Block.encode({"leaf": leaf.cid}, "dag-cbor")
    inline_cid = CID(1, DAG_CBOR, multihash.encode(IDENTITY, inline.data))
    root = Block.encode({"inline": inline_cid}, "dag-cbor")
    store.put_many([leaf, root, Block.from_data(b"garbage")])
    pins.add(root.cid, blockstore=store)
    collect_garbage(store, pins, GCLock())
    assert set(store.multihashes()) == {leaf.cid.multihash, root.cid.multihash}


def test_extra_roots_are_kept_best_effort(store: MemoryBlockstore, pins: PinStore) -> None:
    rng = random.Random(6)
    mfs = add_file(store, rng.randbytes(5000))
    partial = add_file(store, rng.randbytes(5000))
    lost = sorted(dag(store, partial) - {partial.multihash})[0]
    store.delete(CID(1, RAW, lost))
    garbage = add_file(store, rng.randbytes(3000))
    plan = plan_gc(store, pins, extra_roots=[mfs, partial])
    assert plan.remove == dag(store, garbage)
    assert plan.keep_count == len(dag(store, mfs)) + 5  # partial: 6 blocks, 1 lost


def test_a_missing_block_under_a_recursive_pin_aborts_the_collection(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    root = add_file(store, random.Random(7).randbytes(5000))
    pins.add(root, blockstore=store)
    store.put(Block.from_data(b"garbage"))
    store.delete(CID(1, RAW, sorted(dag(store, root) - {root.multihash})[2]))
    before = set(store.multihashes())
    with pytest.raises(BlockNotFoundError, match=r"^garbage collection aborted: could not"):
        collect_garbage(store, pins, GCLock())
    assert set(store.multihashes()) == before


def test_a_corrupt_block_under_a_recursive_pin_aborts_the_collection(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    leaf = Block.from_data(b"leaf")
    middle = Block.encode([leaf.cid], "dag-cbor")
    root = Block.encode([middle.cid], "dag-cbor")
    store.put_many([leaf, middle, root])
    pins.add(root.cid, blockstore=store)
    store.delete(middle.cid)
    store.put(Block(middle.cid, b"\x80"))  # its links can no longer be trusted
    with pytest.raises(IntegrityError, match=r"^garbage collection aborted"):
        plan_gc(store, pins)


def test_marking_reads_no_raw_leaf(pins: PinStore) -> None:
    """Raw leaves link nowhere: a collection checks they exist, never reads them."""

    class Counting(MemoryBlockstore):
        def __init__(self) -> None:
            super().__init__()
            self.reads: list[CID] = []

        def get(self, cid: CID) -> bytes:
            self.reads.append(cid)
            return super().get(cid)

    store = Counting()
    root = add_file(store, random.Random(11).randbytes(50_000))
    pins.add(root, blockstore=store)
    store.reads.clear()
    assert plan_gc(store, pins).remove == frozenset()
    assert store.reads == [root]


# -- plan, then execute ---------------------------------------------------------------------


def test_dry_run_deletes_nothing(store: MemoryBlockstore, pins: PinStore) -> None:
    add_file(store, random.Random(8).randbytes(3000))
    before = set(store.multihashes())
    report = collect_garbage(store, pins, GCLock(), dry_run=True)
    assert report.dry_run
    assert {c.multihash for c in report.removed} == before
    assert report.bytes_freed == sum(store.size(CID(1, RAW, mh)) for mh in before) > 3000
    assert set(store.multihashes()) == before


def test_a_stale_plan_is_refused(store: MemoryBlockstore, pins: PinStore) -> None:
    root = add_file(store, random.Random(9).randbytes(3000))
    plan = plan_gc(store, pins)
    assert root.multihash in plan.remove
    pins.add(root, blockstore=store)  # between plan and execute: the plan is stale
    with pytest.raises(InvalidInputError, match="stale"):
        execute_gc(plan, store, pins=pins)
    assert cat(store, root) is not None
    assert execute_gc(plan_gc(store, pins), store, pins=pins).removed == ()


def test_delete_failures_are_reported_and_the_rest_still_go(pins: PinStore) -> None:
    class Stubborn(MemoryBlockstore):
        def delete(self, cid: CID) -> None:
            if cid.multihash == victim.cid.multihash:
                raise StorageError("disk says no")
            super().delete(cid)

    store = Stubborn()
    victim = Block.from_data(b"victim")
    others = [Block.from_data(bytes([i])) for i in range(5)]
    store.put_many([victim, *others])
    report = collect_garbage(store, pins, GCLock())
    assert not report.ok
    (failure,) = report.errors
    assert failure.cid == victim.cid
    assert failure.message == f"could not remove {victim.cid}: disk says no"
    assert len(report.removed) == 5
    assert report.bytes_freed == 5
    assert set(store.multihashes()) == {victim.cid.multihash}


def test_blocks_gone_since_planning_are_skipped(store: MemoryBlockstore, pins: PinStore) -> None:
    blocks = [Block.from_data(bytes([i]) * 10) for i in range(4)]
    store.put_many(blocks)
    plan = plan_gc(store, pins)
    store.delete(blocks[0].cid)
    report = execute_gc(plan, store)
    assert len(report.removed) == 3
    assert report.bytes_freed == 30


def test_plan_is_a_frozen_value() -> None:
    plan = GCPlan(frozenset({b"x"}), 1, 2, 3)
    with pytest.raises(AttributeError):
        plan.keep_count = 5  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(8))
def test_random_forests_match_an_independent_reachability_model(seed: int) -> None:
    """Random DAGs (shared children, several codecs), random pins: GC removes exactly
    what a recursive model of the DAG says nobody needs."""
    rng = random.Random(seed)
    store = MemoryBlockstore()
    children: dict[CID, list[CID]] = {}
    nodes: list[CID] = []
    for i in range(120):
        if not nodes or rng.random() < 0.3:
            block = Block.from_data(rng.randbytes(rng.randint(1, 40)))
            links: list[CID] = []
        else:
            links = rng.sample(nodes, k=min(len(nodes), rng.randint(1, 4)))
            block = Block.encode({"i": i, "links": links}, rng.choice(["dag-cbor", "dag-json"]))
        store.put(block)
        children[block.cid] = links
        nodes.append(block.cid)

    def reach(cid: CID, out: set[bytes]) -> set[bytes]:
        out.add(cid.multihash)
        for child in children[cid]:
            reach(child, out)
        return out

    with PinStore() as pins:
        recursive = rng.sample(nodes, 6)
        direct = rng.sample(nodes, 6)
        for cid in recursive:
            pins.add(cid, blockstore=store)
        for cid in direct:
            if pins.get(cid) is None:
                pins.add(cid, recursive=False, blockstore=store)
        extra = rng.sample(nodes, 2)
        needed: set[bytes] = {c.multihash for c in direct}
        for cid in [*recursive, *extra]:
            reach(cid, needed)
        plan = plan_gc(store, pins, extra_roots=extra)
        assert plan.remove == {c.multihash for c in nodes} - needed
        execute_gc(plan, store, pins=pins)
        assert set(store.multihashes()) == needed
        assert all(r.ok for r in pins.verify(store))


# -- the lock -------------------------------------------------------------------------------


def test_lock_sides_are_reentrant_within_a_thread() -> None:
    lock = GCLock()
    with lock.shared(), lock.shared():
        pass
    with lock.exclusive(), lock.exclusive(), lock.shared():
        assert lock.gc_requested
    assert not lock.gc_requested
    with (
        lock.shared(),
        pytest.raises(RuntimeError, match="while holding its shared side"),
        lock.exclusive(),
    ):
        pass


def test_a_waiting_collection_blocks_new_adds_but_not_nested_ones() -> None:
    lock = GCLock()
    order: list[str] = []
    in_shared = threading.Event()
    release = threading.Event()

    def adder() -> None:
        with lock.shared():
            in_shared.set()
            release.wait()
            with lock.shared():  # nested: granted although a collection waits
                order.append("nested")
        order.append("add done")

    def collector() -> None:
        with lock.exclusive():
            order.append("gc")

    def late_adder() -> None:
        with lock.shared():
            order.append("late add")

    first = threading.Thread(target=adder)
    first.start()
    in_shared.wait()
    gc = threading.Thread(target=collector)
    gc.start()
    wait_until(lambda: lock.gc_requested)
    late = threading.Thread(target=late_adder)
    late.start()
    release.set()
    for t in (first, gc, late):
        t.join()
    assert order.index("nested") < order.index("gc") < order.index("late add")


def test_gc_never_removes_the_blocks_of_an_add_in_progress(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    lock = GCLock()
    data = random.Random(10).randbytes(20_000)
    imported = threading.Event()
    may_pin = threading.Event()
    root: list[CID] = []

    def add() -> None:
        with lock.shared():
            root.append(add_file(store, data))
            imported.set()
            may_pin.wait()
            pins.add(root[0], blockstore=store)

    adder = threading.Thread(target=add)
    adder.start()
    imported.wait()
    # Without the protocol these blocks are garbage: the add has not pinned yet.
    assert dag(store, root[0]) <= plan_gc(store, pins).remove
    reports = []
    gc = threading.Thread(target=lambda: reports.append(collect_garbage(store, pins, lock)))
    gc.start()
    wait_until(lambda: lock.gc_requested)  # the collection waits for the add
    may_pin.set()
    adder.join()
    gc.join()
    assert reports[0].removed == ()
    assert cat(store, root[0]) == data


def test_pin_changes_take_the_shared_side_when_given_the_lock(store: MemoryBlockstore) -> None:
    lock = GCLock()
    block = Block.from_data(b"pinned while gc waits")
    store.put(block)
    with PinStore(gc_lock=lock) as pins:
        with lock.exclusive():
            adder = threading.Thread(target=lambda: pins.add(block.cid, blockstore=store))
            adder.start()
            wait_until(lambda: lock._readers_waiting == 1)  # queued behind the collection
            assert pins.get(block.cid) is None
        adder.join()
        assert pins.get(block.cid) is not None
        with lock.exclusive():  # reads inside a collection (e.g. `block rm`) do not deadlock
            assert [p.cid for p in pins.ls("all", blockstore=store)] == [block.cid]
            assert pins.verify(store)[0].ok


# -- adds and collections at once ----------------------------------------------------------


@pytest.mark.parametrize("lock_in_store", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_concurrent_adds_removals_and_collections(seed: int, lock_in_store: bool) -> None:
    """Adders import and pin under the shared side, unpin some of their pins, and check
    every pin of theirs reads back; a collector loops meanwhile. Nothing pinned is ever
    lost, and the final collection leaves exactly the pinned DAGs. ``lock_in_store``:
    the PinStore also takes the shared side itself (nested inside the adders')."""
    store = MemoryBlockstore()
    lock = GCLock()
    failures: list[BaseException] = []
    live: dict[CID, bytes] = {}
    live_lock = threading.Lock()
    stop = threading.Event()
    collections = [0]
    with PinStore(gc_lock=lock if lock_in_store else None) as pins:

        def adder(worker: int) -> None:
            rng = random.Random(seed * 100 + worker)
            mine: list[tuple[CID, bytes]] = []
            try:
                for i in range(25):
                    data = rng.randbytes(rng.randint(0, 9_000))
                    with lock.shared():
                        cid = add_file(store, data)
                        pins.add(cid, name=f"w{worker}-{i}", blockstore=store)
                    mine.append((cid, data))
                    for pinned, expected in mine:
                        assert cat(store, pinned) == expected
                    if rng.random() < 0.4:
                        gone, _ = mine.pop(rng.randrange(len(mine)))
                        if all(c != gone for c, _ in mine):
                            pins.rm(gone)
            except BaseException as err:  # surfaced by the main thread
                failures.append(err)
            with live_lock:
                live.update(mine)

        def collector() -> None:
            try:
                while True:
                    collect_garbage(store, pins, lock)
                    collections[0] += 1
                    if stop.is_set():
                        break
            except BaseException as err:
                failures.append(err)

        gc = threading.Thread(target=collector)
        workers = [threading.Thread(target=adder, args=(w,)) for w in range(4)]
        gc.start()
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        stop.set()
        gc.join()
        assert not failures, failures
        assert collections[0] > 0

        collect_garbage(store, pins, lock)
        pinned = pins.ls("recursive")
        assert {p.cid for p in pinned} == set(live)
        needed: set[bytes] = set()
        for cid, data in live.items():
            needed |= dag(store, cid)  # raises if any block of a pinned DAG is gone
            assert cat(store, cid) == data
        assert set(store.multihashes()) == needed
        assert all(r.ok for r in pins.verify(store))
