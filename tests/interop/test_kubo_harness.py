"""Smoke test of the Kubo v0.22 harness (``tests/helpers/kubo.py``) against published CIDs.

The golden values are Kubo's own ``ipfs add`` results with default settings, quoted
throughout the IPFS docs and test suites; none of them is computed by this project.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from helpers.kubo import kubo_add, kubo_block_path, kubo_blocks_dir
from ipfs_kit_py import CID

pytestmark = pytest.mark.interop

EMPTY_FILE = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
EMPTY_DIR = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
HELLO_WORLD = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # b"hello world\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", EMPTY_FILE, id="empty"),
        pytest.param(b"hello world\n", HELLO_WORLD, id="hello"),
    ],
)
def test_file_matches_published_cid(
    repo: Path, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "file"
    path.write_bytes(content)
    assert kubo_add(path, repo=repo) == expected


def test_empty_directory_matches_published_cid(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert kubo_add(empty, repo=repo) == EMPTY_DIR


def test_directory_with_two_files_is_its_own_root(repo: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_bytes(b"hello world\n")
    (tree / "b.bin").write_bytes(bytes(range(256)))
    cid = kubo_add(tree, repo=repo)
    assert cid.startswith("Qm")
    assert len(cid) == 46
    assert cid not in (EMPTY_DIR, HELLO_WORLD)
    assert kubo_add(tree, repo=repo) == cid  # deterministic


def test_stored_block_lands_in_flatfs(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world\n")
    assert kubo_add(path, repo=repo, only_hash=False) == HELLO_WORLD
    multihash = CID.parse(HELLO_WORLD).multihash
    block = kubo_block_path(repo, multihash)
    assert block.parent.parent == kubo_blocks_dir(repo)
    data = block.read_bytes()
    assert multihash == b"\x12\x20" + hashlib.sha256(data).digest()
    assert b"hello world\n" in data  # a dag-pb UnixFS leaf: the data is inline, not a raw leaf
