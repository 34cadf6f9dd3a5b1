"""PinStore: Kubo's pin rules, SQLite (WAL) persistence and thread safety."""

from __future__ import annotations

import io
import random
import sqlite3
import threading
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
from ipfs_kit_py.pinning import NOT_PINNED, BadNode, Pin, PinStore, PinType, PinVerifyResult
from ipfs_kit_py.pinning._walk import pin_key, walk
from ipfs_kit_py.unixfs import Importer, ImportOptions, resolve_options

SMALL_CHUNKS = resolve_options(chunker="size-1000")
V0_SMALL_CHUNKS = resolve_options("unixfs-v0-2015", chunker="size-1000")


def add_file(store: MemoryBlockstore, data: bytes, options: ImportOptions = SMALL_CHUNKS) -> CID:
    """Import ``data`` as a UnixFS file into ``store``; the root CID."""
    with Importer(options, sink=store.put, workers=1) as imp:
        return imp.add_stream(io.BytesIO(data)).cid


def dag(store: MemoryBlockstore, root: CID) -> set[bytes]:
    """The multihashes of every block under ``root``."""
    return {c.multihash for c in walk([root], store.get)}


class CountingStore(MemoryBlockstore):
    """Counts ``get`` and ``has`` calls per multihash; refuses identity CIDs."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: dict[bytes, int] = {}
        self.hases: dict[bytes, int] = {}

    def get(self, cid: CID) -> bytes:
        assert not cid.is_identity, "identity CIDs must be decoded, not fetched"
        self.gets[cid.multihash] = self.gets.get(cid.multihash, 0) + 1
        return super().get(cid)

    def has(self, cid: CID) -> bool:
        assert not cid.is_identity, "identity CIDs must be decoded, not fetched"
        self.hases[cid.multihash] = self.hases.get(cid.multihash, 0) + 1
        return super().has(cid)


@pytest.fixture
def file_cid(store: MemoryBlockstore) -> CID:
    return add_file(store, random.Random(1).randbytes(25_000))  # 25 leaves + 1 root


# -- add ------------------------------------------------------------------------------------


def test_recursive_add_lists_root_and_indirect_blocks(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pin = pins.add(file_cid, name="data", blockstore=store)
    assert (pin.cid, pin.type, pin.name) == (file_cid, PinType.RECURSIVE, "data")
    listed = pins.ls(blockstore=store)
    assert listed[0].cid == file_cid
    assert listed[0].type is PinType.RECURSIVE
    indirect = listed[1:]
    assert {p.type for p in indirect} == {PinType.INDIRECT}
    assert {p.via for p in indirect} == {file_cid}
    assert {p.cid.multihash for p in indirect} == dag(store, file_cid) - {file_cid.multihash}
    assert len(indirect) == 25
    assert pins.ls("recursive") == [pins.get(file_cid)]
    assert pins.ls("direct") == []


def test_direct_then_recursive_upgrades_to_one_pin(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, recursive=False, name="a", blockstore=store)
    assert pins.ls("direct")[0].name == "a"
    pins.add(file_cid, name="b", blockstore=store)
    stored = pins.ls("recursive") + pins.ls("direct")
    assert [(p.cid, p.type, p.name) for p in stored] == [(file_cid, PinType.RECURSIVE, "b")]


def test_direct_add_of_recursive_pin_is_refused_and_changes_nothing(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, name="keep", blockstore=store)
    version = pins.version
    with pytest.raises(InvalidInputError, match=f"^{file_cid} already pinned recursively$"):
        pins.add(file_cid, recursive=False, name="other", blockstore=store)
    assert pins.get(file_cid) is not None
    assert pins.get(file_cid).name == "keep"  # type: ignore[union-attr]
    assert pins.version == version


def test_pinning_again_replaces_the_name_as_kubo_does(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, name="first", blockstore=store)
    pins.add(file_cid, name="second", blockstore=store)
    assert [p.name for p in pins.ls("recursive")] == ["second"]
    pins.add(file_cid, blockstore=store)  # Kubo: a re-pin without --name clears it
    assert [p.name for p in pins.ls("recursive")] == [None]
    leaf = Block.from_data(b"direct")
    store.put(leaf)
    pins.add(leaf.cid, recursive=False, name="d1", blockstore=store)
    pins.add(leaf.cid, recursive=False, name="d2", blockstore=store)
    assert [p.name for p in pins.ls("direct")] == ["d2"]


def test_recursive_add_with_a_missing_block_pins_nothing(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    victim = sorted(dag(store, file_cid) - {file_cid.multihash})[7]
    store.delete(CID(1, RAW, victim))
    with pytest.raises(BlockNotFoundError):
        pins.add(file_cid, blockstore=store)
    assert pins.ls("recursive") == []
    assert pins.version == 0


def test_recursive_add_with_a_corrupt_node_pins_nothing(pins: PinStore) -> None:
    store = MemoryBlockstore()
    leaf = Block.from_data(b"leaf")
    middle = Block.encode([leaf.cid], "dag-cbor")
    store.put(Block(middle.cid, b"\x80"))  # MemoryBlockstore stores, get() verifies
    root = Block.encode([middle.cid], "dag-cbor")
    store.put_many([root, leaf])
    with pytest.raises(IntegrityError):
        pins.add(root.cid, blockstore=store)
    assert pins.get(root.cid) is None


def test_direct_add_needs_only_its_block(store: MemoryBlockstore, pins: PinStore) -> None:
    child = Block.from_data(b"absent child")
    parent = Block.encode({"child": child.cid}, "dag-cbor")
    store.put(parent)
    assert pins.add(parent.cid, recursive=False, blockstore=store).type is PinType.DIRECT
    with pytest.raises(BlockNotFoundError):
        pins.add(child.cid, recursive=False, blockstore=store)
    with pytest.raises(BlockNotFoundError):
        pins.add(parent.cid, blockstore=store)
    assert [p.type for p in pins.ls("direct")] == [PinType.DIRECT]


def test_identity_cids_are_decoded_not_fetched() -> None:
    store = CountingStore()
    leaf = Block.from_data(b"stored leaf")
    store.put(leaf)
    inline = Block.encode({"leaf": leaf.cid}, "dag-cbor")
    inline_cid = CID(1, DAG_CBOR, multihash.encode(IDENTITY, inline.data))
    root = Block.encode([inline_cid, CID(1, RAW, multihash.encode(IDENTITY, b"tiny"))], "dag-cbor")
    store.put(root)
    with PinStore() as pins:
        pins.add(root.cid, blockstore=store)
        indirect = pins.ls("indirect", blockstore=store)
        assert {p.cid for p in indirect} == {
            inline_cid,
            leaf.cid,
            CID(1, RAW, indirect[-1].cid.multihash),
        }
        assert all(r.ok for r in pins.verify(store))
        empty = MemoryBlockstore()  # an identity CID is always "present"
        assert pins.add(inline_cid, recursive=False, blockstore=empty).type is PinType.DIRECT


def test_deep_dag_walks_without_recursion(store: MemoryBlockstore, pins: PinStore) -> None:
    node = Block.from_data(b"bottom")
    store.put(node)
    for depth in range(5000):  # far past Python's recursion limit
        node = Block.encode({"depth": depth, "next": node.cid}, "dag-cbor")
        store.put(node)
    pins.add(node.cid, blockstore=store)
    assert len(pins.ls("indirect", blockstore=store)) == 5000
    assert pins.verify(store)[0].ok


def test_each_block_is_read_once_per_walk() -> None:
    store = CountingStore()
    rng = random.Random(7)
    layer = [Block.from_data(rng.randbytes(10)) for _ in range(8)]
    store.put_many(layer)
    unique = len(layer)
    for _ in range(12):  # a lattice: every node links to every node of the layer below
        layer = [Block.encode([b.cid for b in layer] + [i], "dag-cbor") for i in range(8)]
        store.put_many(layer)
        unique += len(layer)
    top = Block.encode([b.cid for b in layer], "dag-cbor")
    store.put(top)
    unique += 1
    with PinStore() as pins:
        pins.add(top.cid, blockstore=store)
    assert len(store.gets) == unique - 8  # raw leaves are only checked for presence
    assert len(store.hases) == 8
    assert set(store.gets.values()) == set(store.hases.values()) == {1}  # 8**12 paths


# -- rm -------------------------------------------------------------------------------------


def test_rm_of_an_unpinned_cid_says_what_kubo_says(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    with pytest.raises(InvalidInputError) as info:
        pins.rm(file_cid, blockstore=store)
    assert str(info.value) == NOT_PINNED == "not pinned or pinned indirectly"


def test_rm_of_an_indirect_pin_names_the_recursive_pin(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, blockstore=store)
    child = pins.ls("indirect", blockstore=store)[3].cid
    with pytest.raises(InvalidInputError) as info:
        pins.rm(child, blockstore=store)
    assert str(info.value) == f"{NOT_PINNED}: {child} is pinned indirectly under {file_cid}"
    with pytest.raises(InvalidInputError, match=f"^{NOT_PINNED}$"):
        pins.rm(child)  # without a blockstore: Kubo's bare message
    assert pins.get(file_cid) is not None


def test_rm_indirect_search_survives_a_broken_pin(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, blockstore=store)
    store.delete(file_cid)
    with pytest.raises(InvalidInputError, match=f"^{NOT_PINNED}$"):
        pins.rm(Block.from_data(b"elsewhere").cid, blockstore=store)


def test_rm_non_recursive_only_removes_direct_pins(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, blockstore=store)
    with pytest.raises(InvalidInputError, match=f"^{file_cid} is pinned recursively$"):
        pins.rm(file_cid, recursive=False)
    leaf = Block.from_data(b"direct")
    store.put(leaf)
    pins.add(leaf.cid, recursive=False, blockstore=store)
    assert pins.rm(leaf.cid, recursive=False).type is PinType.DIRECT
    assert pins.rm(file_cid).type is PinType.RECURSIVE
    assert pins.ls(blockstore=store) == []


def test_rm_of_a_direct_pin_that_is_also_indirect(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, blockstore=store)
    child = pins.ls("indirect", blockstore=store)[0].cid
    pins.add(child, recursive=False, blockstore=store)
    assert [p.type for p in pins.ls("all", [child], blockstore=store)] == [PinType.DIRECT]
    assert pins.rm(child).type is PinType.DIRECT
    assert [p.type for p in pins.ls("all", [child], blockstore=store)] == [PinType.INDIRECT]


# -- CIDv0 / CIDv1 ----------------------------------------------------------------------------


def test_cidv0_and_cidv1_of_one_node_are_one_pin(store: MemoryBlockstore, pins: PinStore) -> None:
    v0 = add_file(store, random.Random(2).randbytes(5000), V0_SMALL_CHUNKS)
    assert v0.version == 0
    v1 = v0.to_v1()
    pins.add(v0, name="v0", blockstore=store)
    assert pins.get(v1) == pins.get(v0)
    assert pins.get(v1).cid == v0  # type: ignore[union-attr]  # stored as pinned
    assert [p.type for p in pins.ls("all", [v1], blockstore=store)] == [PinType.RECURSIVE]
    pins.add(v1, name="v1", blockstore=store)  # a re-pin, not a second pin
    assert [(p.cid, p.name) for p in pins.ls("recursive")] == [(v1, "v1")]
    with pytest.raises(InvalidInputError, match="already pinned recursively"):
        pins.add(v0, recursive=False, blockstore=store)
    assert pins.rm(v0).cid == v1
    assert pins.ls("recursive") == []


def test_indirect_children_of_a_v0_dag_match_their_v1_form(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    v0 = add_file(store, random.Random(3).randbytes(5000), V0_SMALL_CHUNKS)
    pins.add(v0, blockstore=store)
    child = pins.ls("indirect", blockstore=store)[0].cid
    assert child.version == 0  # listed as linked
    (hit,) = pins.ls("indirect", [child.to_v1()], blockstore=store)
    assert (hit.cid, hit.via) == (child.to_v1(), v0)


def test_codec_is_part_of_a_pin(store: MemoryBlockstore, pins: PinStore) -> None:
    """Same multihash, other codec: a different pin (it decodes to other links)."""
    block = Block.encode({"a": 1}, "dag-cbor")
    store.put(block)
    as_raw = CID(1, RAW, block.cid.multihash)
    pins.add(block.cid, blockstore=store)
    assert pins.get(as_raw) is None
    pins.add(as_raw, recursive=False, blockstore=store)
    assert len(pins.ls("recursive") + pins.ls("direct")) == 2


# -- ls -------------------------------------------------------------------------------------


def test_ls_type_is_checked_with_kubos_message(pins: PinStore) -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"^invalid type 'pinned', must be one of \{direct, indirect, recursive, all\}$",
    ):
        pins.ls("pinned")


def test_ls_of_indirect_pins_needs_a_blockstore(pins: PinStore) -> None:
    with pytest.raises(InvalidInputError, match="needs a blockstore"):
        pins.ls("indirect")
    assert pins.ls("recursive") == []  # stored kinds need none


def test_ls_all_lists_each_cid_once_recursive_then_direct_then_indirect(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    rng = random.Random(4)
    a = add_file(store, rng.randbytes(6000))
    b_data = rng.randbytes(6000)
    b = add_file(store, b_data)
    pins.add(a, blockstore=store)
    a_child = pins.ls("indirect", blockstore=store)[2].cid
    pins.add(a_child, recursive=False, blockstore=store)  # direct and indirect: listed direct
    pins.add(b, recursive=False, blockstore=store)
    outer = Block.encode([a, b], "dag-cbor")  # a recursive pin above another one
    store.put(outer)
    pins.add(outer.cid, blockstore=store)
    listed = pins.ls(blockstore=store)
    assert len({pin_key(p.cid) for p in listed}) == len(listed)
    kinds = [p.type for p in listed]
    assert kinds == sorted(kinds, key=[PinType.RECURSIVE, PinType.DIRECT, PinType.INDIRECT].index)
    by_cid = {p.cid: p for p in listed}
    assert by_cid[a].type is PinType.RECURSIVE
    assert by_cid[b].type is PinType.DIRECT
    assert by_cid[a_child].type is PinType.DIRECT
    assert {p.cid.multihash for p in listed} == dag(store, outer.cid)
    indirect = pins.ls("indirect", blockstore=store)
    assert {p.cid for p in indirect} == {p.cid for p in listed if p.type is PinType.INDIRECT}


def test_ls_with_cids_follows_kubos_is_pinned_rules(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, name="file", blockstore=store)
    child = pins.ls("indirect", blockstore=store)[5].cid
    other = Block.from_data(b"other")
    store.put(other)
    pins.add(other.cid, recursive=False, blockstore=store)

    got = pins.ls("all", [child, file_cid, other.cid], blockstore=store)
    assert [(p.cid, p.type) for p in got] == [
        (child, PinType.INDIRECT),
        (file_cid, PinType.RECURSIVE),
        (other.cid, PinType.DIRECT),
    ]
    assert got[0].via == file_cid
    assert got[1].name == "file"
    assert pins.ls("recursive", [file_cid]) == [pins.get(file_cid)]
    assert pins.ls("direct", [other.cid])[0].type is PinType.DIRECT
    for kind, cid in [
        ("recursive", child),
        ("direct", file_cid),
        ("indirect", file_cid),  # a recursive root is not indirect
        ("indirect", other.cid),  # direct, and nothing reaches it
        ("all", Block.from_data(b"nowhere").cid),
    ]:
        with pytest.raises(InvalidInputError, match=rf"^path '/ipfs/{cid}' is not pinned$"):
            pins.ls(kind, [cid], blockstore=store)


def test_ls_indirect_reports_a_direct_pin_that_a_recursive_pin_reaches(
    store: MemoryBlockstore, pins: PinStore, file_cid: CID
) -> None:
    pins.add(file_cid, blockstore=store)
    child = pins.ls("indirect", blockstore=store)[0].cid
    pins.add(child, recursive=False, blockstore=store)
    assert [(p.type, p.via) for p in pins.ls("indirect", [child], blockstore=store)] == [
        (PinType.INDIRECT, file_cid)
    ]
    assert child not in {p.cid for p in pins.ls("indirect", blockstore=store)}


def test_ls_name_filter_is_a_substring_match(store: MemoryBlockstore, pins: PinStore) -> None:
    for text in ["model-a", "model-b", "dataset"]:
        block = Block.from_data(text.encode())
        store.put(block)
        pins.add(block.cid, name=text, blockstore=store)
    assert sorted(p.name for p in pins.ls("recursive", name="model")) == ["model-a", "model-b"]  # type: ignore[type-var]
    assert [p.name for p in pins.ls(name="data", blockstore=store)] == ["dataset"]


# -- update ---------------------------------------------------------------------------------


def test_update_moves_a_recursive_pin_and_keeps_its_name(
    store: MemoryBlockstore, pins: PinStore
) -> None:
    rng = random.Random(5)
    base = rng.randbytes(20_000)
    old = add_file(store, base)
    new = add_file(store, base[:10_000] + rng.randbytes(10_000))  # shares 10 leaves
    pins.add(old, name="weights", blockstore=store)
    pin = pins.update(old, new, blockstore=store)
    assert (pin.cid, pin.type, pin.name) == (new, PinType.RECURSIVE, "weights")
    assert [p.cid for p in pins.ls("recursive")] == [new]


def test_update_with_unpin_false_keeps_both(store: MemoryBlockstore, pins: PinStore) -> None:
    a, b = Block.from_data(b"a"), Block.from_data(b"b")
    store.put_many([a, b])
    pins.add(a.cid, name="n", blockstore=store)
    pins.update(a.cid, b.cid, unpin=False, blockstore=store)
    assert sorted((p.name, p.type) for p in pins.ls("recursive")) == [
        ("n", PinType.RECURSIVE),
        ("n", PinType.RECURSIVE),
    ]


def test_update_rules(store: MemoryBlockstore, pins: PinStore, file_cid: CID) -> None:
    a, b = Block.from_data(b"a"), Block.from_data(b"b")
    store.put_many([a, b])
    with pytest.raises(InvalidInputError, match=r"^'from' cid was not recursively pinned already$"):
        pins.update(a.cid, b.cid, blockstore=store)
    pins.add(a.cid, recursive=False, blockstore=store)
    with pytest.raises(InvalidInputError, match="'from' cid was not recursively pinned already"):
        pins.update(a.cid, b.cid, blockstore=store)  # direct is not enough
    pins.add(a.cid, blockstore=store)
    assert pins.update(a.cid, a.cid.to_v1(), blockstore=store) == pins.get(a.cid)  # no-op
    pins.add(b.cid, blockstore=store)
    with pytest.raises(InvalidInputError, match=r"^'to' cid was already recursively pinned$"):
        pins.update(a.cid, b.cid, blockstore=store)
    pins.rm(b.cid)
    pins.add(b.cid, recursive=False, blockstore=store)
    pins.update(a.cid, b.cid, blockstore=store)  # a direct pin of `to` is upgraded
    assert [(p.cid, p.type) for p in pins.ls("recursive") + pins.ls("direct")] == [
        (b.cid, PinType.RECURSIVE)
    ]
    victim = sorted(dag(store, file_cid) - {file_cid.multihash})[0]
    store.delete(CID(1, RAW, victim))
    version = pins.version
    with pytest.raises(BlockNotFoundError):
        pins.update(b.cid, file_cid, blockstore=store)
    assert pins.version == version


# -- verify ---------------------------------------------------------------------------------


def test_verify_reports_missing_and_corrupt_blocks_per_pin() -> None:
    store = MemoryBlockstore()
    rng = random.Random(6)
    shared = rng.randbytes(3000)
    a = add_file(store, shared + rng.randbytes(3000))
    b = add_file(store, shared + rng.randbytes(3000))
    lone = Block.from_data(b"lone")
    store.put(lone)
    with PinStore() as pins:
        pins.add(a, blockstore=store)
        pins.add(b, blockstore=store)
        pins.add(lone.cid, recursive=False, blockstore=store)
        assert [r.ok for r in pins.verify(store)] == [True, True, True]
        assert pins.verify(store)[0].to_json() == {"Cid": str(a), "Ok": True}

        in_a, in_b = dag(store, a), dag(store, b)
        shared_leaves = sorted(in_a & in_b)
        assert len(shared_leaves) == 3
        missing = CID(1, RAW, shared_leaves[0])
        store.delete(missing)
        corrupt = CID(1, RAW, sorted(in_a - in_b - {a.multihash})[0])
        store.delete(corrupt)
        store.put(Block(corrupt, b"not the bytes"))
        store.delete(lone.cid)

        results = {r.cid: r for r in pins.verify(store)}
        assert not results[a].ok
        assert {n.cid for n in results[a].bad_nodes} == {missing, corrupt}
        assert [n.cid for n in results[b].bad_nodes] == [missing]
        assert "not found" in results[b].bad_nodes[0].err
        assert results[lone.cid] == PinVerifyResult(
            lone.cid, False, (BadNode(lone.cid, results[lone.cid].bad_nodes[0].err),)
        )
        assert results[b].to_json() == {
            "Cid": str(b),
            "BadNodes": [{"Cid": str(missing), "Err": results[b].bad_nodes[0].err}],
        }
        assert [r.cid for r in pins.verify(store, direct=False)] == [a, b]


# -- SQLite: WAL, persistence, sharing -------------------------------------------------------


def test_wal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "pins.sqlite"
    with PinStore(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_pins_persist_across_reopen(tmp_path: Path, store: MemoryBlockstore, file_cid: CID) -> None:
    path = tmp_path / "pins.sqlite"
    leaf = Block.from_data(b"direct")
    store.put(leaf)
    with PinStore(path) as pins:
        pins.add(file_cid, name="file", blockstore=store)
        pins.add(leaf.cid, recursive=False, blockstore=store)
        before = pins.ls(blockstore=store)
        version = pins.version
    with PinStore(path) as pins:
        assert pins.ls(blockstore=store) == before
        assert pins.version == version == 2
        created = pins.get(file_cid).created_at  # type: ignore[union-attr]
        assert created is not None
        assert created > 0


def test_two_pin_stores_share_one_database(tmp_path: Path, store: MemoryBlockstore) -> None:
    path = tmp_path / "pins.sqlite"
    blocks = [Block.from_data(i.to_bytes(4, "big")) for i in range(400)]
    store.put_many(blocks)
    with PinStore(path) as one, PinStore(path) as two:
        one.add(blocks[0].cid, name="from one", blockstore=store)
        assert two.get(blocks[0].cid) == one.get(blocks[0].cid)
        assert two.version == one.version == 1

        def work(pins: PinStore, part: list[Block]) -> None:
            for block in part:
                pins.add(block.cid, recursive=block.cid.digest[0] % 2 == 0, blockstore=store)

        threads = [
            threading.Thread(target=work, args=(pins, blocks[1 + i :: 4]))
            for i, pins in enumerate([one, two, one, two])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = one.ls("recursive") + one.ls("direct")
        assert {p.cid for p in everything} == {b.cid for b in blocks}
        assert two.ls("recursive") + two.ls("direct") == everything
        assert one.version == two.version == len(blocks)
        two.rm(blocks[0].cid)
        assert one.get(blocks[0].cid) is None


def test_closed_store_raises_storage_error() -> None:
    pins = PinStore()
    pins.close()
    with pytest.raises(StorageError, match="closed"):
        pins.ls("recursive")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pins.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StorageError, match="schema 99"):
        PinStore(path)


# -- a model of Kubo's rules, driven by random operations ------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_random_operations_match_a_model_of_kubos_rules(seed: int) -> None:
    """Pin/unpin at random; every outcome and the final state match a small model."""
    rng = random.Random(seed)
    store = MemoryBlockstore()
    leaves = [Block.from_data(rng.randbytes(8)) for _ in range(4)]
    v0_nodes = [add_file(store, rng.randbytes(2500), V0_SMALL_CHUNKS) for _ in range(2)]
    store.put_many(leaves)
    universe = [b.cid for b in leaves] + v0_nodes + [c.to_v1() for c in v0_nodes]
    model: dict[bytes, tuple[str, str | None]] = {}
    with PinStore() as pins:
        for step in range(150):
            cid = rng.choice(universe)
            key = cid.to_v1().bytes
            op = rng.choice(["add-r", "add-d", "rm-r", "rm-d"])
            name = rng.choice([None, f"n{step}"])
            current = model.get(key)
            if op.startswith("add"):
                recursive = op == "add-r"
                if not recursive and current is not None and current[0] == "recursive":
                    with pytest.raises(InvalidInputError, match="already pinned recursively"):
                        pins.add(cid, recursive=False, name=name, blockstore=store)
                else:
                    pins.add(cid, recursive=recursive, name=name, blockstore=store)
                    model[key] = ("recursive" if recursive else "direct", name)
            else:
                recursive = op == "rm-r"
                if current is None:
                    with pytest.raises(InvalidInputError, match=NOT_PINNED):
                        pins.rm(cid, recursive=recursive)
                elif current[0] == "recursive" and not recursive:
                    with pytest.raises(InvalidInputError, match="is pinned recursively"):
                        pins.rm(cid, recursive=recursive)
                else:
                    assert pins.rm(cid, recursive=recursive).type.value == current[0]
                    del model[key]
            stored = pins.ls("recursive") + pins.ls("direct")
            assert {pin_key(p.cid): (p.type.value, p.name) for p in stored} == model
        assert all(isinstance(p, Pin) for p in pins.ls(blockstore=store))
