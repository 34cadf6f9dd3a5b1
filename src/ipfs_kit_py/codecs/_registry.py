"""The :class:`Codec` protocol and the table of codecs by code and name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ipfs_kit_py.cid import CID, multicodec
from ipfs_kit_py.codecs import _dag_cbor, _dag_json, _dag_pb, _raw
from ipfs_kit_py.errors import UnsupportedError

__all__ = ["CODECS", "Codec", "get_codec"]


class Codec(Protocol):
    """Turns IPLD data-model values into block bytes and back."""

    @property
    def name(self) -> str: ...

    @property
    def code(self) -> int: ...

    def encode(self, value: Any, /) -> bytes: ...

    def decode(self, data: bytes | bytearray | memoryview, /) -> Any: ...

    def links(self, data: bytes | bytearray | memoryview, /) -> Iterator[CID]: ...


@dataclass(frozen=True, slots=True)
class _ModuleCodec:
    name: str
    code: int
    _module: Any

    def encode(self, value: Any, /) -> bytes:
        return bytes(self._module.encode(value))

    def decode(self, data: bytes | bytearray | memoryview, /) -> Any:
        return self._module.decode(data)

    def links(self, data: bytes | bytearray | memoryview, /) -> Iterator[CID]:
        links: Iterator[CID] = self._module.links(data)
        return links


#: Every codec we implement, by multicodec code.
CODECS: dict[int, Codec] = {
    m.CODE: _ModuleCodec(m.NAME, m.CODE, m) for m in (_raw, _dag_pb, _dag_cbor, _dag_json)
}
_BY_NAME = {c.name: c for c in CODECS.values()}


def get_codec(codec: int | str) -> Codec:
    """The codec for a multicodec code (``0x71``) or name (``"dag-cbor"``)."""
    found = _BY_NAME.get(codec) if isinstance(codec, str) else CODECS.get(codec)
    if found is None:
        name = codec if isinstance(codec, str) else multicodec.name_of(codec)
        raise UnsupportedError(f"codec {name} is not supported (have: {', '.join(_BY_NAME)})")
    return found
