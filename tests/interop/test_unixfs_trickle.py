"""Trickle DAGs (``ipfs add --trickle``) must give the CIDs of the JS reference importer.

The oracle is ipfs-unixfs-importer's ``trickle`` layout (``--layout trickle``),
run on the same files; golden CIDs come from that run, never from us. Small
chunks and widths reach subtrees of depth 3 and 4 cheaply; two files use Kubo's
own parameters (256 KiB chunks, 174 links, layer repeat 4).

Two flavours are compared. The importer's ``trickle=True`` follows the JS
importer's defaults (a one-leaf file is its leaf). Kubo's ``ipfs add --trickle``
differs at the edges and in its leaves (see ``ipfs_kit_py.unixfs._trickle``); JS
reproduces it with ``reduceSingleLeafToSelf: false, leafType: 'raw'`` (its own
go-ipfs parity test does exactly that), and :func:`trickle_importer` builds it
here until :class:`~ipfs_kit_py.unixfs.ImportOptions` can say so.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from helpers.trickle import js_trickle_options, leaf_counts, trickle_importer
from ipfs_kit_py.unixfs import (
    Importer,
    resolve_options,
)
from ipfs_kit_py.unixfs._trickle import LAYER_REPEAT

pytestmark = pytest.mark.interop

JsAdd = Callable[..., dict[str, Any]]
COMBOS = [(0, False), (1, True), (1, False), (0, True)]  # (cid_version, raw_leaves)
KIB = 1024


def _files(directory: Path, chunk: int, leaf_counts: Sequence[int]) -> list[Path]:
    """Seeded random files of whole chunks, plus a few ending in a half chunk."""
    directory.mkdir(exist_ok=True)
    counts = sorted(leaf_counts)
    partial = {n * chunk - chunk // 2 for n in (1, counts[len(counts) // 2], counts[-1])}
    paths = []
    for size in sorted({n * chunk for n in counts} | partial | {1}):
        path = directory / f"{size:09d}.bin"
        path.write_bytes(random.Random(size).randbytes(size))
        paths.append(path)
    return paths


def _js(unixfs_add: JsAdd, paths: Sequence[Path], *flags: str) -> dict[str, str]:
    """One JS importer run over all ``paths``: file name -> root CID."""
    # the fixture passes one PATH; unixfs-add.mjs takes several (each yielded separately)
    out = unixfs_add(paths[-1], *flags, *(str(p) for p in paths[:-1]))
    cids = {e["path"]: e["cid"] for e in out["entries"]}
    assert len(cids) == len(paths)
    return cids


def _ours(importer: Importer, paths: Sequence[Path]) -> dict[str, str]:
    with importer:
        return {e.path: str(e.cid) for e in importer.add_paths(paths)}


def _flags(cid_version: int, raw_leaves: bool, chunk: int, width: int) -> list[str]:
    return [
        "--layout", "trickle",
        "--cid-version", str(cid_version),
        "--raw-leaves", str(raw_leaves).lower(),
        "--chunk-size", str(chunk),
        "--max-children", str(width),
    ]  # fmt: skip


def _mismatches(ours: dict[str, str], js: dict[str, str]) -> list[str]:
    return [
        f"{name}: ours {ours.get(name)} js {cid}"
        for name, cid in js.items()
        if ours.get(name) != cid
    ]


# (width, chunk, depth of the deepest subtrees reached) with layer repeat 4
SMALL = [(3, 100, 4), (4, 1000, 3), (5, 256, 3)]


@pytest.mark.parametrize(("cid_version", "raw_leaves"), COMBOS)
@pytest.mark.parametrize(("width", "chunk", "depth"), SMALL)
def test_small_widths_match_js(
    unixfs_add: JsAdd,
    tmp_path: Path,
    width: int,
    chunk: int,
    depth: int,
    cid_version: int,
    raw_leaves: bool,
) -> None:
    paths = _files(tmp_path, chunk, leaf_counts(width, LAYER_REPEAT, depth))
    js = _js(unixfs_add, paths, *_flags(cid_version, raw_leaves, chunk, width))
    ours = _ours(Importer(js_trickle_options(cid_version, raw_leaves, chunk, width)), paths)
    assert not _mismatches(ours, js)


# each layer repeat once, with the CID version / raw leaves combinations in turn
@pytest.mark.parametrize(
    ("repeat", "cid_version", "raw_leaves"),
    [(1, 0, False), (2, 1, True), (3, 1, False), (5, 0, True)],
)
def test_other_layer_repeats_match_js(
    unixfs_add: JsAdd, tmp_path: Path, repeat: int, cid_version: int, raw_leaves: bool
) -> None:
    width, chunk = 3, 100
    paths = _files(tmp_path, chunk, leaf_counts(width, repeat, 3))
    flags = _flags(cid_version, raw_leaves, chunk, width)
    js = _js(unixfs_add, paths, *flags, "--layer-repeat", str(repeat))
    options = js_trickle_options(cid_version, raw_leaves, chunk, width)
    ours = _ours(trickle_importer(options, layer_repeat=repeat), paths)
    assert not _mismatches(ours, js)


@pytest.mark.parametrize(("cid_version", "raw_leaves"), COMBOS)
def test_kubo_flavour_matches_js_go_parity_mode(
    unixfs_add: JsAdd, tmp_path: Path, cid_version: int, raw_leaves: bool
) -> None:
    width, chunk = 3, 100
    paths = _files(tmp_path, chunk, leaf_counts(width, LAYER_REPEAT, 3))
    flags = _flags(cid_version, raw_leaves, chunk, width)
    js = _js(
        unixfs_add, paths, *flags, "--reduce-single-leaf-to-self", "false", "--leaf-type", "raw"
    )
    options = js_trickle_options(cid_version, raw_leaves, chunk, width)
    ours = _ours(trickle_importer(options, kubo=True), paths)
    assert not _mismatches(ours, js)
    # and the default flavour really differs at one leaf (and, with raw leaves, at zero)
    default = _ours(Importer(js_trickle_options(cid_version, raw_leaves, chunk, width)), paths)
    assert default[f"{chunk:09d}.bin"] != js[f"{chunk:09d}.bin"]


@pytest.mark.parametrize(("cid_version", "raw_leaves"), [(0, False), (1, True)])
def test_width_174_deep_with_small_chunks(
    unixfs_add: JsAdd, tmp_path: Path, cid_version: int, raw_leaves: bool
) -> None:
    # Kubo's width and layer repeat; 64-byte chunks reach depth-3 subtrees in 300 kB
    width, chunk = 174, 64
    # the first depth-1, depth-2 (past its own leaves) and depth-3 subtrees
    counts = [width, width + 1, 870, 871, 871 + width, 4350, 4351]
    paths = _files(tmp_path, chunk, counts)
    js = _js(unixfs_add, paths, *_flags(cid_version, raw_leaves, chunk, width))
    ours = _ours(Importer(js_trickle_options(cid_version, raw_leaves, chunk, width)), paths)
    assert not _mismatches(ours, js)


@pytest.fixture(scope="module")
def kubo_sized_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """175 and 400 chunks of 256 KiB (174 direct leaves, then one or two depth-1 subtrees)."""
    directory = tmp_path_factory.mktemp("trickle-kubo-sized")
    paths = []
    for chunks in (175, 400):
        path = directory / f"{chunks}-chunks.bin"
        path.write_bytes(random.Random(chunks).randbytes(chunks * 256 * KIB - 1))
        paths.append(path)
    return paths


@pytest.mark.parametrize(("cid_version", "raw_leaves"), COMBOS)
def test_kubo_default_parameters(
    unixfs_add: JsAdd, kubo_sized_files: list[Path], cid_version: int, raw_leaves: bool
) -> None:
    # the v0 profile's trickle is Kubo's: JS reproduces it in its go-parity mode
    flags = ["--profile", "unixfs-v0-2015", "--layout", "trickle"]
    flags += ["--cid-version", str(cid_version), "--raw-leaves", str(raw_leaves).lower()]
    flags += ["--reduce-single-leaf-to-self", "false", "--leaf-type", "raw"]
    js = _js(unixfs_add, kubo_sized_files, *flags)
    options = resolve_options(
        "unixfs-v0-2015", cid_version=cid_version, raw_leaves=raw_leaves, trickle=True
    )
    assert (options.chunk_size, options.max_links) == (256 * KIB, 174)
    ours = _ours(Importer(options), kubo_sized_files)
    assert not _mismatches(ours, js)
