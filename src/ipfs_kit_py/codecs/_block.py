"""A block: bytes together with the CID that names them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.cid._multicodec import SHA2_256
from ipfs_kit_py.codecs._registry import get_codec
from ipfs_kit_py.errors import IntegrityError

__all__ = ["Block"]


@dataclass(frozen=True, slots=True)
class Block:
    """Immutable ``(cid, data)`` pair. Construction does not hash; call :meth:`verify`.

    >>> block = Block.encode({"hello": "world"}, "dag-cbor")
    >>> str(block.cid)
    'bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae'
    >>> block.decode()
    {'hello': 'world'}
    """

    cid: CID
    data: bytes

    @classmethod
    def encode(
        cls, value: Any, codec: int | str, *, hash_code: int = SHA2_256, version: int = 1
    ) -> Block:
        """Encode ``value`` with ``codec`` and hash it into a block."""
        c = get_codec(codec)
        data = c.encode(value)
        return cls(CID.from_data(data, c.code, version=version, hash_code=hash_code), data)

    @classmethod
    def from_data(
        cls, data: bytes, codec: int | str = "raw", *, hash_code: int = SHA2_256
    ) -> Block:
        """Wrap already-encoded bytes, computing their CIDv1."""
        code = get_codec(codec).code if isinstance(codec, str) else codec
        return cls(CID.from_data(data, code, hash_code=hash_code), data)

    def verify(self) -> None:
        """Raise :class:`IntegrityError` unless ``data`` hashes to ``cid``."""
        try:
            multihash.verify(self.cid.multihash, self.data)
        except IntegrityError:
            raise IntegrityError(f"block {self.cid} does not match its content") from None

    def decode(self) -> Any:
        """Decode ``data`` with the codec the CID names."""
        return get_codec(self.cid.codec).decode(self.data)

    def links(self) -> Iterator[CID]:
        """The CIDs this block links to, in encoded order."""
        return get_codec(self.cid.codec).links(self.data)
