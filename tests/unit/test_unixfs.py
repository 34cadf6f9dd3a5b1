"""UnixFS importer: published Kubo CIDs, tree shape at the boundaries, options, errors.

Exhaustive CID equality with Kubo and the JS importer lives in tests/interop.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from ipfs_kit_py import CID, Block
from ipfs_kit_py.codecs import dag_pb
from ipfs_kit_py.errors import InvalidInputError, UnsupportedError
from ipfs_kit_py.unixfs import (
    DataType,
    Importer,
    UnixFSData,
    UnixTime,
    add_bytes,
    add_path,
    resolve_options,
)

V0 = resolve_options("unixfs-v0-2015")
V1 = resolve_options("unixfs-v1-2025")


# Published CIDs of well-known content under Kubo's legacy defaults (ipfs add).
@pytest.mark.parametrize(
    ("data", "cid"),
    [
        (b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        (b"hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
    ],
)
def test_kubo_published_file_cids(data: bytes, cid: str) -> None:
    assert str(add_bytes(data, V0)) == cid


def test_empty_directory_is_kubos(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert (
        str(add_path(tmp_path / "empty", V0)[-1].cid)
        == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    )


def test_single_chunk_with_raw_leaves_is_the_raw_block() -> None:
    data = b"x" * 1000
    assert add_bytes(data, V1) == Block.from_data(data).cid


def _collect(data: bytes, **overrides: object) -> tuple[CID, dict[CID, bytes]]:
    blocks: dict[CID, bytes] = {}
    opts = resolve_options("unixfs-v1-2025", **overrides)  # type: ignore[arg-type]
    with Importer(opts, lambda b: blocks.__setitem__(b.cid, b.data)) as imp:
        root = imp.add_stream(io.BytesIO(data)).cid
    return root, blocks


def _depth_and_leaves(cid: CID, blocks: dict[CID, bytes]) -> tuple[int, list[CID]]:
    if cid.codec == 0x55:
        return 0, [cid]
    node = dag_pb.decode_node(blocks[cid])
    child = [_depth_and_leaves(lk.cid, blocks) for lk in node.links]
    depths = {d for d, _ in child}
    assert len(depths) == 1, "balanced: every leaf at the same depth"
    return depths.pop() + 1, [leaf for _, leaves in child for leaf in leaves]


@pytest.mark.parametrize(("chunks", "depth"), [(1, 0), (2, 1), (4, 1), (5, 2), (16, 2), (17, 3)])
def test_balanced_tree_shape_at_width_boundaries(chunks: int, depth: int) -> None:
    data = random.Random(chunks).randbytes(chunks * 64)
    root, blocks = _collect(data, chunker="size-64", max_links=4)
    got_depth, leaves = _depth_and_leaves(root, blocks)
    assert got_depth == depth
    assert b"".join(blocks[c] for c in leaves) == data
    if depth:
        top = UnixFSData.decode(dag_pb.decode_node(blocks[root]).data or b"")
        assert top.type is DataType.FILE
        assert top.filesize == len(data)
        assert sum(top.blocksizes) == len(data)


def test_stored_blocks_hash_to_their_cids() -> None:
    data = random.Random(1).randbytes(10_000)
    for overrides in ({}, {"cid_version": 0, "raw_leaves": False}):
        root, blocks = _collect(data, chunker="size-1000", max_links=3, **overrides)
        for cid, raw in blocks.items():
            Block(cid, raw).verify()
        assert root in blocks


def test_hash_only_and_stored_give_the_same_root() -> None:
    data = random.Random(2).randbytes(50_000)
    root, _ = _collect(data, chunker="size-4096", raw_leaves=False)
    assert add_bytes(data, resolve_options(chunker="size-4096", raw_leaves=False)) == root


def test_kubo_flag_semantics() -> None:
    legacy_v1 = resolve_options(cid_version=1)  # as `ipfs add --cid-version 1`
    assert (legacy_v1.cid_version, legacy_v1.raw_leaves) == (1, True)
    assert (legacy_v1.chunk_size, legacy_v1.max_links) == (256 * 1024, 174)
    assert resolve_options(cid_version=1, raw_leaves=False).raw_leaves is False
    assert resolve_options(hash="blake3").cid_version == 1
    assert resolve_options("unixfs-v0-2015", hash="sha2-512").cid_version == 1
    assert resolve_options().profile == "unixfs-v1-2025"
    assert resolve_options(inline=True).inline_limit == 32


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"chunker": "size-0"}, InvalidInputError),
        ({"chunker": "size-2000000"}, InvalidInputError),
        ({"chunker": "size-x"}, InvalidInputError),
        ({"chunker": "fastcdc"}, InvalidInputError),
        ({"chunker": "buzhash-5"}, InvalidInputError),
        ({"cid_version": 2}, InvalidInputError),
        ({"hash": "identity"}, UnsupportedError),
        ({"max_links": 1}, InvalidInputError),
    ],
)
def test_bad_options(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        resolve_options(**kwargs)  # type: ignore[arg-type]


def test_inline_makes_identity_cids() -> None:
    cid = add_bytes(b"tiny", resolve_options(inline=True))
    assert cid.is_identity
    assert cid.digest == b"tiny"


def test_directory_rules(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").write_bytes(b"h")
    (root / "b").write_bytes(b"b")
    (root / "sub" / "a").write_bytes(b"a")
    (root / "link").symlink_to("b")
    entries = add_path(root, V1)
    paths = [e.path for e in entries]
    assert paths == ["d/.hidden", "d/b", "d/link", "d/sub/a", "d/sub", "d"]
    assert [e.kind for e in entries][-1] == "directory"
    no_hidden = add_path(root, resolve_options(hidden=False))
    assert "d/.hidden" not in [e.path for e in no_hidden]
    assert no_hidden[-1].cid != entries[-1].cid
    wrapped = add_path(root / "b", resolve_options(wrap_with_directory=True))
    assert wrapped[-1].path == ""
    assert wrapped[-1].kind == "directory"
    with Importer(V1) as imp, pytest.raises(InvalidInputError, match="-r"):
        list(imp.add_paths([root], recursive=False))


def test_symlink_node() -> None:
    node = UnixFSData(DataType.SYMLINK, data=b"target")
    assert UnixFSData.decode(node.encode()) == node


def test_unixfs_data_round_trip() -> None:
    full = UnixFSData(
        DataType.FILE,
        data=b"abc",
        filesize=3,
        blocksizes=(1, 2),
        hash_type=0x22,
        fanout=256,
        mode=0o644,
        mtime=UnixTime(-5, 7),
    )
    assert UnixFSData.decode(full.encode()) == full
    # field order is field-number order, as Kubo writes it
    assert UnixFSData(DataType.FILE, data=b"x", filesize=1).encode() == bytes.fromhex(
        "0802120178" + "1801"
    )


@pytest.mark.parametrize("raw", ["", "08", "0809", "1203616263", "0802" + "1205", "0802" + "4a00"])
def test_unixfs_data_rejects(raw: str) -> None:
    from ipfs_kit_py.errors import DecodeError

    with pytest.raises(DecodeError):
        UnixFSData.decode(bytes.fromhex(raw))


@pytest.mark.parametrize("chunker", ["size-1000", "buzhash"])
def test_progress_reports_every_byte_read(chunker: str) -> None:
    import io

    data = random.Random(9).randbytes(1_500_000)
    seen: list[int] = []
    options = resolve_options(chunker=chunker)
    with Importer(options, progress=seen.append) as imp:
        imp.add_stream(io.BytesIO(data))
    assert sum(seen) == len(data)
    assert len(seen) > 1
