"""``--preserve-mode`` / ``--preserve-mtime`` must give the JS importer's CIDs.

The oracle is ipfs-unixfs-importer fed each entry's ``lstat`` mode (``& 0o7777``)
and mtime (``tests/interop/js/unixfs-add.mjs --preserve-mode --preserve-mtime``).
Kubo v0.22 predates these flags, so JS is the only implementation to compare with.

One JS behaviour is not followed: for a file of a single *dag-pb* leaf (CIDv0,
no raw leaves) with metadata, ipfs-unixfs-importer 17 wraps the *encoded leaf
block* as the new node's data, so the file reads back as protobuf bytes. We put
the chunk itself there; :func:`test_single_dag_pb_leaf_keeps_content` checks the
bytes and metadata read back, and the JS comparisons for that profile use only
files of several chunks.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py.unixfs import Exporter, Importer, ImportOptions, UnixTime, resolve_options

pytestmark = pytest.mark.interop

JsAdd = Callable[..., dict[str, Any]]
KIB = 1024
S = 1_000_000_000
MTIMES = [  # nanoseconds since the epoch: with and without a fraction, and before 1970
    1_700_000_000 * S + 123_456_789,
    1_600_000_000 * S,
    -86_400 * 365 * S + 5,
    0,
    1_234_567_890 * S + 999_999_999,
]


def _stamp(path: Path, mode: int | None, mtime_ns: int) -> None:
    if mode is not None:
        path.chmod(mode)
    os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=False)


def _tree(root: Path, *, small_files: bool, rng: random.Random) -> Path:
    """Files, directories and symlinks with assorted modes (defaults too) and mtimes."""
    root.mkdir()
    sizes = [3 * 256 * KIB + 17, 2 * 1024 * KIB + 1]
    if small_files:
        sizes += [0, 1, 100, 256 * KIB]
    modes = [0o600, 0o644, 0o755, 0o4755, 0o2750, 0o640, 0o777]
    for i, size in enumerate(sizes):
        path = root / f"file-{i}"
        path.write_bytes(rng.randbytes(size))
        _stamp(path, modes[i % len(modes)], MTIMES[i % len(MTIMES)])
    sub = root / "sub"
    sub.mkdir()
    (sub / "big").write_bytes(rng.randbytes(600 * KIB))
    _stamp(sub / "big", 0o444, MTIMES[1])
    (sub / "link").symlink_to("big")
    _stamp(sub / "link", None, MTIMES[2])
    for name, mode in (("empty-700", 0o700), ("empty-755", 0o755), ("empty-1777", 0o1777)):
        (root / name).mkdir()
        _stamp(root / name, mode, MTIMES[3])
    _stamp(sub, 0o750, MTIMES[4])
    _stamp(root, 0o755, MTIMES[0])
    return root


def _ours(path: Path, options: ImportOptions) -> dict[str, str]:
    with Importer(options) as imp:
        return {e.path: str(e.cid) for e in imp.add_paths([path])}


def _js(unixfs_add: JsAdd, path: Path, *flags: str) -> dict[str, str]:
    out = unixfs_add(path, *flags)
    return {e["path"]: e["cid"] for e in out["entries"]}


def _same(ours: dict[str, str], theirs: dict[str, str]) -> None:
    """Every entry JS reports (it does not report empty directories) and the root agree."""
    assert {path: ours.get(path) for path in theirs} == theirs
    assert list(ours.values())[-1] == list(theirs.values())[-1]


FLAGS = {
    (True, False): ("--preserve-mode",),
    (False, True): ("--preserve-mtime",),
    (True, True): ("--preserve-mode", "--preserve-mtime"),
}


@pytest.mark.parametrize(("mode", "mtime"), list(FLAGS))
@pytest.mark.parametrize(
    ("profile", "small_files"), [("unixfs-v1-2025", True), ("unixfs-v0-2015", False)]
)
def test_tree_matches_js(
    unixfs_add: JsAdd, tmp_path: Path, profile: str, small_files: bool, mode: bool, mtime: bool
) -> None:
    root = _tree(tmp_path / "t", small_files=small_files, rng=random.Random(profile))
    options = resolve_options(profile, preserve_mode=mode, preserve_mtime=mtime)
    ours = _ours(root, options)
    theirs = _js(unixfs_add, root, "--profile", profile, *FLAGS[mode, mtime])
    _same(ours, theirs)
    # and the metadata is really there: it changes the root
    assert ours["t"] != _ours(root, resolve_options(profile))["t"]


def test_trickle_and_sharded_match_js(unixfs_add: JsAdd, tmp_path: Path) -> None:
    rng = random.Random(4)
    root = _tree(tmp_path / "t", small_files=True, rng=rng)
    for i in range(40):
        (root / "sub" / f"n{i:03d}").write_bytes(rng.randbytes(i))
    _stamp(root / "sub", 0o750, MTIMES[4])
    flags = ("--preserve-mode", "--preserve-mtime")
    base = resolve_options("unixfs-v1-2025", preserve_mode=True, preserve_mtime=True)
    trickle = dataclasses.replace(base, layout="trickle", chunker=base.chunker)
    _same(
        _ours(root, trickle),
        _js(unixfs_add, root, "--profile", "unixfs-v1-2025", "--layout", "trickle", *flags),
    )
    sharded = dataclasses.replace(base, shard_threshold=1)  # every directory is a HAMT
    js_flags = ("--profile", "unixfs-v1-2025", "--shard-split-threshold-bytes", "1", *flags)
    _same(_ours(root, sharded), _js(unixfs_add, root, *js_flags))


@pytest.mark.parametrize("size", [0, 1, 1000, 256 * KIB])
def test_single_dag_pb_leaf_keeps_content(tmp_path: Path, size: int) -> None:
    data = random.Random(size).randbytes(size)
    src = tmp_path / "f"
    src.write_bytes(data)
    _stamp(src, 0o600, MTIMES[0])
    blocks: dict[Any, bytes] = {}
    options = resolve_options("unixfs-v0-2015", preserve_mode=True, preserve_mtime=True)
    with Importer(options, lambda b: blocks.__setitem__(b.cid, b.data)) as imp:
        cid = list(imp.add_paths([src]))[-1].cid
    exporter = Exporter(blocks.__getitem__)
    info = exporter.stat(cid)
    assert (info.kind, info.size, info.mode) == ("file", size, 0o600)
    assert info.mtime == UnixTime(1_700_000_000, 123_456_789)
    assert b"".join(exporter.cat(cid)) == data
    out = exporter.export(cid, tmp_path / "out")
    assert out.read_bytes() == data
    st = out.stat()
    assert (st.st_mode & 0o7777, st.st_mtime_ns) == (0o600, MTIMES[0])
