"""``IPFSFileSystem`` over a real repo: paths, verified reads, copy-on-write writes.

Root CIDs of trees written through the file system are checked against our own
``add -r`` (``api.add_path``) of the same tree on disk; ``tests/interop/test_fs_kubo.py``
checks them against Kubo too.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from helpers.corpus import write_tree
from ipfs_kit_py.api import IPFSSimpleAPI, open_api_for
from ipfs_kit_py.car import CarReader
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    IntegrityError,
    InvalidCIDError,
    InvalidInputError,
    ReadOnlyError,
    RepoLockedError,
)
from ipfs_kit_py.fs import PIN_NAME, IPFSFileSystem
from ipfs_kit_py.fs._paths import normalize, parse
from ipfs_kit_py.unixfs import resolve_options

MiB = 1 << 20


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo", blockstore__sync=False) as opened:
        yield opened


@pytest.fixture
def fs(api: IPFSSimpleAPI) -> IPFSFileSystem:
    return IPFSFileSystem(api=api, skip_instance_cache=True)


def plain_tree(root: Path, seed: int = 0) -> Path:
    """The shared test corpus without its symlink (the file system writes no symlinks)."""
    write_tree(root, seed)
    (root / "link").unlink()
    return root


def fetches(api: IPFSSimpleAPI, monkeypatch: pytest.MonkeyPatch) -> list[CID]:
    """Record every block read from the repo's blockstore from now on."""
    seen: list[CID] = []
    blocks = api.node.blocks
    original = blocks.get

    def get(cid: CID) -> bytes:
        seen.append(cid)
        return original(cid)

    monkeypatch.setattr(blocks, "get", get)
    return seen


# -- the package ------------------------------------------------------------------------


def test_exports_and_entry_point() -> None:
    import ipfs_kit_py.fs as package

    for name in package.__all__:
        assert hasattr(package, name), name
    assert fsspec.get_filesystem_class("ipfs") is IPFSFileSystem


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("ipfs://bafkqaaa/a/b", "bafkqaaa/a/b"),
        ("/ipfs/bafkqaaa/a/b/", "bafkqaaa/a/b"),
        ("bafkqaaa//a", "bafkqaaa/a"),
        ("ipfs:///models/x.txt", "/models/x.txt"),
        ("/models//x.txt/", "/models/x.txt"),
        ("ipfs://", "/"),
        ("/", "/"),
    ],
)
def test_path_forms(path: str, normal: str) -> None:
    assert normalize(path) == normal
    assert IPFSFileSystem._strip_protocol(path) == normal


def test_parent_never_turns_content_into_the_mutable_root() -> None:
    assert IPFSFileSystem._parent("bafkqaaa/a/b") == "bafkqaaa/a"
    assert IPFSFileSystem._parent("bafkqaaa/a") == "bafkqaaa"
    assert IPFSFileSystem._parent("/a/b") == "/a"
    assert IPFSFileSystem._parent("/a") == "/"


@pytest.mark.parametrize("bad", ["models/x.txt", "ipfs://notacid/x", "Qm123/x"])
def test_malformed_cid_is_invalid_cid_error(fs: IPFSFileSystem, bad: str) -> None:
    with pytest.raises(InvalidCIDError, match="mutable root start with '/'"):
        fs.info(bad)
    with pytest.raises(ValueError, match="not a CID"):  # InvalidCIDError is a ValueError
        fs.cat_file(bad)
    assert not fs.exists(bad)


@pytest.mark.parametrize("bad", ["/a/../b", "/a/./b", "/a\0b", "bafkqaaa/../x"])
def test_traversal_components_are_refused(fs: IPFSFileSystem, bad: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid path component"):
        parse(bad)
    with pytest.raises(InvalidInputError):
        fs.pipe_file(bad, b"x")


# -- reading content paths ------------------------------------------------------------------


@pytest.fixture
def tree(api: IPFSSimpleAPI, tmp_path: Path) -> tuple[Path, CID]:
    local = write_tree(tmp_path / "tree")
    return local, api.add_path(local)[-1].cid


def test_three_spellings_of_a_content_path(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tree: tuple[Path, CID]
) -> None:
    local, cid = tree
    want = (local / "水" / "ελληνικά.txt").read_bytes()
    for form in (f"ipfs://{cid}/水", f"/ipfs/{cid}/水", f"{cid}/水"):
        assert fs.cat_file(f"{form}/ελληνικά.txt") == want
        assert fs.ls(form, detail=False) == [f"{cid}/水/ελληνικά.txt", f"{cid}/水/𐅑"]
    with fsspec.open(f"ipfs://{cid}/水/ελληνικά.txt", api=api) as f:
        assert f.read() == want


def test_listing_sizes_kinds_and_cids(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tree: tuple[Path, CID]
) -> None:
    local, cid = tree
    listing = {e["name"]: e for e in fs.ls(f"ipfs://{cid}")}
    for path in local.iterdir():
        entry = listing.pop(f"{cid}/{path.name}")
        if path.is_symlink():
            assert entry["type"] == "other"
            assert entry["islink"]
            assert entry["destination"] == os.readlink(path)
        elif path.is_dir():
            assert entry["type"] == "directory"
        else:
            assert entry["type"] == "file"
            assert entry["size"] == path.stat().st_size
        assert entry["cid"] == str(api.exporter.resolve(f"{cid}/{path.name}"))
    assert not listing
    assert fs.ls(str(cid), detail=False) == sorted(f"{cid}/{p.name}" for p in local.iterdir())
    info = fs.info(f"{cid}/repeat.txt")
    assert info["size"] == 500_000
    assert info["type"] == "file"
    assert fs.ls(f"{cid}/repeat.txt") == [info]  # ls of a file: the file
    assert fs.ukey(f"{cid}/repeat.txt") == info["cid"]
    assert fs.checksum(f"{cid}/repeat.txt") == fs.checksum(f"ipfs://{cid}/repeat.txt")
    assert fs.size(f"{cid}/zeros.bin") == 300_000
    assert fs.isdir(f"{cid}/水")
    assert fs.isfile(f"{cid}/empty-file")
    assert not fs.exists(f"{cid}/missing")
    with pytest.raises(FileNotFoundError):
        fs.info(f"{cid}/missing")
    with pytest.raises(FileNotFoundError):
        fs.info(f"{cid}/repeat.txt/below-a-file")
    with pytest.raises(FileNotFoundError):
        fs.ls(f"{cid}/missing/deeper")


def test_walk_find_glob_du(fs: IPFSFileSystem, tree: tuple[Path, CID]) -> None:
    local, cid = tree
    files = sorted(
        f"{cid}/{p.relative_to(local).as_posix()}"
        for p in local.rglob("*")
        if p.is_file() or p.is_symlink()
    )
    assert fs.find(str(cid)) == files
    assert sorted(fs.glob(f"{cid}/many/f00*")) == [f"{cid}/many/f00{i}" for i in range(10)]
    assert fs.glob(f"ipfs://{cid}/水/*.txt") == [f"{cid}/水/ελληνικά.txt"]
    walked = {root: (sorted(dirs), sorted(names)) for root, dirs, names in fs.walk(str(cid))}
    assert walked[f"{cid}/水"] == (["𐅑"], ["ελληνικά.txt"])
    regular = sum(p.stat().st_size for p in local.rglob("*") if p.is_file() and not p.is_symlink())
    assert fs.du(str(cid)) == regular + len(os.readlink(local / "link"))


def test_ranged_reads(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    data = random.Random(1).randbytes(3 * MiB + 123)
    cid = api.add(data).cid
    assert fs.cat_file(str(cid), 10, 20) == data[10:20]
    assert fs.cat_file(str(cid), MiB - 5, MiB + 5) == data[MiB - 5 : MiB + 5]
    assert fs.cat_file(str(cid), -100) == data[-100:]
    assert fs.cat_file(str(cid), 5, -5) == data[5:-5]
    assert fs.cat_file(str(cid), len(data) + 10) == b""
    assert fs.cat_ranges([str(cid)] * 2, [0, 2 * MiB], [4, 2 * MiB + 4]) == [
        data[:4],
        data[2 * MiB : 2 * MiB + 4],
    ]
    with fs.open(str(cid), "rb") as f:
        assert f.size == len(data)
        f.seek(2 * MiB + 7)
        assert f.read(100) == data[2 * MiB + 7 : 2 * MiB + 107]
        f.seek(-3, 2)
        assert f.read() == data[-3:]
    assert fs.head(str(cid), 8) == data[:8]
    assert fs.tail(str(cid), 8) == data[-8:]


def test_ranged_read_fetches_only_the_blocks_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random.Random(2).randbytes(50 * MiB)
    with IPFSSimpleAPI(tmp_path / "repo", blockstore__sync=False) as api:
        cid = api.add(data).cid
    with IPFSSimpleAPI(tmp_path / "repo") as api:  # reopened: nothing decoded or cached
        fs = IPFSFileSystem(api=api, skip_instance_cache=True)
        seen = fetches(api, monkeypatch)
        start = 25 * MiB + 12_345  # an unaligned MiB: it straddles two 1 MiB leaves
        assert fs.cat_file(str(cid), start, start + MiB) == data[start : start + MiB]
        assert len(seen) == 3, seen  # the root node and two leaves, of 51 blocks
        seen.clear()
        with fs.open(str(cid), "rb") as f:  # an open file reads ahead one chunk at most
            f.seek(start)
            assert f.read(MiB) == data[start : start + MiB]
        assert len(seen) <= 3, seen  # the root is cached now; read-ahead adds a leaf
        seen.clear()
        assert fs.info(str(cid))["size"] == len(data)
        assert seen == []  # the root node was decoded already (the API's NodeCache)


def test_symlinks_are_listed_not_followed(fs: IPFSFileSystem, tree: tuple[Path, CID]) -> None:
    _, cid = tree
    info = fs.info(f"{cid}/link")
    assert (info["type"], info["destination"], info["size"]) == ("other", "repeat.txt", 10)
    with pytest.raises(InvalidInputError, match="not followed"):
        fs.cat_file(f"{cid}/link")


def test_hamt_directories_list_and_resolve(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    local = tmp_path / "wide"
    local.mkdir()
    for i in range(300):
        (local / f"entry-{i:04d}.txt").write_text(str(i))
    options = dataclasses.replace(resolve_options(), shard_threshold=1000)
    cid = api.add_paths([local], options=options)[-1].cid
    assert api.exporter.node(cid)[1].type.name == "HAMT_SHARD"
    names = fs.ls(str(cid), detail=False)
    assert len(names) == 300
    assert names[7] == f"{cid}/entry-0007.txt"
    assert fs.cat_file(f"{cid}/entry-0299.txt") == b"299"
    assert {e["size"] for e in fs.ls(str(cid))} == {1, 2, 3}


@pytest.mark.parametrize("store_verifies", [True, False])
def test_corrupt_block_is_integrity_error_never_bytes(tmp_path: Path, store_verifies: bool) -> None:
    data = random.Random(3).randbytes(3 * MiB)
    with IPFSSimpleAPI(tmp_path / "r", blockstore__verify=store_verifies) as api:
        fs = IPFSFileSystem(api=api, skip_instance_cache=True)
        cid = api.add(data).cid
        leaf = list(api.refs(cid))[1]
        path = api.node.blocks.inner.block_path(leaf)
        flipped = bytearray(path.read_bytes())
        flipped[1000] ^= 0x01
        path.write_bytes(bytes(flipped))
        with pytest.raises(IntegrityError):
            fs.cat_file(str(cid), MiB, MiB + 10)
        with fs.open(str(cid), "rb") as f, pytest.raises(IntegrityError):
            f.read()
        # ranges that do not touch the bad leaf still read (only needed blocks are fetched)
        assert fs.cat_file(str(cid), 0, 10) == data[:10]
        assert fs.cat_file(str(cid), 2 * MiB, 2 * MiB + 10) == data[2 * MiB : 2 * MiB + 10]


def test_non_unixfs_content_is_other(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    cbor = api.dag_put({"not": "unixfs"})
    assert fs.info(f"ipfs://{cbor}")["type"] == "other"
    with pytest.raises(InvalidInputError, match="not a UnixFS file"):
        fs.cat_file(str(cbor))
    with pytest.raises(InvalidInputError, match="not UnixFS"):
        fs.cp_file(f"ipfs://{cbor}", "/record")


def test_modified_times(fs: IPFSFileSystem, api: IPFSSimpleAPI, tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("m")
    os.utime(tmp_path / "m.txt", (1_600_000_000, 1_600_000_000))
    cid = api.add_path(tmp_path / "m.txt", preserve_mtime=True)[-1].cid
    assert fs.modified(str(cid)).timestamp() == 1_600_000_000  # recorded in the node
    plain = api.add(b"no mtime").cid
    assert fs.modified(str(plain)).timestamp() == 0  # content never changes
    fs.pipe("/a", b"a")
    first = fs.modified("/a")
    fs.pipe("/a", b"b")
    assert fs.modified("/a") > first  # the mutable root's paths change with it


# -- the mutable root ------------------------------------------------------------------------


def test_empty_root_and_first_write(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    empty = fs.root
    assert str(empty) == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"
    assert fs.ls("/") == []
    assert fs.isdir("/")
    assert fs.info("/")["cid"] == str(empty)
    fs.pipe("/models/readme.md", b"# model\n")
    assert fs.root != empty
    assert fs.cat("/models/readme.md") == b"# model\n"
    assert fs.cat(f"ipfs://{fs.root}/models/readme.md") == b"# model\n"
    assert fs.info("/models")["type"] == "directory"
    pins = {p.cid: p for p in api.pins("recursive")}
    assert list(pins) == [fs.root]
    assert pins[fs.root].name == PIN_NAME


def test_written_tree_has_add_r_root(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    local = plain_tree(tmp_path / "tree")
    fs.put(str(local) + "/", "/", recursive=True)
    assert fs.root == api.add_path(local)[-1].cid
    assert fs.find("/") == sorted(
        "/" + p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()
    )


def test_file_by_file_writes_reach_the_same_root(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    local = plain_tree(tmp_path / "tree", seed=5)
    paths = sorted(local.rglob("*"), key=lambda p: random.Random(str(p)).random())
    for p in paths:  # in a scrambled order, one commit each
        rel = "/" + p.relative_to(local).as_posix()
        if p.is_dir():
            fs.makedirs(rel, exist_ok=True)
        else:
            with fs.open(rel, "wb") as f:
                f.write(p.read_bytes())
    assert fs.root == api.add_path(local)[-1].cid


def test_v0_profile_and_patching_a_subtree(tmp_path: Path) -> None:
    local = plain_tree(tmp_path / "tree", seed=7)
    with IPFSSimpleAPI(tmp_path / "repo", profile="unixfs-v0-2015") as api:
        fs = IPFSFileSystem(api=api, skip_instance_cache=True)
        assert str(fs.root) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
        base = api.add_path(local)[-1].cid
        fs2 = IPFSFileSystem(api=api, root=str(base), skip_instance_cache=True)
        assert fs2.root == base
        fs2.pipe("/水/𐅑/new.bin", b"new bytes")
        fs2.rm("/many/f003")
        fs2.mv("/repeat.txt", "/moved/repeat.txt")
        (local / "水" / "𐅑" / "new.bin").write_bytes(b"new bytes")
        (local / "many" / "f003").unlink()
        (local / "moved").mkdir()
        (local / "repeat.txt").rename(local / "moved" / "repeat.txt")
        assert fs2.root == api.add_path(local)[-1].cid
        assert str(fs2.root).startswith("Qm")
        # the untouched subtree kept its CID; the user's pin of the base is still there
        assert fs2.info("/empty-dir")["cid"] == fs2.info(f"{base}/empty-dir")["cid"]
        assert api.node.pins.get(base) is not None


def test_sharded_directory_patched_in_place(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    local = tmp_path / "wide"
    local.mkdir()
    name = "n" * 120
    for i in range(2200):  # > 256 KiB of links: the default profile shards it
        (local / f"{name}{i:05d}").write_text(str(i))
    base = api.add_path(local)[-1].cid
    assert api.exporter.node(base)[1].type.name == "HAMT_SHARD"
    fs = IPFSFileSystem(api=api, root=base, skip_instance_cache=True)
    fs.pipe(f"/{name}-added", b"one more")
    fs.rm(f"/{name}00017")
    (local / f"{name}-added").write_bytes(b"one more")
    (local / f"{name}00017").unlink()
    assert fs.root == api.add_path(local)[-1].cid
    with fs.transaction:  # removing enough entries un-shards it, as add -r would
        for i in range(100, 2200):
            fs.rm_file(f"/{name}{i:05d}")
    for i in range(100, 2200):
        (local / f"{name}{i:05d}").unlink()
    assert fs.root == api.add_path(local)[-1].cid
    assert api.exporter.node(fs.root)[1].type.name == "DIRECTORY"


def test_copy_by_reference_from_content(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tree: tuple[Path, CID]
) -> None:
    local, cid = tree
    before = api.repo_stat().num_objects
    fs.cp(f"ipfs://{cid}/水", "/copied", recursive=True)
    fs.cp_file(f"{cid}/repeat.txt", "/r.txt")
    assert fs.info("/r.txt")["cid"] == fs.info(f"{cid}/repeat.txt")["cid"]
    assert fs.cat("/copied/𐅑/deep.bin") == (local / "水" / "𐅑" / "deep.bin").read_bytes()
    assert api.repo_stat().num_objects - before <= 4  # new directory nodes only, no file bytes
    fs.mv("/r.txt", "/copied/r.txt")
    assert not fs.exists("/r.txt")
    assert fs.isfile("/copied/r.txt")


def test_each_call_is_one_commit_and_pins_follow(
    fs: IPFSFileSystem, api: IPFSSimpleAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = plain_tree(tmp_path / "tree")
    roots: list[CID] = []
    commit = fs._commit

    def counting(tree: object) -> CID:
        roots.append(commit(tree))  # type: ignore[arg-type]
        return roots[-1]

    monkeypatch.setattr(fs, "_commit", counting)
    fs.put(str(local), "/data", recursive=True)  # dozens of files: one new root
    fs.rm("/data/many", recursive=True)
    assert len(roots) == 2
    recursive = [p.cid for p in api.pins("recursive")]
    assert recursive == [fs.root]  # the intermediate root was unpinned (pin update)
    api.gc()
    assert fs.cat("/data/水/ελληνικά.txt") == "γειά\n".encode()


def test_a_root_someone_else_pinned_keeps_their_pin(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    fs.pipe("/a", b"a")
    mine = fs.root
    api.pin(mine, name="keep-this-version")  # the user pins the fs root themselves
    fs.pipe("/b", b"b")
    assert api.node.pins.get(mine) is not None
    assert api.node.pins.get(mine).name == "keep-this-version"  # type: ignore[union-attr]
    assert api.node.pins.get(fs.root).name == PIN_NAME  # type: ignore[union-attr]


def test_concurrent_writers_and_readers(fs: IPFSFileSystem) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> bytes:
        fs.pipe(f"/t{i % 4}/f{i}", str(i).encode())
        return fs.cat(f"/t{i % 4}/f{i}")

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(work, range(40)))
    assert got == [str(i).encode() for i in range(40)]
    assert len(fs.find("/")) == 40


def test_transaction_stages_then_commits_once(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    fs.pipe("/keep.txt", b"kept")
    before = fs.root
    with fs.transaction as tx:
        fs.pipe("/a/1.txt", b"one")
        with fs.open("/a/2.txt", "wb") as f:
            f.write(b"two")
        fs.mkdir("/empty")
        fs.rm("/keep.txt")
        assert fs.root == before  # nothing lands before the end
        assert fs.cat("/a/1.txt") == b"one"  # but reads see the staged writes
        assert sorted(fs.ls("/", detail=False)) == ["/a", "/empty"]
        assert fs.info("/a/1.txt")["cid"] is None  # not built yet...
        assert fs.ukey("/a/1.txt") == str(api.add(b"one", pin=False).cid)  # ...but known
    assert tx.root == fs.root != before
    assert fs.cat("/a/2.txt") == b"two"  # the deferred file landed at the commit
    assert sorted(fs.ls("/", detail=False)) == ["/a", "/empty"]


def test_discarded_transaction_changes_nothing(fs: IPFSFileSystem, api: IPFSSimpleAPI) -> None:
    fs.pipe("/x", b"x")
    before, stored = fs.root, api.repo_stat().num_objects

    def fail_midway() -> None:
        with fs.transaction:
            fs.pipe("/y", b"staged bytes")
            with fs.open("/z", "wb") as f:
                f.write(b"z" * (20 * MiB))  # spooled to a temporary file
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    assert fs.root == before
    assert not fs.exists("/y")
    assert not fs.exists("/z")
    assert api.repo_stat().num_objects == stored  # nothing was stored


def test_edits_that_change_nothing_pin_nothing(api: IPFSSimpleAPI) -> None:
    tree = [("d", "directory", None), ("d/a", "file", io.BytesIO(b"a"))]
    base = list(api.add_entries(tree, pin=False))[-1].cid
    fs = IPFSFileSystem(api=api, root=base, skip_instance_cache=True)
    with pytest.raises(FileNotFoundError):
        fs.rm_file("/missing")
    with fs.transaction:
        fs.pipe("/tmp", b"x")
        fs.rm("/tmp")
    assert fs.root == base
    assert api.pins() == []


def test_start_and_end_transaction_return_the_root(fs: IPFSFileSystem) -> None:
    fs.start_transaction()
    fs.pipe("/t", b"t")
    root = fs.end_transaction()
    assert root == fs.root
    assert fs.cat("/t") == b"t"


def test_write_errors(fs: IPFSFileSystem, tree: tuple[Path, CID]) -> None:
    _, cid = tree
    for write in (
        lambda: fs.pipe_file(f"{cid}/new", b"x"),
        lambda: fs.open(f"ipfs://{cid}/new", "wb"),
        lambda: fs.mkdir(f"{cid}/d"),
        lambda: fs.rm(f"{cid}/repeat.txt"),
    ):
        with pytest.raises(ReadOnlyError, match="immutable") as err:
            write()
        assert isinstance(err.value, OSError)
        assert err.value.errno == errno.EROFS
    fs.pipe("/f", b"file")
    fs.mkdir("/d")
    with pytest.raises(IsADirectoryError):
        fs.pipe("/d", b"over a directory")
    with pytest.raises(NotADirectoryError):
        fs.pipe("/f/below", b"below a file")
    with pytest.raises(FileExistsError):
        fs.mkdir("/d")
    with pytest.raises(FileExistsError):
        fs.pipe_file("/f", b"again", mode="create")
    with pytest.raises(FileNotFoundError):
        fs.rm("/missing")
    with pytest.raises(FileNotFoundError):
        fs.mkdir("/no/parent", create_parents=False)
    fs.pipe("/d/inside", b"x")
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir("/d")
    with pytest.raises(ValueError, match="unsupported mode"):
        fs.open("/f", "ab")
    with pytest.raises(IsADirectoryError):
        fs.cat_file("/d")


def test_gateway_only_is_read_only() -> None:
    fs = IPFSFileSystem(gateway="http://127.0.0.1:9", skip_instance_cache=True)
    with pytest.raises(ReadOnlyError, match=r"gateway at http://127\.0\.0\.1:9 is read-only"):
        fs.pipe("/x", b"x")
    fs.close()


def test_any_block_source_plugs_in(api: IPFSSimpleAPI, tree: tuple[Path, CID]) -> None:
    _, cid = tree
    car = io.BytesIO()
    api.dag_export(cid, car)
    blocks = {b.cid.multihash: b.data for b in CarReader(io.BytesIO(car.getvalue()))}

    class CarSource:  # a BlockSource: get (verified) and size, nothing else
        def get(self, cid: CID) -> bytes:
            data = blocks[cid.multihash]
            Block(cid, data).verify()
            return data

        def size(self, cid: CID) -> int:
            return len(self.get(cid))

    fs = IPFSFileSystem(source=CarSource(), skip_instance_cache=True)
    local = IPFSFileSystem(api=api, skip_instance_cache=True)
    assert fs.find(str(cid), detail=True) == local.find(str(cid), detail=True)
    assert fs.cat(f"{cid}/repeat.txt") == local.cat(f"{cid}/repeat.txt")
    with pytest.raises(ReadOnlyError, match="read-only"):
        fs.pipe("/x", b"x")


def test_root_may_be_given_as_any_spelling(api: IPFSSimpleAPI) -> None:
    cid = api.add_json({"a": 1}).cid
    for root in (cid, str(cid), f"ipfs://{cid}", f"/ipfs/{cid}"):
        assert IPFSFileSystem(api=api, root=root, skip_instance_cache=True).root == cid


# -- finding the repo without being told -------------------------------------------------------


def test_default_repo_reuses_the_api_open_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "default-repo"
    monkeypatch.setenv("IPFS_KIT_PATH", str(repo))
    with IPFSSimpleAPI(repo) as api:  # e.g. a registry opened it
        assert open_api_for() is api
        cid = api.add(b"shared repo\n").cid
        with fsspec.open(f"ipfs://{cid}", skip_instance_cache=True) as f:
            assert f.read() == b"shared repo\n"
        fs = fsspec.filesystem("ipfs", skip_instance_cache=True)
        fs.pipe("/from-fsspec", b"written")
        assert api.cat(f"{fs.root}/from-fsspec") == b"written"
    assert open_api_for(repo) is None


def test_default_repo_is_opened_per_operation_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "r"
    with IPFSSimpleAPI(repo) as api:
        cid = api.add(b"x" * 3_000_000).cid
    monkeypatch.setenv("IPFS_KIT_PATH", str(repo))
    fs = fsspec.filesystem("ipfs", skip_instance_cache=True)
    with fs.open(str(cid), "rb") as f:
        f.seek(2_000_000)
        assert f.read(10) == b"x" * 10
        with IPFSSimpleAPI(repo) as other:  # not held between reads: others may open it
            assert other.cat(cid, offset=5, length=2) == b"xx"
        assert f.read(10) == b"x" * 10  # and the file goes on reading (repo reopened)
    fs.pipe("/w", b"w")  # opened, written, pinned, closed again
    with IPFSSimpleAPI(repo) as api:
        assert api.cat(f"{fs.root}/w") == b"w"
        assert api.node.pins.get(fs.root).name == PIN_NAME  # type: ignore[union-attr]
        with pytest.raises(RepoLockedError):  # one API per repo and process...
            IPFSSimpleAPI(repo)
        assert fs.cat("/w") == b"w"  # ...so the file system finds this one and uses it


def test_storage_options_pass_through_urls(api: IPFSSimpleAPI) -> None:
    cid = api.add(b"opts").cid
    with fsspec.open(f"ipfs://{cid}", api=api) as f:
        assert f.read() == b"opts"
    of = fsspec.open(f"ipfs://{cid}", repo=str(api.node.path))
    with of as f:
        assert f.read() == b"opts"
    assert isinstance(of.fs, IPFSFileSystem)


def test_text_mode_and_pandas_style_io(fs: IPFSFileSystem) -> None:
    with fs.open("/t.csv", "w") as f:
        f.write("a,b\n1,2\n")
    with fs.open("/t.csv", "r") as f:
        assert f.read() == "a,b\n1,2\n"
    buf = io.BytesIO()
    fs.get_file("/t.csv", buf)
    assert buf.getvalue() == b"a,b\n1,2\n"


def test_get_to_local_tree(fs: IPFSFileSystem, tmp_path: Path) -> None:
    local = plain_tree(tmp_path / "src")
    fs.put(str(local), "/up", recursive=True)
    out = tmp_path / "out"
    fs.get("/up", str(out), recursive=True)
    for p in local.rglob("*"):
        twin = out / p.relative_to(local)
        assert twin.is_dir() if p.is_dir() else twin.read_bytes() == p.read_bytes()
    shutil.rmtree(out)
