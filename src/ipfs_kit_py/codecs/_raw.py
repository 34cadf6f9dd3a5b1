"""raw (0x55): the bytes are the value. Leaves of UnixFS files use it."""

from __future__ import annotations

from collections.abc import Iterator

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import EncodeError

__all__ = ["CODE", "NAME", "decode", "encode", "links"]

NAME = "raw"
CODE = 0x55


def encode(value: object) -> bytes:
    """Return the bytes of a bytes-like value unchanged."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise EncodeError(f"raw can only encode bytes, not {type(value).__name__}")
    return bytes(value)


def decode(data: bytes | bytearray | memoryview) -> bytes:
    """Return the block's bytes."""
    return bytes(data)


def links(data: bytes | bytearray | memoryview) -> Iterator[CID]:
    """A raw block links to nothing."""
    return iter(())
