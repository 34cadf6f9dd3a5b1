"""Our UnixFS imports must give the CIDs of the JS reference importer (ipfs-unixfs-importer).

The importer runs with ``profile: 'unixfs-v1-2025'``, with its plain defaults
(what Kubo's ``--cid-version 1`` means), and with small chunk sizes and widths
that reach deep trees cheaply. Golden CIDs come from the JS run, never from us.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.corpus import boundary_sizes, content, write_tree
from ipfs_kit_py.unixfs import ImportOptions, add_path, resolve_options

pytestmark = pytest.mark.interop
MIB = 1 << 20


JsAdd = Callable[..., dict[str, Any]]


def ours(path: Path, options: ImportOptions) -> str:
    return str(add_path(path, options)[-1].cid)


def _file(tmp_path: Path, size: int, kind: str = "random") -> Path:
    path = tmp_path / "f.bin"
    path.write_bytes(content(random.Random(size), size, kind))
    return path


@pytest.mark.parametrize("size", [0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB, 3 * MIB + 5])
def test_v1_profile_file_sizes(unixfs_add: JsAdd, tmp_path: Path, size: int) -> None:
    path = _file(tmp_path, size)
    expected = unixfs_add(path, "--profile", "unixfs-v1-2025")["root"]
    assert ours(path, resolve_options("unixfs-v1-2025")) == expected


@pytest.mark.slow
def test_v1_profile_file_above_one_gib(unixfs_add: JsAdd, tmp_path: Path) -> None:
    # 1024 chunks fill one node; one byte more needs a second level
    path = tmp_path / "big.bin"
    rng = random.Random(1024)
    with path.open("wb") as f:
        for _ in range(1024):
            f.write(rng.randbytes(MIB))
        f.write(b"!")
    expected = unixfs_add(path, "--profile", "unixfs-v1-2025")["root"]
    assert ours(path, resolve_options("unixfs-v1-2025")) == expected


SMALL = {"chunk": 1000, "width": 4}
SMALL_SIZES = sorted(
    set(boundary_sizes(SMALL["chunk"], SMALL["width"]))
    | {16_000 - 1, 16_000, 16_001, 64_000, 64_001, 100_000}
)


@pytest.mark.parametrize("size", SMALL_SIZES)
@pytest.mark.parametrize(
    ("cid_version", "raw_leaves"), [(0, False), (1, True), (1, False), (0, True)]
)
def test_deep_trees_with_small_chunks(
    unixfs_add: JsAdd, tmp_path: Path, size: int, cid_version: int, raw_leaves: bool
) -> None:
    path = _file(tmp_path, size)
    expected = unixfs_add(
        path,
        "--cid-version", str(cid_version),
        "--raw-leaves", str(raw_leaves).lower(),
        "--chunk-size", str(SMALL["chunk"]),
        "--max-children", str(SMALL["width"]),
    )["root"]  # fmt: skip
    options = resolve_options(
        "unixfs-v0-2015",
        cid_version=cid_version,
        raw_leaves=raw_leaves,
        chunker=f"size-{SMALL['chunk']}",
        max_links=SMALL["width"],
    )
    assert ours(path, options) == expected


@pytest.mark.parametrize("size", [0, 5, 262_143, 262_144, 262_145, 1_000_000])
def test_cid_version_1_matches_importer_defaults(
    unixfs_add: JsAdd, tmp_path: Path, size: int
) -> None:
    # the importer's defaults are Kubo's `ipfs add --cid-version 1`
    path = _file(tmp_path, size, "repetitive")
    assert ours(path, resolve_options(cid_version=1)) == unixfs_add(path, "--defaults")["root"]


@pytest.mark.parametrize("profile", ["unixfs-v1-2025", "unixfs-v0-2015"])
def test_tree_entry_by_entry(unixfs_add: JsAdd, tmp_path: Path, profile: str) -> None:
    root = write_tree(tmp_path / "tree", seed=5)
    (root / "link").unlink()  # the JS importer has no symlink input from a path walk
    theirs = unixfs_add(root, "--profile", profile)
    ours_entries = {e.path: str(e.cid) for e in add_path(root, resolve_options(profile))}
    for entry in theirs["entries"]:
        assert ours_entries[entry["path"]] == entry["cid"], entry["path"]
    assert ours_entries["tree"] == theirs["root"]


def test_wrap_with_directory(unixfs_add: JsAdd, tmp_path: Path) -> None:
    path = _file(tmp_path, 4000)
    theirs = unixfs_add(path, "--profile", "unixfs-v1-2025", "--wrap-with-directory")
    options = resolve_options("unixfs-v1-2025", wrap_with_directory=True)
    assert ours(path, options) == theirs["root"]


@pytest.mark.parametrize("size", [0, 100, MIB + 1, 5 * MIB + 3])
def test_helia_defaults_match_v1_profile(unixfs_add: JsAdd, tmp_path: Path, size: int) -> None:
    # @helia/unixfs (addFile/addDirectory with its own defaults) against unixfs-v1-2025
    path = _file(tmp_path, size)
    helia = unixfs_add(path, "--api", "helia")["root"]
    assert ours(path, resolve_options("unixfs-v1-2025")) == helia


def test_helia_defaults_match_v1_profile_on_a_tree(unixfs_add: JsAdd, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", seed=21)
    (root / "link").unlink()
    assert (
        ours(root, resolve_options("unixfs-v1-2025")) == unixfs_add(root, "--api", "helia")["root"]
    )
