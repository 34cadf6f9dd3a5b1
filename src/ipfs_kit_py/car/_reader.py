"""Streaming CAR reader (v1 and v2): one section in memory at a time."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO

from ipfs_kit_py.car._format import (
    PRAGMA_V2,
    V2_HEADER_SIZE,
    CarHeader,
    CarLimits,
    CarV2Header,
    check_section_length,
    decode_header_body,
    parse_v1_header,
    read_exact,
    read_uvarint,
)
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import CARError, CARLimitError, InvalidCIDError

__all__ = ["CarReader", "CarSection"]


@dataclass(frozen=True, slots=True)
class CarSection:
    """A block and where its section starts, relative to the CARv1 payload."""

    block: Block
    offset: int


class CarReader:
    """Read a CARv1 or CARv2 file as a stream of blocks.

    Holds one section in memory at a time. With ``verify=True`` every block is
    hashed and an :class:`~ipfs_kit_py.errors.IntegrityError` naming its CID is
    raised on the first mismatch.

    >>> import io
    >>> from ipfs_kit_py.car import write_car
    >>> from ipfs_kit_py.codecs import Block
    >>> block = Block.from_data(b"hello")
    >>> buf = io.BytesIO()
    >>> write_car(buf, [block.cid], [block])
    1
    >>> reader = CarReader(io.BytesIO(buf.getvalue()))
    >>> [str(b.cid) for b in reader] == [str(block.cid)]
    True
    """

    def __init__(
        self,
        fp: BinaryIO,
        *,
        verify: bool = False,
        limits: CarLimits | None = None,
        close: bool = False,
    ) -> None:
        self._fp = fp
        self._close = close
        self.verify = verify
        self.limits = limits or CarLimits()
        self.v2_header: CarV2Header | None = None
        self._pos = 0  # offset within the CARv1 payload
        self._end: int | None = None  # payload size for CARv2
        self.header = self._read_headers()
        self._consumed = False

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, verify: bool = False, limits: CarLimits | None = None
    ) -> CarReader:
        """Open a CAR file by path; use as a context manager to close it."""
        fp = open(path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        try:
            return cls(fp, verify=verify, limits=limits, close=True)
        except BaseException:
            fp.close()
            raise

    # -- headers ------------------------------------------------------------------------

    def _read_headers(self) -> CarHeader:
        fp = self._fp
        length = read_uvarint(fp, "CAR header length")
        if length is None:
            raise CARError("empty file: no CAR header")
        if length > self.limits.max_header_size:
            raise CARLimitError(f"CAR header of {length} bytes is over the limit")
        body = read_exact(fp, length, "CAR header")
        value = decode_header_body(body)
        if value["version"] != 2:
            self._pos = _varint_len(length) + length
            return parse_v1_header(value)
        if bytes([length]) + body != PRAGMA_V2:
            raise CARError("malformed CARv2 pragma")
        v2 = CarV2Header.decode(read_exact(fp, V2_HEADER_SIZE, "CARv2 header"))
        self.v2_header = v2
        skip = v2.data_offset - len(PRAGMA_V2) - V2_HEADER_SIZE
        if skip:
            _skip(fp, skip)
        self._end = v2.data_size
        inner_len = read_uvarint(fp, "CARv1 header length")
        if inner_len is None or inner_len > self.limits.max_header_size:
            raise CARError("missing or oversized CARv1 header inside CARv2")
        inner = decode_header_body(read_exact(fp, inner_len, "CARv1 header"))
        self._pos = _varint_len(inner_len) + inner_len
        header = parse_v1_header(inner)
        if self._pos > v2.data_size:
            raise CARError("CARv2 data size is smaller than its CARv1 header")
        return header

    @property
    def roots(self) -> tuple[CID, ...]:
        """The root CIDs named in the header."""
        return self.header.roots

    @property
    def version(self) -> int:
        """1 or 2."""
        return 1 if self.v2_header is None else 2

    # -- sections ----------------------------------------------------------------------

    def sections(self) -> Iterator[CarSection]:
        """Yield each section with its payload offset, in file order (once)."""
        if self._consumed:
            raise CARError("a CarReader can be iterated only once")
        self._consumed = True
        fp, limits, end = self._fp, self.limits, self._end
        while end is None or self._pos < end:
            offset = self._pos
            length = read_uvarint(fp, f"section at offset {offset}")
            if length is None:
                if end is not None:
                    raise CARError(f"truncated CARv2 payload: ends at {offset} of {end} bytes")
                return
            check_section_length(length, limits, offset)
            body = read_exact(fp, length, f"section at offset {offset}")
            self._pos = offset + _varint_len(length) + length
            if end is not None and self._pos > end:
                raise CARError(f"section at offset {offset} runs past the CARv2 data size")
            try:
                cid, cid_end = CID.decode_prefix(body)
            except InvalidCIDError as err:
                raise CARError(f"bad CID in section at offset {offset}: {err}") from err
            if length - cid_end > limits.max_block_size:
                raise CARLimitError(
                    f"block {cid} is {length - cid_end} bytes, over the "
                    f"{limits.max_block_size}-byte limit"
                )
            block = Block(cid, body[cid_end:])
            if self.verify:
                block.verify()
            yield CarSection(block, offset)

    def __iter__(self) -> Iterator[Block]:
        for section in self.sections():
            yield section.block

    # -- lifetime ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the underlying file if this reader opened it."""
        if self._close:
            self._fp.close()

    def __enter__(self) -> CarReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _varint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def _skip(fp: BinaryIO, n: int) -> None:
    if fp.seekable():
        fp.seek(n, io.SEEK_CUR)
        return
    while n:
        chunk = fp.read(min(n, 1 << 20))
        if not chunk:
            raise CARError("truncated CARv2: ends before its data payload")
        n -= len(chunk)
