"""Chunker parsing and the invariants of content-defined cuts (Kubo parity is in interop)."""

from __future__ import annotations

import io
import random

import pytest

from helpers.chunking import TricklingStream
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs import resolve_options
from ipfs_kit_py.unixfs._chunker import (
    BUZHASH_MAX,
    BUZHASH_MIN,
    MAX_CHUNK_SIZE,
    Chunker,
    parse_chunker,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("size-1", Chunker("size", 1)),
        ("size-262144", Chunker("size", 262144)),
        ("size", Chunker("size", 262144)),
        (f"size-{MAX_CHUNK_SIZE}", Chunker("size", MAX_CHUNK_SIZE)),
        ("buzhash", Chunker("buzhash", BUZHASH_MAX)),
    ],
)
def test_parse(spec: str, expected: Chunker) -> None:
    assert parse_chunker(spec) == expected
    assert parse_chunker(expected.spec) == expected


@pytest.mark.parametrize(
    "spec", ["size-0", "size--1", "size-x", f"size-{MAX_CHUNK_SIZE + 1}", "buzhash-1", "", "fixed"]
)
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_chunker(spec)


def test_options_carry_the_chunker() -> None:
    options = resolve_options("unixfs-v0-2015", chunker="buzhash")
    assert options.chunker.spec == "buzhash"
    assert options.chunk_size == BUZHASH_MAX
    assert resolve_options().chunker.spec == "size-1048576"


@pytest.mark.parametrize("size", [0, 1, BUZHASH_MIN - 1, BUZHASH_MIN, BUZHASH_MAX + 1, 5_000_000])
def test_buzhash_chunks_tile_the_input(size: int) -> None:
    data = random.Random(size).randbytes(size)
    chunks = list(parse_chunker("buzhash").split(io.BytesIO(data)))
    assert b"".join(chunks) == data
    assert all(len(c) <= BUZHASH_MAX for c in chunks)
    assert all(len(c) >= BUZHASH_MIN for c in chunks[:-1])  # only the tail may be short
    assert all(chunks) or chunks == [b""]  # never an empty chunk, but one for empty input
    # cuts depend only on the bytes, never on how reads happen to be split
    trickled = list(parse_chunker("buzhash").split(TricklingStream(data, random.Random(1))))
    assert trickled == chunks


def test_buzhash_cuts_repetitive_data_repetitively() -> None:
    block = random.Random(3).randbytes(300_000)
    chunks = list(parse_chunker("buzhash").split(io.BytesIO(block * 12)))
    assert len(set(chunks[1:-1])) < len(chunks[1:-1])  # repeats are found again
