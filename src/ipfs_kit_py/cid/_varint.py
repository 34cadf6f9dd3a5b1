"""Unsigned varints as the multiformats spec defines them.

At most 9 bytes (63 bits) and minimally encoded: a trailing ``0x00`` group, which
would give the same number a second encoding, is rejected. Written by hand
because it sits on every hot path (CID bytes, CAR sections) and the checks are
part of what makes a CID canonical.
"""

from __future__ import annotations

from ipfs_kit_py.errors import DecodeError, InvalidCIDError

__all__ = ["MAX_VARINT_BYTES", "decode_leb128", "decode_varint", "encode_leb128", "encode_varint"]

MAX_VARINT_BYTES = 9
_MAX_VALUE = (1 << 63) - 1
_MAX_U64 = (1 << 64) - 1
_SMALL = [bytes((i,)) for i in range(128)]


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer below 2**63."""
    if 0 <= value < 128:
        return _SMALL[value]
    if value < 0 or value > _MAX_VALUE:
        raise ValueError(f"varint out of range: {value}")
    return encode_leb128(value)


def encode_leb128(value: int) -> bytes:
    """Unsigned LEB128 with no range check: protobuf's varint (dag-pb allows 64 bits)."""
    if value < 128:
        return _SMALL[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(
    buf: bytes | bytearray | memoryview,
    offset: int = 0,
    error: type[Exception] = InvalidCIDError,
    what: str = "varint",
) -> tuple[int, int]:
    """Decode one varint at ``buf[offset:]``; return ``(value, next_offset)``.

    Raises ``error`` (default :class:`InvalidCIDError`) if the varint is truncated,
    longer than 9 bytes or not minimally encoded.
    """
    end = len(buf)
    if offset >= end:
        raise error(f"truncated {what}: no bytes left")
    b = buf[offset]
    if b < 0x80:
        return b, offset + 1
    value = b & 0x7F
    shift = 7
    i = offset + 1
    while True:
        if i >= end:
            raise error(f"truncated {what}")
        if i - offset >= MAX_VARINT_BYTES:
            raise error(f"{what} longer than {MAX_VARINT_BYTES} bytes")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0:
                raise error(f"{what} is not minimally encoded")
            return value, i
        shift += 7


def decode_leb128(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """Decode one protobuf varint (unsigned LEB128, at most 64 bits) in ``buf[pos:end]``.

    Unlike :func:`decode_varint`, non-minimal encodings are accepted, as protobuf
    decoders (and the dag-pb spec) accept them. Errors are :class:`DecodeError`
    whose message starts with ``what``.
    """
    value = shift = 0
    start = pos
    while True:
        if pos >= end:
            raise DecodeError(f"{what}: truncated varint at byte {start}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if value > _MAX_U64:
                raise DecodeError(f"{what}: varint at byte {start} exceeds 64 bits")
            return value, pos
        shift += 7
        if shift >= 70:
            raise DecodeError(f"{what}: varint at byte {start} is too long")
