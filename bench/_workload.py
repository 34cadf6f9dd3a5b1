"""What the benchmarks share: seeded synthetic inputs, progress lines, package versions,
plain-text tables."""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

MIB = 1 << 20


def make_file(path: Path, size: int, seed: int) -> None:
    """``size`` bytes from ``random.Random(seed)``, written 1 MiB at a time, then read once
    (so the page cache is warm for every tool alike)."""
    rng = random.Random(seed)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, MIB)
            f.write(rng.randbytes(n))
            left -= n
    with path.open("rb") as f:
        while f.read(8 * MIB):
            pass


def log(msg: str) -> None:
    """A progress line on stderr (stdout is the report)."""
    print(msg, file=sys.stderr, flush=True)


def dist_version(dist: str) -> str | None:
    """The installed version of a distribution, or ``None``."""
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> None:
    """Columns padded to their widest cell (``numeric`` ones right-aligned), a rule under
    the header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for n, row in enumerate([header, *rows]):
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
