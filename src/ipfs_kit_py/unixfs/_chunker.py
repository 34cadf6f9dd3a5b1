"""Chunkers: how a byte stream is cut into UnixFS leaves, with Kubo's names and cuts.

``size-N`` cuts every N bytes (the importer reads those straight into recycled
buffers). ``buzhash`` is boxo's content-defined chunker, cut for cut: a 32-byte
rolling buzhash over a fixed table of 256 words, no cut before 128 KiB, a cut
where the low 17 bits of the hash are zero, at most 512 KiB per chunk.

Written by hand because no Python library implements boxo's buzhash (its table,
window and cut rule are its own). A byte-at-a-time rolling loop would crawl in
Python, so the hash is computed for every position at once with numpy: the hash
of a window is the XOR of its bytes' table words, each rotated by its distance
from the window's end (rotating a 32-bit word by 32 is the identity, which is
why the rolling form can drop the outgoing byte's word unrotated), and that sum
over 32 positions folds in five doubling steps.

``rabin`` (``rabin-AVG``, ``rabin-MIN-AVG-MAX``) is boxo's other content-defined
chunker: a Rabin fingerprint of a 16-byte window over the polynomial
``IpfsRabinPoly``, a cut where its low ``floor(log2(AVG))`` bits are zero, chunks
from MIN to MAX bytes (``rabin-AVG`` is ``rabin-AVG/3-AVG-AVG*3/2``, ``rabin`` is
``rabin-262144``). It lives in ``_rabin.py``, also written by hand: no Python
library implements boxo's variant (the polynomial, the 16-byte window, the
fingerprint restarted at every chunk with its first MIN-16 bytes skipped, the
mask taken from AVG), which CIDs depend on to the byte, and a byte-at-a-time
loop would crawl just as buzhash's would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Literal

from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs._rabin import RABIN_WINDOW, rabin_chunks

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MAX_CHUNK_SIZE", "Chunker", "parse_chunker"]

#: Kubo refuses chunks above 1 MiB (the largest block peers exchange is 2 MiB).
MAX_CHUNK_SIZE = 1 << 20

BUZHASH_MIN = 128 << 10
BUZHASH_MAX = 512 << 10
BUZHASH_MASK = (1 << 17) - 1
BUZHASH_WINDOW = 32

#: boxo's ``bytehash`` table: 256 little-endian uint32 words (read out of Kubo v0.22's
#: binary; ``tests/interop/test_chunkers_kubo.py`` checks it against that binary).
BUZHASH_TABLE = bytes.fromhex(
    "d5e736620b9b271082818172146552dc3d1ed42fc8f87e778552ee8337368f2c1a9c042f9197df571f1507921848549b58f6ee7460ca28201ad971027e58ae27"
    "5ffaf9eccd716e232e8a3af48033b10b2c91579edb6ca289713dcf9ff1a66da876f3499cc7ec6a34eea994f0cbe999eac61317b0fbcf8a08fba060296c624a34"
    "462af27fa51a7a6d1649716aca54d44130b8258363f5650bcaec7f445eead0f9d4d3d9c174c55ecb02e9aa55e7c0ed86339e3a0de1c10de739f6c5e30a14439b"
    "c50a49c6fb30405ed56d978eea6874a86fef30f8a5d51ecc784e1f610519d1dd043961f2b9676c56cc5c5a90a4b3377b8a89534b9dd28f6b7515d8aa14e41b51"
    "e7c1fa3c79a12980dafe0ed4020e3807fdef9bdc8290042d3178bc99a80250ff4676ce219b04cd014f99430fa5c5c6c3505fdabbc75ec10eb619db9ab9801e0c"
    "6829b5b9192416ae05b442259d2ea49168f6e06bb9a6d76eb47727bc56ce62e1d5aa664204b7fd60a532f866caf69595ed3ce8fe998d2255280ebf1259648966"
    "daaf8907a8ba820243a36723b0911459b1a4f12fb6390741a055709b29b20e2e5282fc24dfd32733692678b069e0621c0131507fae9305f55d27ebd978b60ee0"
    "decc17590a66b9972d2006dd229e22edbf35c7a9e66f31d64c2ec76fa2df06025a5cb1d6497bd8694577c909615d4413aa75a935b9a99a85130038659163fbd1"
    "fd5592c2913b4a78264ce7b9404dce639ebe7cc09e52e4e62f63b30fc9d93894a8942f681146fdf8edc17e25d6e35c47b12dee6002b0fa2a78489e2bde40b386"
    "cafd8214bfb341feb012a4d48cb99de0535dafc15fe2557e386b34d3bd2ca1b7ba27689cee8bf771520f3a8cb091041512e96df24e3a3e23baeb09d3ffe0a9a0"
    "21592bca3c89b9ee889e82332acc7098d0b9c423a32ea3eb224dacbd4cc4c83b97038d1e357732f99f003b784237b80e71dc2126037d01eda10a765c4b81695a"
    "7f04e396de9c3ca9f5865c61a52a32b44d532542e32d2e0d4bccfccc572aac0b046da0f037d778bc66f7d1f23c95a7f585dadfbcd5b7135228a3e8bc185f8fd3"
    "444209db531257feeea77f31434f324ad939fc3f8efab3519fee4b7a82c6bb7850035c9f6c28fe0286b65a24d7f76bed8a98c40afa10e03f69e35fc6cb4957a4"
    "37e5842b63f39fde9a0f5420349b8caab376c45bd74b571dad0091924dde2147051bdf274685b1586467e7b7584e90dfa157af9733c44dbdfd6d25a6f39839f6"
    "3358e0f126cf0ae2d6d97ff54d0b30909042df89bc1cd068e33e89cf46a042cc1b188e77765c2667c4a481e9a11d998294728f7062aee2e6701844fcb6b0e195"
    "25f845047fb4935abef49c5ee771da84b082959def35f89be2611f59855932432ee32d5d0fbf8f8d380fb3956e5bad07df4e934e0e99d43c59e253907d85415c"
)

#: Bytes read at a time, and hashed per vector pass (small enough to stay in cache).
_SCAN_BLOCK = 1 << 20
_HASH_PIECE = 32 << 10


@dataclass(frozen=True, slots=True, repr=False)
class Chunker:
    """A parsed ``--chunker`` value.

    >>> parse_chunker("size-1000")
    Chunker(kind='size', size=1000)
    >>> parse_chunker("buzhash").spec
    'buzhash'
    >>> parse_chunker("rabin")
    Chunker(kind='rabin', size=393216, min_size=87381, avg_size=262144)
    >>> parse_chunker("rabin-min:16-avg:32-max:64").spec
    'rabin-16-32-64'
    """

    kind: Literal["size", "buzhash", "rabin"]
    size: int  # the fixed size, or the largest chunk a content-defined chunker makes
    min_size: int = 0  # rabin: the smallest chunk but the last
    avg_size: int = 0  # rabin: the chunk size it aims for (sets how many bits a cut tests)

    def __repr__(self) -> str:
        rabin = (
            f", min_size={self.min_size}, avg_size={self.avg_size}" if self.kind == "rabin" else ""
        )
        return f"Chunker(kind={self.kind!r}, size={self.size}{rabin})"

    @property
    def spec(self) -> str:
        """The chunker in Kubo's syntax."""
        if self.kind == "size":
            return f"size-{self.size}"
        if self.kind == "rabin":
            return f"rabin-{self.min_size}-{self.avg_size}-{self.size}"
        return self.kind

    @property
    def fixed(self) -> bool:
        """Cuts at fixed offsets (``size-N``)."""
        return self.kind == "size"

    def split(self, fp: BinaryIO) -> Iterator[bytes]:
        """The chunks of ``fp`` for a content-defined chunker, as Kubo cuts them.

        An empty stream is one empty chunk; otherwise no chunk is empty.
        """
        if self.kind == "buzhash":
            return _buzhash_chunks(fp)
        if self.kind == "rabin":
            return rabin_chunks(fp, self.min_size, self.avg_size, self.size)
        raise ValueError(f"{self.spec} is not content-defined")


def parse_chunker(spec: str) -> Chunker:
    """Parse Kubo's ``--chunker`` syntax: ``size-N`` (``size`` alone: 256 KiB), ``buzhash``,
    ``rabin``, ``rabin-AVG`` or ``rabin-MIN-AVG-MAX`` (see :func:`_parse_rabin`).

    >>> parse_chunker("size")
    Chunker(kind='size', size=262144)
    >>> parse_chunker("size-0")
    Traceback (most recent call last):
    ...
    ipfs_kit_py.errors.InvalidInputError: bad chunker 'size-0': size must be in 1..1048576
    """
    kind, _, arg = spec.partition("-")
    if kind == "size":
        try:
            size = int(arg) if arg else 256 * 1024
        except ValueError:
            raise InvalidInputError(f"bad chunker {spec!r}: size must be an integer") from None
        if not 0 < size <= MAX_CHUNK_SIZE:
            raise InvalidInputError(f"bad chunker {spec!r}: size must be in 1..{MAX_CHUNK_SIZE}")
        return Chunker("size", size)
    if spec == "buzhash":
        return Chunker("buzhash", BUZHASH_MAX)
    if kind == "rabin":
        return _parse_rabin(spec)
    raise InvalidInputError(f"unknown chunker {spec!r} (expected size-N, buzhash or rabin)")


#: ``rabin`` alone aims at boxo's ``DefaultBlockSize``.
RABIN_DEFAULT_AVG = 256 * 1024
#: What Go's ``strconv.Atoi`` takes: an optional sign and ASCII digits, nothing else.
_GO_INT = re.compile(r"[+-]?[0-9]+")


def _parse_rabin(spec: str) -> Chunker:
    """boxo's ``parseRabinString``, a little stricter.

    ``rabin-AVG`` means ``rabin-AVG/3-AVG-AVG+AVG/2`` (integer division), refused
    when that MAX exceeds 1 MiB. ``rabin-MIN-AVG-MAX`` takes each number bare or
    labelled (``min:16-avg:32-max:64``, labels in that order) and needs
    ``16 <= MIN < AVG < MAX <= 1 MiB``, as Kubo does. Stricter than Kubo: we refuse
    ``rabin-AVG`` below 48 (Kubo takes it, but with MIN under 16 it never cuts,
    making the whole file one chunk), a label with more than one colon (Kubo
    reads ``min:x:16`` as 16) and anything after ``rabin`` but a dash (Kubo reads
    ``rabinfoo`` as ``rabin``).
    """
    bad = f"bad chunker {spec!r}"

    def number(text: str, label: str | None) -> int:
        name, colon, value = text.partition(":")
        if colon and label is not None:
            if name != label:
                raise InvalidInputError(f"{bad}: expected {label}:N or N, not {text!r}")
            text = value
        if not _GO_INT.fullmatch(text):
            raise InvalidInputError(
                f"{bad}: {label or 'the size'} must be an integer, not {text!r}"
            )
        return int(text)

    parts = spec.split("-")[1:]
    if len(parts) <= 1:
        avg = number(parts[0], None) if parts else RABIN_DEFAULT_AVG
        low, high = avg // 3, avg + avg // 2
        if high > MAX_CHUNK_SIZE:
            raise InvalidInputError(f"{bad}: max (avg*3/2 = {high}) exceeds {MAX_CHUNK_SIZE}")
        if low < RABIN_WINDOW:
            raise InvalidInputError(
                f"{bad}: min (avg/3 = {low}) must be at least {RABIN_WINDOW}, so avg at least 48"
            )
        return Chunker("rabin", high, low, avg)
    if len(parts) != 3:
        raise InvalidInputError(f"{bad}: expected rabin, rabin-AVG or rabin-MIN-AVG-MAX")
    low, avg, high = (
        number(p, label) for p, label in zip(parts, ("min", "avg", "max"), strict=True)
    )
    if low < RABIN_WINDOW:
        raise InvalidInputError(f"{bad}: min must be at least {RABIN_WINDOW}")
    if not low < avg < high:
        raise InvalidInputError(f"{bad}: need min < avg < max")
    if high > MAX_CHUNK_SIZE:
        raise InvalidInputError(f"{bad}: max exceeds {MAX_CHUNK_SIZE}")
    return Chunker("rabin", high, low, avg)


def buzhash_cut_candidates(data: bytes | bytearray | memoryview) -> npt.NDArray[np.intp]:
    """Offsets ``c`` (from 32 up to ``len(data)``) where the hash of the 32 bytes before
    ``c`` has its low 17 bits zero: where boxo's buzhash may cut.

    >>> buzhash_cut_candidates(bytes(31)).tolist()
    []
    """
    import numpy as np

    table = np.frombuffer(BUZHASH_TABLE, dtype="<u4")
    octets = np.frombuffer(data, dtype=np.uint8)
    found = []
    # pieces that stay in cache: numpy's passes are bound by memory traffic otherwise
    for lo in range(0, max(len(octets) - (BUZHASH_WINDOW - 1), 0), _HASH_PIECE):
        words = table[octets[lo : lo + _HASH_PIECE + BUZHASH_WINDOW - 1]]
        high = np.empty_like(words)
        low = np.empty_like(words)
        span = 1
        while span < BUZHASH_WINDOW:  # words[p] becomes the hash of the 2*span bytes ending there
            n = len(words) - span
            np.left_shift(words[:n], span, out=high[:n])
            np.right_shift(words[:n], 32 - span, out=low[:n])
            np.bitwise_or(high[:n], low[:n], out=high[:n])
            np.bitwise_xor(high[:n], words[span:], out=words[:n])
            words = words[:n]
            span *= 2
        np.bitwise_and(words, BUZHASH_MASK, out=words)
        found.append(np.flatnonzero(words == 0) + (lo + BUZHASH_WINDOW))
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _buzhash_chunks(fp: BinaryIO) -> Iterator[bytes]:
    buf = bytearray()  # the stream from offset ``base`` on
    base = 0
    start = 0  # where the next chunk starts
    eof = False
    while True:
        while not eof and base + len(buf) < start + BUZHASH_MAX:
            block = fp.read(_SCAN_BLOCK)
            eof = not block
            buf += block
        remaining = base + len(buf) - start
        if eof and remaining < BUZHASH_MIN:
            # boxo's splitter hands out the tail even when it is empty; Kubo's DAG
            # builder adds no leaf for it unless the whole file is empty
            if remaining or start == 0:
                yield bytes(memoryview(buf)[start - base :])
            return
        limit = start + min(remaining, BUZHASH_MAX)
        cut = limit
        # hash only where a cut is allowed, piece by piece, until the first candidate:
        # cut c is tested on the window [c - 32, c), for c in [start + MIN, limit)
        lo = start + BUZHASH_MIN
        while lo < limit:
            hi = min(lo + _HASH_PIECE, limit)
            with memoryview(buf) as view:
                found = buzhash_cut_candidates(view[lo - BUZHASH_WINDOW - base : hi - 1 - base])
            if len(found):
                cut = lo - BUZHASH_WINDOW + int(found[0])
                break
            lo = hi
        yield bytes(memoryview(buf)[start - base : cut - base])
        start = cut
        if start - base >= _SCAN_BLOCK:  # drop what has been handed out
            del buf[: start - base]
            base = start
