"""UnixFS exporter: round trips, ranged reads, and hostile DAGs."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest

from helpers.corpus import write_tree
from ipfs_kit_py import CID, Block
from ipfs_kit_py.codecs import PBLink, PBNode, dag_pb
from ipfs_kit_py.errors import (
    DecodeError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
)
from ipfs_kit_py.unixfs import (
    DataType,
    Exporter,
    Importer,
    UnixFSData,
    add_path,
    resolve_options,
)

OPTION_SETS = {
    "v1": resolve_options("unixfs-v1-2025"),
    "v0": resolve_options("unixfs-v0-2015"),
    "deep-v0": resolve_options(cid_version=0, raw_leaves=False, chunker="size-100", max_links=3),
    "deep-raw": resolve_options(cid_version=1, chunker="size-64", max_links=5),
    "inline": resolve_options(chunker="size-16", max_links=4, inline=True),
}


def _import_bytes(data: bytes, options_name: str) -> tuple[CID, dict[CID, bytes]]:
    store: dict[CID, bytes] = {}
    with Importer(OPTION_SETS[options_name], lambda b: store.__setitem__(b.cid, b.data)) as imp:
        return imp.add_stream(io.BytesIO(data)).cid, store


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, 12_345])
def test_cat_round_trip_and_random_ranges(name: str, size: int) -> None:
    rng = random.Random(size)
    data = rng.randbytes(size)
    root, store = _import_bytes(data, name)
    ex = Exporter(store.__getitem__)
    assert b"".join(ex.cat(root)) == data
    assert ex.stat(root).size == size
    for _ in range(20):
        offset = rng.randint(0, size + 5)
        length = rng.randint(0, size + 5)
        assert b"".join(ex.cat(root, offset, length)) == data[offset : offset + length]


def test_ranged_read_fetches_only_needed_blocks() -> None:
    data = random.Random(0).randbytes(100_000)
    root, store = _import_bytes(data, "deep-v0")  # 1000 leaves, depth 7
    fetched: list[CID] = []

    def get(cid: CID) -> bytes:
        fetched.append(cid)
        return store[cid]

    assert b"".join(Exporter(get).cat(root, 40_000, 150)) == data[40_000:40_150]
    assert len(fetched) <= 10  # one path down the tree plus the leaves touched
    assert len(store) > 1400


def test_export_tree_round_trip(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "tree", seed=11)
    for name in ("v0", "v1", "deep-raw"):
        root, store = _import_tree(src, name)
        out = Exporter(store.__getitem__).export(root, tmp_path / f"out-{name}")
        assert _snapshot(out) == _snapshot(src)


def _import_tree(src: Path, options_name: str) -> tuple[CID, dict[CID, bytes]]:
    store: dict[CID, bytes] = {}
    with Importer(OPTION_SETS[options_name], lambda b: store.__setitem__(b.cid, b.data)) as imp:
        return list(imp.add_paths([src]))[-1].cid, store


def _snapshot(root: Path) -> dict[str, object]:
    shot: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        for d in dirnames:
            p = Path(dirpath) / d
            shot[str(rel / d)] = ("link", os.readlink(p)) if p.is_symlink() else "dir"
        for f in filenames:
            p = Path(dirpath) / f
            shot[str(rel / f)] = ("link", os.readlink(p)) if p.is_symlink() else p.read_bytes()
    return shot


def test_paths_ls_and_errors(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "tree", seed=2)
    root, store = _import_tree(src, "v1")
    ex = Exporter(store.__getitem__)
    names = [e.name for e in ex.ls(root)]
    assert names == sorted(names, key=lambda n: n.encode())
    assert b"".join(ex.cat(f"{root}/水/ελληνικά.txt")) == "γειά\n".encode()
    assert b"".join(ex.cat(f"/ipfs/{root}/水/ελληνικά.txt/")) == "γειά\n".encode()
    assert ex.stat(f"{root}/link").kind == "symlink"
    with pytest.raises(PathNotFoundError, match="nope"):
        ex.resolve(f"{root}/水/nope")
    with pytest.raises(InvalidInputError, match="not a directory"):
        ex.ls(f"{root}/repeat.txt")
    with pytest.raises(InvalidInputError, match="directory, not a file"):
        list(ex.cat(f"{root}/水"))
    with pytest.raises(InvalidInputError, match="already exists"):
        ex.export(root, src)
    with pytest.raises(InvalidInputError):
        list(ex.cat(root, -1))


# -- hostile DAGs ------------------------------------------------------------------------


def _pb(links: list[PBLink], fs: UnixFSData) -> Block:
    return Block.encode(PBNode(tuple(links), fs.encode()).to_ipld(), "dag-pb")


def test_lying_blocksizes_are_refused() -> None:
    leaf = Block.from_data(b"abcdef")
    liar = _pb([PBLink(leaf.cid, "", 6)], UnixFSData(DataType.FILE, filesize=10, blocksizes=(10,)))
    store = {b.cid: b.data for b in (leaf, liar)}
    with pytest.raises(DecodeError, match="blocksizes lie"):
        list(Exporter(store.__getitem__).cat(liar.cid))
    short = _pb([PBLink(leaf.cid, "", 6)], UnixFSData(DataType.FILE, filesize=6, blocksizes=(4,)))
    store[short.cid] = short.data
    with pytest.raises(DecodeError, match="blocksizes lie"):
        list(Exporter(store.__getitem__).cat(short.cid))
    mismatch = _pb([PBLink(leaf.cid, "", 6)], UnixFSData(DataType.FILE, filesize=6))
    store[mismatch.cid] = mismatch.data
    with pytest.raises(DecodeError, match="blocksizes"):
        list(Exporter(store.__getitem__).cat(mismatch.cid))


def test_cycle_through_an_identity_cid() -> None:
    # an identity-CID file node links to Y; a hostile store answers Y with bytes
    # that link back to the identity CID
    y = Block.from_data(b"y" * 40, "raw").cid
    y = CID(1, 0x70, y.multihash)
    inner = dag_pb.encode(
        PBNode(
            (PBLink(y, "", 50),), UnixFSData(DataType.FILE, filesize=8, blocksizes=(8,)).encode()
        )
    )
    ident = CID(1, 0x70, b"\x00" + bytes([len(inner)]) + inner)
    loop = dag_pb.encode(
        PBNode(
            (PBLink(ident, "", 50),),
            UnixFSData(DataType.FILE, filesize=8, blocksizes=(8,)).encode(),
        )
    )
    with pytest.raises(IntegrityError):
        list(Exporter(lambda c: loop).cat(ident))
    with pytest.raises(DecodeError, match="cycle"):
        list(Exporter(lambda c: loop, verify=False).cat(ident))


@pytest.mark.parametrize("name", ["..", "../evil", "/etc/passwd", "a/b", ".", "x\0y"])
def test_path_traversal_names_are_refused(tmp_path: Path, name: str) -> None:
    leaf = Block.from_data(b"pwned")
    directory = _pb([PBLink(leaf.cid, name, 5)], UnixFSData(DataType.DIRECTORY))
    store = {b.cid: b.data for b in (leaf, directory)}
    target = tmp_path / "sandbox" / "out"
    target.parent.mkdir()
    with pytest.raises(InvalidInputError, match="unsafe entry name"):
        Exporter(store.__getitem__).export(directory.cid, target)
    written = {p.name for p in tmp_path.rglob("*")}
    assert written <= {"sandbox", "out"}
    assert "evil" not in written
    assert "passwd" not in written


def test_duplicate_names_never_overwrite(tmp_path: Path) -> None:
    a, b = Block.from_data(b"first"), Block.from_data(b"second")
    directory = _pb(
        [PBLink(a.cid, "same", 5), PBLink(b.cid, "same", 6)], UnixFSData(DataType.DIRECTORY)
    )
    store = {blk.cid: blk.data for blk in (a, b, directory)}
    with pytest.raises(DecodeError, match="duplicate entry 'same'"):
        Exporter(store.__getitem__).export(directory.cid, tmp_path / "out")
    assert (tmp_path / "out" / "same").read_bytes() == b"first"


def test_truncated_and_corrupt_blocks(tmp_path: Path) -> None:
    data = random.Random(5).randbytes(5000)
    root, store = _import_bytes(data, "deep-v0")
    victim = next(c for c in store if c != root)
    store[victim] = store[victim][:-3]
    with pytest.raises(IntegrityError):
        list(Exporter(store.__getitem__).cat(root))
    with pytest.raises(
        (DecodeError, InvalidInputError)
    ):  # unverified: the bytes themselves are bad
        list(Exporter(store.__getitem__, verify=False).cat(root))


def test_add_path_entries_match_export(tmp_path: Path) -> None:
    src = tmp_path / "one.bin"
    src.write_bytes(b"z" * 3000)
    entry = add_path(src, OPTION_SETS["deep-raw"])[-1]
    assert entry.size == 3000


def test_a_shared_node_cache_reads_a_files_root_once() -> None:
    from ipfs_kit_py.unixfs import NodeCache

    data = random.Random(3).randbytes(5 * 1024 * 1024)
    root, store = _import_bytes(data, "v1")
    reads: list[CID] = []

    def get(cid: CID) -> bytes:
        reads.append(cid)
        return store[cid]

    cache = NodeCache()
    for offset in range(0, 5 * 1024 * 1024, 1024 * 1024):
        piece = b"".join(Exporter(get, nodes=cache).cat(root, offset, 100))
        assert piece == data[offset : offset + 100]
    assert reads.count(root) == 1  # five exporters, one fetch and decode of the root
    assert len(reads) == 6  # the root, then one leaf per range
    tiny = NodeCache(max_bytes=10)  # smaller than the root block: nothing is kept
    reads.clear()
    for _ in range(2):
        b"".join(Exporter(get, nodes=tiny).cat(root, 0, 1))
    assert reads.count(root) == 2
