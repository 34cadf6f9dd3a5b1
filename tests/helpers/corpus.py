"""A seeded UnixFS test corpus, generated at test time (nothing large is committed).

Sizes sit at and around the chunk and node-width boundaries of a profile;
content mixes random, repetitive and all-zero bytes; the tree has unicode names
in both NFC and NFD, empty files and directories, hidden files and a symlink.
"""

from __future__ import annotations

import os
import random
import unicodedata
from pathlib import Path


def boundary_sizes(chunk: int, width: int) -> list[int]:
    """File sizes around one chunk, two chunks, and one full node of ``width`` chunks."""
    full = chunk * width
    return sorted({0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, full - 1, full, full + 1})


def content(rng: random.Random, size: int, kind: str) -> bytes:
    """``random``, ``repetitive`` (a short pattern) or ``zeros``."""
    if kind == "zeros":
        return bytes(size)
    if kind == "repetitive":
        pattern = rng.randbytes(rng.randint(1, 64))
        return (pattern * (size // len(pattern) + 1))[:size]
    return rng.randbytes(size)


def write_tree(root: Path, seed: int = 0) -> Path:
    """A nested tree of small files; returns its root directory."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    cafe_nfc = unicodedata.normalize("NFC", "café")
    cafe_nfd = unicodedata.normalize("NFD", "café")
    assert cafe_nfc.encode() != cafe_nfd.encode()
    (root / cafe_nfc).write_bytes(b"nfc")
    (root / cafe_nfd).write_bytes(b"nfd")
    (root / "水" / "𐅑").mkdir(parents=True)
    (root / "水" / "𐅑" / "deep.bin").write_bytes(content(rng, 70_000, "random"))
    (root / "水" / "ελληνικά.txt").write_bytes("γειά\n".encode())
    (root / "empty-dir" / "nested-empty").mkdir(parents=True)
    (root / "empty-file").touch()
    (root / ".hidden").write_bytes(b"dotfile\n")
    (root / "zeros.bin").write_bytes(content(rng, 300_000, "zeros"))
    (root / "repeat.txt").write_bytes(content(rng, 500_000, "repetitive"))
    (root / "Z-upper").write_bytes(b"sorts before lowercase")
    (root / "link").symlink_to("repeat.txt")
    for i in range(40):
        (root / "many" / f"f{i:03d}").parent.mkdir(exist_ok=True)
        (root / "many" / f"f{i:03d}").write_bytes(content(rng, rng.randint(0, 3000), "random"))
    return root


def assert_same_tree(src: Path, out: Path) -> None:
    """``out`` holds exactly the files, directories and symlinks of ``src``, byte for byte."""
    for path in src.rglob("*"):
        twin = out / path.relative_to(src)
        if path.is_symlink():
            assert os.readlink(twin) == os.readlink(path)
        elif path.is_file():
            assert twin.read_bytes() == path.read_bytes(), path
        else:
            assert twin.is_dir()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == sorted(
        p.relative_to(src) for p in src.rglob("*")
    )
