"""CAR wire format: headers, the CARv2 pragma and fixed header, and limits."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._varint import MAX_VARINT_BYTES, encode_varint
from ipfs_kit_py.codecs import dag_cbor
from ipfs_kit_py.errors import CARError, CARLimitError, DecodeError

__all__ = [
    "DEFAULT_MAX_BLOCK_SIZE",
    "DEFAULT_MAX_HEADER_SIZE",
    "DEFAULT_MAX_SECTION_SIZE",
    "PRAGMA_V2",
    "CarHeader",
    "CarLimits",
    "CarV2Header",
]

DEFAULT_MAX_BLOCK_SIZE = 2 << 20  # what Kubo and the trustless gateway accept per block
DEFAULT_MAX_SECTION_SIZE = 8 << 20
DEFAULT_MAX_HEADER_SIZE = 8 << 20

#: ``varint(10) || dag-cbor {"version": 2}``: the first 11 bytes of every CARv2.
PRAGMA_V2 = bytes.fromhex("0aa16776657273696f6e02")
V2_HEADER_SIZE = 40
_V2_STRUCT = struct.Struct("<16sQQQ")
_FULLY_INDEXED = 0x80  # left-most bit of the 128-bit characteristics field


@dataclass(frozen=True, slots=True, kw_only=True)
class CarLimits:
    """Upper bounds a reader enforces before it allocates anything.

    Attributes:
        max_block_size: largest block payload accepted (default 2 MiB).
        max_section_size: largest section (CID + block) accepted (default 8 MiB).
        max_header_size: largest CARv1 header accepted (default 8 MiB).
    """

    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    max_section_size: int = DEFAULT_MAX_SECTION_SIZE
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE


@dataclass(frozen=True, slots=True)
class CarHeader:
    """The CARv1 header: roots and version (always 1 for the data payload)."""

    roots: tuple[CID, ...]
    version: int = 1

    def encode(self) -> bytes:
        """``varint(len) || dag-cbor {"roots": [...], "version": 1}``."""
        body = dag_cbor.encode({"roots": list(self.roots), "version": self.version})
        return encode_varint(len(body)) + body


@dataclass(frozen=True, slots=True)
class CarV2Header:
    """The fixed 40-byte CARv2 header that follows the pragma."""

    data_offset: int
    data_size: int
    index_offset: int = 0
    fully_indexed: bool = False

    def encode(self) -> bytes:
        chars = bytes([_FULLY_INDEXED if self.fully_indexed else 0]) + bytes(15)
        return _V2_STRUCT.pack(chars, self.data_offset, self.data_size, self.index_offset)

    @classmethod
    def decode(cls, raw: bytes) -> CarV2Header:
        if len(raw) != V2_HEADER_SIZE:
            raise CARError("truncated CARv2 header")
        chars, data_offset, data_size, index_offset = _V2_STRUCT.unpack(raw)
        if max(data_offset, data_size, index_offset) >= 1 << 63:
            raise CARError("malformed CARv2 header: offsets overflow")
        if data_offset < len(PRAGMA_V2) + V2_HEADER_SIZE:
            raise CARError(f"malformed CARv2 header: data offset {data_offset} inside the header")
        if index_offset and index_offset < data_offset + data_size:
            raise CARError("malformed CARv2 header: index overlaps the data payload")
        return cls(data_offset, data_size, index_offset, bool(chars[0] & _FULLY_INDEXED))


def read_uvarint(fp: BinaryIO, what: str) -> int | None:
    """Read one varint from a stream; ``None`` on a clean end of stream."""
    value = 0
    for i in range(MAX_VARINT_BYTES):
        b = fp.read(1)
        if not b:
            if i == 0:
                return None
            raise CARError(f"truncated {what}: stream ends inside its varint")
        byte = b[0]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            if byte == 0 and i > 0:
                raise CARError(f"{what} varint is not minimally encoded")
            return value
    raise CARError(f"{what} varint is longer than {MAX_VARINT_BYTES} bytes")


def read_exact(fp: BinaryIO, n: int, what: str) -> bytes:
    """Read exactly ``n`` bytes or raise :class:`CARError`."""
    data = fp.read(n)
    if len(data) != n:
        raise CARError(f"truncated {what}: expected {n} bytes, got {len(data)}")
    return data


def decode_header_body(body: bytes) -> dict[str, object]:
    """Decode the dag-cbor body of a CAR header into a map with a ``version``."""
    try:
        value = dag_cbor.decode(body)
    except DecodeError as err:
        raise CARError(f"malformed CAR header: {err}") from err
    if not isinstance(value, dict) or type(value.get("version")) is not int:
        raise CARError("malformed CAR header: expected a map with an integer 'version'")
    return value


def parse_v1_header(value: dict[str, object]) -> CarHeader:
    """Check a decoded CARv1 header map and return the :class:`CarHeader`."""
    if value["version"] != 1:
        raise CARError(f"unsupported CAR version {value['version']}")
    roots = value.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
        raise CARError("malformed CAR header: 'roots' must be a list of CIDs")
    return CarHeader(tuple(roots))


def check_section_length(length: int, limits: CarLimits, offset: int) -> None:
    """Refuse a section over the limit before reading it."""
    if length > limits.max_section_size:
        raise CARLimitError(
            f"section at offset {offset} is {length} bytes, over the "
            f"{limits.max_section_size}-byte limit"
        )
    if length == 0:
        raise CARError(f"empty section at offset {offset}")
