"""Trickle layout: DAG shape, decodable blocks, streaming, and published Kubo CIDs.

CID equality with the JS reference importer lives in
tests/interop/test_unixfs_trickle.py; here nothing needs Node.js.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Iterator

import pytest

from helpers.trickle import (
    full_leaves,
    js_trickle_options,
    layer_edge,
    leaf_counts,
    trickle_importer,
)
from ipfs_kit_py import CID, Block
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import dag_pb
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs import (
    DataType,
    Importer,
    ImportOptions,
    UnixFSData,
    add_bytes,
    resolve_options,
)
from ipfs_kit_py.unixfs._importer import _Link
from ipfs_kit_py.unixfs._trickle import LAYER_REPEAT, trickle_file

COMBOS = [(0, False), (1, True), (1, False), (0, True)]  # (cid_version, raw_leaves)


def _import(
    data: bytes, options: ImportOptions, *, layer_repeat: int = LAYER_REPEAT, kubo: bool = False
) -> tuple[CID, dict[CID, bytes]]:
    blocks: dict[CID, bytes] = {}

    def sink(block: Block) -> None:
        blocks[block.cid] = block.data

    with trickle_importer(options, sink, layer_repeat=layer_repeat, kubo=kubo) as imp:
        root = imp.add_stream(io.BytesIO(data)).cid
    return root, blocks


# -- the DAG checker -----------------------------------------------------------------------


class _Checker:
    """Walks a trickle DAG from the blocks the importer emitted, asserting its invariants."""

    def __init__(self, blocks: dict[CID, bytes], width: int, repeat: int, leaf: DataType) -> None:
        self.blocks = blocks
        self.width = width
        self.repeat = repeat
        self.leaf_type = leaf

    def leaf(self, cid: CID) -> bytes:
        raw = self.blocks[cid]
        Block(cid, raw).verify()
        if cid.codec == RAW:
            return raw
        node = dag_pb.decode_node(raw)
        assert not node.links
        fs = UnixFSData.decode(node.data or b"")
        assert fs.type is self.leaf_type
        data = fs.data or b""
        assert fs.filesize == len(data)
        assert not fs.blocksizes
        return data

    def is_leaf(self, cid: CID) -> bool:
        return cid.codec == RAW or not dag_pb.decode_node(self.blocks[cid]).links

    def root(self, cid: CID) -> tuple[bytes, int, int]:
        """Content, cumulative DAG size and leaf count of the whole file."""
        raw = self.blocks[cid]
        if not self.is_leaf(cid):
            return self.node(cid, None)
        fs = UnixFSData.decode(dag_pb.decode_node(raw).data or b"") if cid.codec != RAW else None
        if fs is not None and fs.type is DataType.FILE and self.leaf_type is DataType.RAW:
            Block(cid, raw).verify()  # Kubo's empty file: a File node with no links
            assert (fs.data, fs.filesize, fs.blocksizes) == (None, 0, ())
            return b"", len(raw), 0
        return self.leaf(cid), len(raw), 1  # a single leaf reduced to itself

    def node(self, cid: CID, max_depth: int | None) -> tuple[bytes, int, int]:
        """Content, cumulative DAG size and leaf count of the internal node at ``cid``.

        ``max_depth`` is the depth this subtree may reach (``None``: the root).
        """
        raw = self.blocks[cid]
        Block(cid, raw).verify()
        node = dag_pb.decode_node(raw)
        assert node.links, "an internal node has links"
        fs = UnixFSData.decode(node.data or b"")
        assert fs.type is DataType.FILE
        assert fs.data is None, "internal nodes carry no data"
        assert len(fs.blocksizes) == len(node.links)
        parts: list[bytes] = []
        total = len(raw)
        leaves = 0
        last = len(node.links) - 1
        for i, (link, blocksize) in enumerate(zip(node.links, fs.blocksizes, strict=True)):
            assert not link.name
            if i < self.width:  # the direct leaf layer, full before any subtree
                assert self.is_leaf(link.cid)
                data = self.leaf(link.cid)
                size, count = len(self.blocks[link.cid]), 1
            else:  # then R subtrees of depth 1, R of depth 2, ...
                depth = (i - self.width) // self.repeat + 1
                assert max_depth is None or depth < max_depth, "child subtree too deep"
                data, size, count = self.node(link.cid, depth)
                if i < last:  # only the last child may be partial
                    assert count == full_leaves(self.width, self.repeat, depth)
            assert blocksize == len(data)
            assert link.tsize == size
            parts.append(data)
            total += size
            leaves += count
        content = b"".join(parts)
        assert fs.filesize == len(content) == sum(fs.blocksizes)
        return content, total, leaves


# -- tests ---------------------------------------------------------------------------------


def _sizes(chunk: int, width: int, repeat: int, depth: int) -> list[int]:
    """Byte sizes around the layer and sibling boundaries up to subtrees of ``depth``."""
    edge = layer_edge(width, repeat, depth)
    partial = {n * chunk - chunk // 2 for n in (width + 1, edge, edge + 1)}
    return sorted({n * chunk for n in leaf_counts(width, repeat, depth)} | partial | {1})


@pytest.mark.parametrize(("cid_version", "raw_leaves"), COMBOS)
@pytest.mark.parametrize("kubo", [False, True], ids=["js", "kubo"])
def test_every_block_decodes_and_leaves_give_back_the_file(
    cid_version: int, raw_leaves: bool, kubo: bool
) -> None:
    chunk, width = 10, 3
    opts = js_trickle_options(cid_version, raw_leaves, chunk, width)
    leaf_type = DataType.RAW if kubo else DataType.FILE
    for size in _sizes(chunk, width, LAYER_REPEAT, 3):
        data = random.Random(size).randbytes(size)
        root, blocks = _import(data, opts, kubo=kubo)
        checker = _Checker(blocks, width, LAYER_REPEAT, leaf_type)
        content, total, leaves = checker.root(root)
        assert content == data, size
        chunks = -(-size // chunk)
        assert leaves == (chunks if kubo else max(1, chunks))
        assert total == sum(map(len, blocks.values())), "Tsize adds up; no stray blocks"
        if not kubo:  # the importer's own trickle path, hashing only, agrees
            assert add_bytes(data, opts) == root
        single = raw_leaves and size <= chunk and not kubo  # the root is the raw leaf
        assert root.version == (1 if single else cid_version)


@pytest.mark.parametrize("repeat", [1, 2, 3, 5])
def test_other_layer_repeats_keep_the_invariants(repeat: int) -> None:
    chunk, width = 7, 4
    opts = js_trickle_options(1, True, chunk, width)
    for size in _sizes(chunk, width, repeat, 3):
        data = random.Random(size).randbytes(size)
        root, blocks = _import(data, opts, layer_repeat=repeat)
        content, _, _ = _Checker(blocks, width, repeat, DataType.FILE).root(root)
        assert content == data


def _shape(cid: CID, blocks: dict[CID, bytes], index: dict[CID, int]) -> int | list[object]:
    if cid in index:
        return index[cid]
    return [_shape(lk.cid, blocks, index) for lk in dag_pb.decode_node(blocks[cid]).links]


# The expected trees of ipfs-unixfs-importer's own layout test
# (packages/ipfs-unixfs-importer/test/builder-trickle-dag.spec.ts:
# maxChildrenPerNode 3, layerRepeat 2), leaves numbered in file order.
JS_SPEC_SHAPES: dict[int, list[object]] = {
    6: [0, 1, 2, [3, 4, 5]],
    12: [0, 1, 2, [3, 4, 5], [6, 7, 8], [9, 10, 11]],
    21: [0, 1, 2, [3, 4, 5], [6, 7, 8], [9, 10, 11, [12, 13, 14], [15, 16, 17]], [18, 19, 20]],
    68: [
        0, 1, 2,
        [3, 4, 5],
        [6, 7, 8],
        [9, 10, 11, [12, 13, 14], [15, 16, 17]],
        [18, 19, 20, [21, 22, 23], [24, 25, 26]],
        [27, 28, 29, [30, 31, 32], [33, 34, 35],
         [36, 37, 38, [39, 40, 41], [42, 43, 44]],
         [45, 46, 47, [48, 49, 50], [51, 52, 53]]],
        [54, 55, 56, [57, 58, 59], [60, 61, 62], [63, 64, 65, [66, 67]]],
    ],
}  # fmt: skip


@pytest.mark.parametrize("count", sorted(JS_SPEC_SHAPES))
def test_shape_matches_the_js_layout_spec(count: int) -> None:
    chunks = [f"{i:08d}".encode() for i in range(count)]
    root, blocks = _import(b"".join(chunks), js_trickle_options(1, True, 8, 3), layer_repeat=2)
    index = {Block.from_data(c).cid: i for i, c in enumerate(chunks)}
    assert _shape(root, blocks, index) == JS_SPEC_SHAPES[count]


@pytest.mark.parametrize(("cid_version", "raw_leaves"), COMBOS)
def test_single_leaf_and_empty_file(cid_version: int, raw_leaves: bool) -> None:
    opts = js_trickle_options(cid_version, raw_leaves, 100, 3)
    balanced = resolve_options(
        "unixfs-v0-2015", cid_version=cid_version, raw_leaves=raw_leaves, chunker="size-100"
    )
    for data in (b"", b"x", bytes(100)):
        # JS default: the one leaf (or the one empty leaf) is the file, as with balanced
        js_root, _ = _import(data, opts)
        assert js_root == add_bytes(data, balanced) == add_bytes(data, opts)
        # Kubo: always an internal File node on top
        kubo_root, blocks = _import(data, opts, kubo=True)
        node = dag_pb.decode_node(blocks[kubo_root])
        fs = UnixFSData.decode(node.data or b"")
        assert (fs.type, fs.data, fs.filesize) == (DataType.FILE, None, len(data))
        assert len(node.links) == len(fs.blocksizes) == (1 if data else 0)
        assert kubo_root.version == cid_version


def test_empty_file_cids() -> None:
    # JS: one empty leaf; Kubo: a File node with no links even with raw leaves
    # (observed with ipfs-unixfs-importer 17.1.1, reduceSingleLeafToSelf true / false)
    v0, v1 = js_trickle_options(0, False, 100, 3), js_trickle_options(1, True, 100, 3)
    assert str(_import(b"", v0)[0]) == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    assert str(_import(b"", v0, kubo=True)[0]) == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    assert str(_import(b"", v1)[0]) == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert (
        str(_import(b"", v1, kubo=True)[0])
        == "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y"
    )


KUBO_V0 = resolve_options("unixfs-v0-2015", trickle=True)


def test_kubo_published_trickle_cid_of_a_one_chunk_file() -> None:
    # kubo test/sharness/t0040-add-and-cat.sh: `ipfs add -t mountdir/hello.txt`
    data = b"Hello Worlds!\n"
    assert str(_import(data, KUBO_V0, kubo=True)[0]) == (
        "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi"
    )
    # the profile's own trickle is Kubo's
    assert str(add_bytes(data, resolve_options("unixfs-v0-2015", trickle=True))) == (
        "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi"
    )
    # the JS default reduces the one leaf to itself: the balanced CID of the same sharness file
    js_flavour = dataclasses.replace(KUBO_V0, kubo_trickle=False)
    assert str(add_bytes(data, js_flavour)) == "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"


def test_go_ipfs_parity_fixture_of_the_js_importer() -> None:
    # ipfs-unixfs-importer test/hash-parity-with-go-ipfs.spec.ts ("yields the same tree
    # as go-ipfs"): strategy trickle with leafType 'raw' and reduceSingleLeafToSelf false,
    # v0 defaults (262144-byte chunks, 174 links, layerRepeat 4) over
    # finite-pseudorandom-byte-stream(45900000, 7382). That helper writes
    # `256 & Math.floor(random(seed) * 256)`, always 0: the input is 45,900,000 zero bytes
    # (176 chunks: 174 direct leaves and one depth-1 subtree of 2).
    data = bytes(45_900_000)
    assert str(_import(data, KUBO_V0, kubo=True)[0]) == (
        "QmdZcefqMZ3tzdS4CRBN5s1c67eS3nQzN8TNXFBYfgofoy"
    )
    # the same spec's balanced CID confirms the reading of the input
    assert str(add_bytes(data, resolve_options("unixfs-v0-2015"))) == (
        "QmRdPboiJQoZ5cdazR9a8vGqdJvWg6M5bfdtUSKNHpuscj"
    )


def test_leaves_are_consumed_as_a_stream() -> None:
    events: list[tuple[str, int]] = []

    def sink(block: Block) -> None:
        if block.cid.codec != RAW:
            events.append(("node", 0))

    opts = js_trickle_options(1, True, 10, 3)
    data = random.Random(0).randbytes(10 * 1000)
    with Importer(opts, sink) as imp:

        def leaves() -> Iterator[_Link]:
            for i, leaf in enumerate(imp._leaves(io.BytesIO(data))):
                events.append(("leaf", i))
                yield leaf

        trickle_file(imp, leaves())
    # leaves 3-5 make the first depth-1 subtree; with one leaf of look-ahead (leaf 6)
    # its node is built before leaf 7 is pulled
    assert events.index(("node", 0)) < events.index(("leaf", 7))
    assert events[-1] == ("node", 0)


def test_layer_repeat_must_be_positive() -> None:
    with Importer(js_trickle_options(1, True, 10, 3)) as imp, pytest.raises(InvalidInputError):
        trickle_file(imp, iter(()), layer_repeat=0)
