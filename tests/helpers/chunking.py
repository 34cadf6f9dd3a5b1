"""Shared by the chunker tests: a stream with ragged reads, and the Kubo comparison."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from ipfs_kit_py.unixfs import add_path, resolve_options


class TricklingStream(io.RawIOBase):
    """A stream that hands out between 1 and ``most`` bytes per read, at random."""

    def __init__(self, data: bytes, rng: random.Random, most: int = 70_000) -> None:
        self._data, self._pos, self._rng, self._most = data, 0, rng, most

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._rng.randint(1, self._most)
        n = n if size < 0 else min(size, n)
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        return out


def assert_same_as_kubo(directory: Path, repo: Path, chunker: str) -> None:
    """Our unixfs-v0-2015 root for ``directory`` equals Kubo's with ``chunker``.

    One Kubo call adds the whole directory; equal roots mean every file's DAG is
    equal. On a mismatch each file is compared on its own to name the culprits.
    """
    from helpers.kubo import kubo_add

    kubo = kubo_add(directory, repo=repo, chunker=chunker)
    options = resolve_options("unixfs-v0-2015", chunker=chunker)
    ours = str(add_path(directory, options)[-1].cid)
    if ours == kubo:
        return
    wrong = [
        path.name
        for path in sorted(directory.iterdir())
        if str(add_path(path, options)[-1].cid) != kubo_add(path, repo=repo, chunker=chunker)
    ]
    pytest.fail(f"{chunker}: root {ours} != Kubo's {kubo}; files that differ: {wrong}")
