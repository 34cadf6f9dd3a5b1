"""The IPLD data model as Python values, shared by the dag-cbor and dag-json encoders."""

from __future__ import annotations

from typing import Any

from ipfs_kit_py.errors import EncodeError

__all__ = ["plain"]


def plain(value: Any, codec: str) -> Any:
    """Turn a subclass of a data-model kind (an ``IntEnum``, a ``str`` subclass,
    a ``NamedTuple``) into the plain kind, or raise :class:`EncodeError`."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, list | tuple):
        return list(value)
    raise EncodeError(f"{codec} cannot encode {type(value).__name__}")
