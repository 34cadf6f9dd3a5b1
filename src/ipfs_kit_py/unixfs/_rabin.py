"""Kubo's ``rabin`` chunker, cut for cut, with the fingerprint computed for every position at once.

boxo's ``rabin-MIN-AVG-MAX`` splitter is ``github.com/whyrusleeping/chunker`` (a fork
of restic's chunker) over the degree-53 polynomial ``IpfsRabinPoly``. What it does,
as established against Kubo v0.22 (``tests/interop/test_rabin_kubo.py``):

* The fingerprint is the Rabin fingerprint of a 16-byte window: the window read as
  a 128-bit big-endian number, i.e. a polynomial over GF(2) with the last byte as
  the lowest coefficients, reduced modulo ``RABIN_POLY``.
* A chunk ends at the first offset ``p`` at least MIN bytes past its start where
  the fingerprint of the 16 bytes before ``p`` has its low ``floor(log2(AVG))``
  bits all zero, or MAX bytes past its start, or at the end of the stream.
* boxo restarts the fingerprint at every chunk start (seeded with one byte of
  value 1) and skips the first ``MIN - 16`` bytes unhashed, so by the first offset
  where a cut is allowed the window holds exactly the 16 bytes before it and the
  seed has been shifted out: every fingerprint that matters is a pure function of
  its window. That is what lets us compute them all up front, independent of
  where earlier chunks were cut.

Vectorising: reduction modulo a polynomial is linear over GF(2). Split the window
into eight big-endian 16-bit words ``w_k`` (``w_0`` the last two bytes), so the
window is ``XOR_k w_k << 16k``. For ``k <= 2`` the term has degree < 53 and is
its own remainder; for ``k >= 3`` its remainder is a table lookup on ``w_k`` (five
tables of 65536 entries). Only the low bits of the fingerprint are ever tested
(AVG < 2**20 after parsing), so the tables keep its low 32 bits. Per position
that is five gathers and XORs in numpy, over blocks small enough to stay in
cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "RABIN_POLY",
    "RABIN_WINDOW",
    "rabin_chunks",
    "rabin_cut_candidates",
    "rabin_fingerprint",
    "rabin_mask",
]

#: boxo's ``IpfsRabinPoly``: an irreducible polynomial of degree 53 over GF(2).
RABIN_POLY = 17437180132763653
#: Bytes in the rolling window (whyrusleeping/chunker's ``windowSize``).
RABIN_WINDOW = 16

_DEGREE = RABIN_POLY.bit_length() - 1
#: The 16-bit words of the window whose term reaches degree 53 need a table.
_FIRST_TABLED_WORD = _DEGREE // 16
_WORDS = RABIN_WINDOW // 2
#: Bytes read at a time, and windows fingerprinted per vector pass (small enough
#: that the pass's arrays stay in cache).
_SCAN_BLOCK = 1 << 20
_PIECE = 64 << 10


def _polymod(value: int) -> int:
    """``value`` modulo ``RABIN_POLY``, both read as polynomials over GF(2)."""
    while (top := value.bit_length() - 1) >= _DEGREE:
        value ^= RABIN_POLY << (top - _DEGREE)
    return value


def rabin_fingerprint(window: bytes) -> int:
    """The Rabin fingerprint boxo tests at the end of ``window`` (its 16 bytes, in order).

    >>> rabin_fingerprint(bytes(16))
    0
    >>> rabin_fingerprint(bytes(15) + b"\\x01")  # the last byte is the lowest coefficients
    1
    """
    if len(window) != RABIN_WINDOW:
        raise ValueError(f"a window is {RABIN_WINDOW} bytes, not {len(window)}")
    return _polymod(int.from_bytes(window, "big"))


def rabin_mask(avg_size: int) -> int:
    """The bits that must be zero for a cut: the low ``floor(log2(avg_size))`` bits.

    >>> hex(rabin_mask(262144)), hex(rabin_mask(262143))
    ('0x3ffff', '0x1ffff')
    """
    if avg_size < 1:
        raise ValueError(f"average chunk size must be positive, not {avg_size}")
    return (1 << (avg_size.bit_length() - 1)) - 1


@cache
def _word_tables() -> tuple[npt.NDArray[np.uint32], ...]:
    """For ``k`` from 3 to 7: low 32 bits of ``(w << 16k) mod RABIN_POLY`` for every word ``w``."""
    import numpy as np

    tables = []
    for k in range(_FIRST_TABLED_WORD, _WORDS):
        table = np.zeros(1, dtype=np.uint32)
        for bit in range(16):  # linear in w: add one basis remainder per bit of the index
            basis = np.uint32(_polymod(1 << (16 * k + bit)) & 0xFFFFFFFF)
            table = np.concatenate((table, table ^ basis))
        tables.append(table)
    return tuple(tables)


class _Scanner:
    """Finds cut candidates piece by piece, in scratch arrays reused from piece to piece."""

    def __init__(self) -> None:
        import numpy as np

        self._tables = _word_tables()
        size = _PIECE + RABIN_WINDOW - 1
        self._words = np.empty(size, dtype=np.uint16)
        self._index = np.empty(size, dtype=np.intp)
        self._acc = np.empty(size, dtype=np.uint32)
        self._term = np.empty(size, dtype=np.uint32)

    def candidates(self, data: npt.NDArray[np.uint8], mask: int) -> npt.NDArray[np.intp]:
        """Offsets ``p`` (16 up to ``len(data)``) where window ``data[p-16:p]`` passes ``mask``."""
        import numpy as np

        if not 0 <= mask <= 0xFFFFFFFF:
            raise ValueError(f"only the low 32 bits of the fingerprint are computed: {mask:#x}")
        found = [np.empty(0, dtype=np.intp)]
        for lo in range(0, len(data) - (RABIN_WINDOW - 1), _PIECE):
            piece = data[lo : lo + _PIECE + RABIN_WINDOW - 1]
            found.append(self._piece(piece, mask) + (lo + RABIN_WINDOW))
        return np.concatenate(found)

    def _piece(self, data: npt.NDArray[np.uint8], mask: int) -> npt.NDArray[np.intp]:
        """Indices ``i`` of the windows ``data[i : i + 16]`` that pass ``mask``."""
        import numpy as np

        n = len(data) - (RABIN_WINDOW - 1)
        words = self._words[: len(data) - 1]  # words[i] = data[i] << 8 | data[i + 1]
        np.left_shift(data[:-1], 8, out=words, dtype=np.uint16)
        words |= data[1:]
        index = self._index[: len(words)]
        index[...] = words
        acc, term = self._acc[:n], self._term[:n]
        last = RABIN_WINDOW - 2  # word k of window i is words[i + last - 2k]
        np.left_shift(words[last - 2 : last - 2 + n], 16, out=acc, dtype=np.uint32)
        # words 0 and 1 are their own remainder, word 2 has none of the low 32 bits
        acc |= words[last : last + n]
        for k, table in enumerate(self._tables, start=_FIRST_TABLED_WORD):
            start = last - 2 * k
            np.take(table, index[start : start + n], out=term, mode="wrap")  # never wraps
            acc ^= term
        acc &= np.uint32(mask)
        return np.flatnonzero(acc == 0)


def rabin_cut_candidates(data: bytes | bytearray | memoryview, mask: int) -> npt.NDArray[np.intp]:
    """Offsets ``p`` (from 16 up to ``len(data)``) where ``rabin_fingerprint(data[p-16:p]) & mask``
    is zero: where boxo's rabin may cut, size limits permitting.

    >>> rabin_cut_candidates(bytes(18), rabin_mask(1024)).tolist()
    [16, 17, 18]
    """
    import numpy as np

    return _Scanner().candidates(np.frombuffer(data, dtype=np.uint8), mask)


def rabin_chunks(fp: BinaryIO, min_size: int, avg_size: int, max_size: int) -> Iterator[bytes]:
    """The chunks of ``fp`` as Kubo's ``rabin-MIN-AVG-MAX`` cuts them.

    An empty stream is one empty chunk; otherwise no chunk is empty, and only the
    last may be shorter than ``min_size``. Memory stays within about
    ``max_size`` plus a few scan blocks, whatever the stream's length.

    >>> import io
    >>> [len(c) for c in rabin_chunks(io.BytesIO(bytes(100)), 16, 32, 64)]
    [16, 16, 16, 16, 16, 16, 4]
    """
    import numpy as np

    if not RABIN_WINDOW <= min_size <= max_size:
        raise ValueError(f"need {RABIN_WINDOW} <= min_size <= max_size, not {min_size}, {max_size}")
    mask = rabin_mask(avg_size)
    scanner = _Scanner()
    buf = bytearray()  # the stream from offset ``base`` on
    base = 0
    start = 0  # where the next chunk starts
    cuts = np.empty(0, dtype=np.intp)  # candidate cut offsets, ascending (some may be stale)
    eof = False
    while True:
        end = base + len(buf)
        if not eof and end - start < max_size:
            block = fp.read(_SCAN_BLOCK)
            if not block:
                eof = True
                continue
            lo = max(base, end - (RABIN_WINDOW - 1))  # windows straddling the old end
            buf += block
            data = np.frombuffer(buf, dtype=np.uint8)[lo - base :]
            found = scanner.candidates(data, mask) + lo
            del data  # release the export of ``buf`` before it is resized again
            live = cuts[np.searchsorted(cuts, start) :]
            cuts = np.concatenate((live, found)) if len(live) else found
            continue
        remaining = end - start
        if remaining == 0:  # only at the end of the stream
            if start == 0:
                yield b""
            return
        limit = start + min(remaining, max_size)
        i = int(np.searchsorted(cuts, start + min_size))
        # the first candidate in range; else max_size is reached, or the stream's tail
        cut = int(cuts[i]) if i < len(cuts) and cuts[i] <= limit else limit
        yield bytes(memoryview(buf)[start - base : cut - base])
        start = cut
        if start - base > _SCAN_BLOCK:  # drop consumed bytes
            del buf[: start - base]
            base = start
