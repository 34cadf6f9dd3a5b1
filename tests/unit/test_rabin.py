"""The rabin chunker: Kubo's spec syntax, the fingerprint, and cuts against simple models.

Kubo parity (the real proof) is in ``tests/interop/test_rabin_kubo.py``; here the
vectorised code is checked against definitions written the slow, obvious way.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest

from helpers.chunking import TricklingStream
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs import resolve_options
from ipfs_kit_py.unixfs._chunker import MAX_CHUNK_SIZE, Chunker, parse_chunker
from ipfs_kit_py.unixfs._rabin import (
    RABIN_POLY,
    RABIN_WINDOW,
    rabin_chunks,
    rabin_cut_candidates,
    rabin_fingerprint,
    rabin_mask,
)


def _rabin(low: int, avg: int, high: int) -> Chunker:
    return Chunker("rabin", high, low, avg)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rabin", _rabin(87381, 262144, 393216)),
        ("rabin-262144", _rabin(87381, 262144, 393216)),
        ("rabin-65536", _rabin(21845, 65536, 98304)),
        ("rabin-48", _rabin(16, 48, 72)),  # the smallest average whose min is 16
        ("rabin-699051", _rabin(233017, 699051, MAX_CHUNK_SIZE)),  # the largest
        ("rabin-+64", _rabin(21, 64, 96)),  # Go's Atoi takes a sign
        ("rabin-16-32-64", _rabin(16, 32, 64)),
        ("rabin-16-17-18", _rabin(16, 17, 18)),
        ("rabin-0016-032-064", _rabin(16, 32, 64)),
        (f"rabin-16-1000-{MAX_CHUNK_SIZE}", _rabin(16, 1000, MAX_CHUNK_SIZE)),
        ("rabin-min:16-avg:32-max:64", _rabin(16, 32, 64)),
        ("rabin-min:16-32-max:64", _rabin(16, 32, 64)),  # each label is optional
    ],
)
def test_parse(spec: str, expected: Chunker) -> None:
    chunker = parse_chunker(spec)
    assert chunker == expected
    assert chunker.spec == f"rabin-{expected.min_size}-{expected.avg_size}-{expected.size}"
    assert parse_chunker(chunker.spec) == chunker
    assert not chunker.fixed


@pytest.mark.parametrize(
    "spec",
    [
        # refused by Kubo v0.22 too
        "rabin-15-23-31",  # min below 16
        "rabin-20-20-21",  # min not below avg
        "rabin-19-21-21",  # avg not below max
        "rabin-16-64-32",
        f"rabin-16-32-{MAX_CHUNK_SIZE + 1}",
        "rabin-699052",  # max = avg*3/2 over 1 MiB
        "rabin-",
        "rabin-1-2",
        "rabin-16-32-64-",
        "rabin--16",
        "rabin-0x40",
        "rabin-1_000",
        "rabin- 64",
        "rabin-avg:16-avg:32-max:64",
        "rabin-min:16-max:32-max:64",
        "rabin-min:16-avg:32-avg:64",
        "rabin-avg:64",
        # accepted by Kubo but refused here (see _parse_rabin)
        "rabin-47",  # min 15: Kubo then never cuts
        "rabin-0",
        "rabin-min:x:16-avg:32-max:64",
        "rabinx",
        # not ASCII digits, though Python's int() would take them
        "rabin-\uff16\uff14",
    ],
)
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_chunker(spec)


def test_options_carry_the_rabin_chunker() -> None:
    options = resolve_options("unixfs-v0-2015", chunker="rabin-65536")
    assert options.chunker.spec == "rabin-21845-65536-98304"
    assert options.chunk_size == 98304


def test_fingerprint_is_the_window_modulo_the_polynomial() -> None:
    assert RABIN_POLY.bit_length() == 54  # degree 53
    x53 = bytes(9) + b"\x20" + bytes(6)  # the polynomial x**53
    assert rabin_fingerprint(x53) == (1 << 53) ^ RABIN_POLY
    window = random.Random(1).randbytes(RABIN_WINDOW)
    lo, hi = window[:8], window[8:]
    # linear over GF(2): the fingerprint of an XOR is the XOR of fingerprints
    assert rabin_fingerprint(window) == rabin_fingerprint(lo + bytes(8)) ^ rabin_fingerprint(
        bytes(8) + hi
    )
    with pytest.raises(ValueError, match="16 bytes"):
        rabin_fingerprint(bytes(15))


def test_mask_is_floor_log2_of_avg() -> None:
    assert [rabin_mask(a) for a in (17, 31, 32, 33, 63, 64)] == [15, 15, 31, 31, 31, 63]
    assert rabin_mask(262144) == (1 << 18) - 1


@pytest.mark.parametrize("mask", [0, 1, 7, 255, (1 << 18) - 1])
def test_candidates_match_the_definition(mask: int) -> None:
    """Every window, including those straddling the internal scan blocks (256 KiB)."""
    rng = random.Random(mask)
    data = bytearray(rng.randbytes(600_000))
    data[300_000:300_100] = bytes(100)  # zero windows: fingerprint 0, always a candidate
    found = set(rabin_cut_candidates(data, mask).tolist())
    block = 256 << 10
    probes = [*range(0, 40), *range(block - 40, block + 40), *range(2 * block - 40, 2 * block + 40)]
    probes += [*range(299_990, 300_120), *rng.sample(range(len(data) + 1), 3000), len(data)]
    for p in probes:
        expected = p >= RABIN_WINDOW and rabin_fingerprint(bytes(data[p - 16 : p])) & mask == 0
        assert (p in found) == expected, p


def test_candidates_of_short_data() -> None:
    assert rabin_cut_candidates(b"", 0).tolist() == []
    assert rabin_cut_candidates(bytes(15), 0).tolist() == []
    assert rabin_cut_candidates(bytes(16), 0).tolist() == [16]


def _definition(data: bytes, low: int, avg: int, high: int) -> list[bytes]:
    """Cut at the first offset at least ``low`` into the chunk whose 16-byte window
    passes the mask, else at ``high``, else at the end."""
    mask, out, start = rabin_mask(avg), [], 0
    while start < len(data):
        end = min(start + high, len(data))
        cut = next(
            (
                p
                for p in range(start + low, end + 1)
                if rabin_fingerprint(data[p - 16 : p]) & mask == 0
            ),
            end,
        )
        out.append(data[start:cut])
        start = cut
    return out or [b""]


def _rolling(data: bytes, low: int, avg: int, high: int) -> Iterator[bytes]:
    """boxo's state machine: per chunk, a window of 15 zeros and a 1 (the seed), the first
    ``low - 16`` bytes not fed to it, then one byte at a time, testing from ``low`` bytes on."""
    mask, start = rabin_mask(avg), 0
    while start < len(data):
        window = bytearray(15) + b"\x01"
        count = min(low - 16, len(data) - start)
        while start + count < len(data):
            window = window[1:] + data[start + count : start + count + 1]
            count += 1
            digest = rabin_fingerprint(bytes(window))
            if count >= low and (digest & mask == 0 or count >= high):
                break
        yield data[start : start + count]
        start += count


@pytest.mark.parametrize("seed", range(12))
def test_chunks_match_the_models(seed: int) -> None:
    rng = random.Random(seed)
    low = rng.choice([16, 17, 40, 100])
    avg = rng.randint(low + 1, 4 * low)
    high = rng.randint(avg + 1, 3 * avg)
    size = rng.choice([0, 1, 15, 16, 17, low - 1, low, high, high + 1, 3000, 20_000])
    kind = rng.choice(["random", "zeros", "pattern"])
    data = (
        rng.randbytes(size)
        if kind == "random"
        else bytes(size)
        if kind == "zeros"
        else (rng.randbytes(rng.randint(1, 40)) * size)[:size]
    )
    expected = _definition(data, low, avg, high)
    assert (list(_rolling(data, low, avg, high)) or [b""]) == expected
    assert list(rabin_chunks(io.BytesIO(data), low, avg, high)) == expected
    trickled = rabin_chunks(TricklingStream(data, rng, most=3000), low, avg, high)
    assert list(trickled) == expected  # cuts never depend on how reads are split


@pytest.mark.parametrize("size", [0, 1, 87380, 87381, 393216, 393217, 3_000_000])
def test_default_chunks_tile_the_input(size: int) -> None:
    data = random.Random(size).randbytes(size)
    chunker = parse_chunker("rabin")
    chunks = list(chunker.split(io.BytesIO(data)))
    assert b"".join(chunks) == data
    assert all(len(c) <= chunker.size for c in chunks)
    assert all(len(c) >= chunker.min_size for c in chunks[:-1])  # only the tail may be short
    assert all(chunks) or chunks == [b""]  # never an empty chunk, but one for empty input


def test_uniform_data_cuts_at_min_or_max() -> None:
    chunker = parse_chunker("rabin-100-1000-5000")
    zeros = list(chunker.split(io.BytesIO(bytes(10_000))))  # fingerprint 0: cut at min
    assert [len(c) for c in zeros] == [100] * 100
    mask = rabin_mask(1000)
    byte = next(b for b in range(1, 256) if rabin_fingerprint(bytes([b]) * 16) & mask)
    flat = list(chunker.split(io.BytesIO(bytes([byte]) * 12_000)))  # never a match: cut at max
    assert [len(c) for c in flat] == [5000, 5000, 2000]


def test_chunks_refuse_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="min_size"):
        next(rabin_chunks(io.BytesIO(b"x"), 15, 32, 64))
    with pytest.raises(ValueError, match="min_size"):
        next(rabin_chunks(io.BytesIO(b"x"), 64, 32, 32))
