"""HAMT-sharded directories must get the CIDs Kubo v0.22 and the JS importer give them.

Golden root CIDs come from Kubo (``helpers.kubo``, ``unixfs-v0-2015``) and from
``ipfs-unixfs-importer`` (``unixfs_add``, both profiles); ours are computed
independently. Covered: the switch-over at exactly the threshold for each size
estimate, tries at least 6 levels deep (names whose murmur3 hashes share 33-44
leading bits, found offline by a birthday search), unicode names, an empty file,
sharded directories nested in sharded and flat ones, and 36,500 entries vs Kubo.

Two differences between the references are pinned here rather than papered over:

* Kubo v0.22 (boxo < IPIP-499) shards when the links-bytes estimate is ``>=`` the
  threshold; JS and IPIP-499 need ``>``. Our ``unixfs-v0-2015`` reproduces Kubo v0.22
  (threshold 262143 under ``>``), so a directory whose estimate is exactly 262144
  bytes is sharded for us and Kubo, flat for JS's ``unixfs-v0-2015``.
* JS counts a non-empty subdirectory as 0 bytes toward its parent's estimate (it has
  no CID yet when added; only for a moment, as the empty directory candidate the
  harness feeds first, does it count). Kubo counts every link; so do we.
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.kubo import kubo_add, kubo_available
from ipfs_kit_py.codecs import dag_pb
from ipfs_kit_py.unixfs import DataType, Importer, ImportOptions, UnixFSData, resolve_options

pytestmark = pytest.mark.interop

JsAdd = Callable[..., dict[str, Any]]
V0 = resolve_options("unixfs-v0-2015")
V1 = resolve_options("unixfs-v1-2025")
THRESHOLD = 256 * 1024
SMALL = 1000  # a low threshold (bytes) that shards small directories cheaply

#: Pairs and a triple of names whose murmur3-x64-64 hashes share the leading 44, 44
#: and 33 bits: a chain of child shards down to depth 5, and a depth-4 shard of three.
DEEP_NAMES = ["nf38d5", "n2f257b", "n532ddc", "n423a0a", "n6bcc09", "n457725", "n48374"]
WORDS = [
    unicodedata.normalize("NFC", "café"),
    unicodedata.normalize("NFD", "café"),
    "水",
    "ελληνικά",
    "𐅑",
    "🎉party",
    "plain",
]


def _with(options: ImportOptions, threshold: int) -> ImportOptions:
    return dataclasses.replace(options, shard_threshold=threshold)


def ours(path: Path, options: ImportOptions) -> tuple[str, DataType]:
    """Our root CID for ``path`` and the UnixFS type of its root node."""
    blocks: dict[str, bytes] = {}
    with Importer(options, lambda b: blocks.__setitem__(str(b.cid), b.data)) as imp:
        root = str(list(imp.add_paths([path]))[-1].cid)
    data = dag_pb.decode_node(blocks[root]).data
    assert data is not None
    return root, UnixFSData.decode(data).type


def _kubo_ready() -> None:
    reason = kubo_available()
    if reason is not None:
        pytest.fail(f"Kubo harness unavailable: {reason}", pytrace=False)


@pytest.fixture(scope="module")
def kubo_small(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], str]:
    """Kubo with ``UnixFSShardingSizeThreshold`` = SMALL (stored adds; its rule is ``>=``)."""
    _kubo_ready()
    repo = tmp_path_factory.mktemp("kubo-small") / "repo"
    config = {"Internal.UnixFSShardingSizeThreshold": f"{SMALL}B"}
    return lambda path: kubo_add(path, repo=repo, only_hash=False, config=config)


def _files(root: Path, names: list[str], rng: random.Random) -> Path:
    root.mkdir(parents=True)
    for name in names:
        (root / name).write_bytes(rng.randbytes(rng.randint(1, 40)))
    return root


def _links_bytes_dir(root: Path, estimate: int) -> Path:
    """Files whose links-bytes estimate under CIDv0 (34-byte CIDs) is exactly ``estimate``."""
    count = (estimate - 36) // 44  # 10-byte names: 44 bytes each, then one shorter name
    names = [f"f{i:09d}" for i in range(count)] + ["z" * (estimate - count * 44 - 34)]
    return _files(root, names, random.Random(estimate))


@pytest.fixture(scope="module")
def v0_flip_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("v0-flip")
    return {
        n: _links_bytes_dir(base / str(n), n) for n in (THRESHOLD - 1, THRESHOLD, THRESHOLD + 1)
    }


@pytest.mark.parametrize("estimate", [THRESHOLD - 1, THRESHOLD + 1])
def test_kubo_links_bytes_either_side(
    repo: Path, v0_flip_dirs: dict[int, Path], estimate: int
) -> None:
    cid, kind = ours(v0_flip_dirs[estimate], V0)
    assert kind is (DataType.HAMT_SHARD if estimate > THRESHOLD else DataType.DIRECTORY)
    assert cid == kubo_add(v0_flip_dirs[estimate], repo=repo)


def test_exactly_at_threshold_kubo_v022_shards_js_does_not(
    repo: Path, unixfs_add: JsAdd, v0_flip_dirs: dict[int, Path]
) -> None:
    path = v0_flip_dirs[THRESHOLD]
    cid, kind = ours(path, V0)
    assert kind is DataType.HAMT_SHARD  # Kubo v0.22: estimate >= threshold
    assert cid == kubo_add(path, repo=repo)
    js = unixfs_add(path, "--profile", "unixfs-v0-2015")["root"]
    assert js != cid
    assert js == ours(path, _with(V0, THRESHOLD))[0]  # IPIP-499: strictly greater


def test_js_links_bytes_above_threshold(unixfs_add: JsAdd, v0_flip_dirs: dict[int, Path]) -> None:
    path = v0_flip_dirs[THRESHOLD + 1]
    assert ours(path, V0)[0] == unixfs_add(path, "--profile", "unixfs-v0-2015")["root"]


@pytest.mark.parametrize(("count", "sharded"), [(4854, False), (4855, True)])
def test_js_block_bytes_flip(unixfs_add: JsAdd, tmp_path: Path, count: int, sharded: bool) -> None:
    # 10-byte names, 2-byte raw leaves: 54 bytes a link + 4 of Data; 4855 links pass 256 KiB
    path = tmp_path / "d"
    path.mkdir()
    for i in range(count):
        (path / f"{i:010d}").write_bytes(b"%02d" % (i % 100))
    cid, kind = ours(path, V1)
    assert kind is (DataType.HAMT_SHARD if sharded else DataType.DIRECTORY)
    assert cid == unixfs_add(path, "--profile", "unixfs-v1-2025")["root"]


def test_deep_collisions(
    unixfs_add: JsAdd, kubo_small: Callable[[Path], str], tmp_path: Path
) -> None:
    # 30 "padNNN" files push the links-bytes estimate past SMALL for Kubo too
    names = [*DEEP_NAMES, "水", "A", "zz", *(f"pad{i:03d}" for i in range(30))]
    path = _files(tmp_path / "deep", names, random.Random(7))
    (path / "empty").touch()
    cid, kind = ours(path, _with(V0, SMALL))
    assert kind is DataType.HAMT_SHARD
    assert cid == kubo_small(path)
    for profile, opts in (("unixfs-v0-2015", V0), ("unixfs-v1-2025", V1)):
        js = unixfs_add(path, "--profile", profile, "--shard-split-threshold-bytes", "1")
        assert ours(path, _with(opts, 1))[0] == js["root"], profile


def _unicode_names(rng: random.Random, count: int, prefix: str) -> list[str]:
    return [
        f"{prefix}{WORDS[i % len(WORDS)]}-{i:05d}{'x' * rng.randint(0, 20)}" for i in range(count)
    ]


def test_nested_sharded_small_threshold(
    unixfs_add: JsAdd, kubo_small: Callable[[Path], str], tmp_path: Path
) -> None:
    rng = random.Random(11)
    outer = tmp_path / "outer"
    inner = _files(outer / "inner", _unicode_names(rng, 200, ""), rng)
    (inner / "empty-file").touch()
    _files(inner / "sub", _unicode_names(rng, 150, "s"), rng)  # sharded inside sharded
    _files(inner / "tiny", ["a", "b"], rng)  # flat inside sharded
    (inner / "empty-dir").mkdir()
    (outer / "readme.txt").write_bytes(b"outer stays flat\n")
    cid, kind = ours(outer, _with(V0, SMALL))
    assert kind is DataType.DIRECTORY
    assert cid == kubo_small(outer)
    for profile, opts in (("unixfs-v0-2015", V0), ("unixfs-v1-2025", V1)):
        js = unixfs_add(outer, "--profile", profile, "--shard-split-threshold-bytes", str(SMALL))
        assert ours(outer, _with(opts, SMALL))[0] == js["root"], profile


def test_subdirectories_count_for_kubo_not_for_js(
    unixfs_add: JsAdd, kubo_small: Callable[[Path], str], tmp_path: Path
) -> None:
    # 20 files x (3 + 34) = 740 bytes; 8 subdirectories x (3 + 34) = 296 more: 1036 > SMALL
    rng = random.Random(5)
    path = _files(tmp_path / "d", [f"f{i:02d}" for i in range(20)], rng)
    for i in range(8):
        _files(path / f"0s{i}", ["inner"], rng)  # sorts first: JS never counts them
    cid, kind = ours(path, _with(V0, SMALL))
    assert kind is DataType.HAMT_SHARD
    assert cid == kubo_small(path)
    js = unixfs_add(
        path, "--profile", "unixfs-v0-2015", "--shard-split-threshold-bytes", str(SMALL)
    )
    assert js["root"] == ours(path, _with(V0, 10**9))[0]  # JS: 740 bytes, flat


def test_large_unicode_tree_matches_kubo(repo: Path, tmp_path: Path) -> None:
    # default threshold: 30,000 entries (child shards 3 levels deep) holding a second
    # sharded directory of 6,500, a flat one and an empty one; the top stays flat
    rng = random.Random(30_000)
    outer = tmp_path / "outer"
    big = _files(outer / "big", _unicode_names(rng, 30_000, ""), rng)
    (big / "empty-file").touch()
    _files(big / "inner-big", _unicode_names(rng, 6_500, "i"), rng)
    _files(big / "small", ["x", "y"], rng)
    (big / "empty-dir").mkdir()
    (outer / "readme.txt").write_bytes(b"hi\n")
    cid, kind = ours(outer, V0)
    assert kind is DataType.DIRECTORY
    assert cid == kubo_add(outer, repo=repo)
