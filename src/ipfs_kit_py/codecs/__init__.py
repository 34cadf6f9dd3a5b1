"""IPLD codecs: raw, dag-pb, dag-cbor, dag-json, and the :class:`Block`.

Design note
-----------
A codec turns IPLD data-model values (``None``, ``bool``, ``int``, ``float``,
``str``, ``bytes``, ``list``, ``dict`` with ``str`` keys, :class:`CID`) into
bytes and back. Decoders are strict: they accept only the one canonical
encoding of a value, because a lenient decoder lets two byte strings (two CIDs)
stand for one value, and they raise :class:`~ipfs_kit_py.errors.DecodeError`
saying where the input is wrong. Encoders reproduce the bytes Kubo and the JS
reference implementations write, which the IPLD codec fixtures check.

Trade-off: all four are written by hand for strictness and speed; the modules
say why no library fits each one.
"""

from __future__ import annotations

from ipfs_kit_py.codecs import _dag_cbor as dag_cbor
from ipfs_kit_py.codecs import _dag_json as dag_json
from ipfs_kit_py.codecs import _dag_pb as dag_pb
from ipfs_kit_py.codecs import _raw as raw
from ipfs_kit_py.codecs._block import Block
from ipfs_kit_py.codecs._dag_pb import PBLink, PBNode
from ipfs_kit_py.codecs._registry import CODECS, Codec, get_codec

__all__ = [
    "CODECS",
    "Block",
    "Codec",
    "PBLink",
    "PBNode",
    "dag_cbor",
    "dag_json",
    "dag_pb",
    "get_codec",
    "raw",
]
