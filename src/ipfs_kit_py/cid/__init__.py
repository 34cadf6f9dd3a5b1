"""Content identifiers: CID, multihash, multibase, multicodec.

Design note
-----------
This package is the only place that knows the multiformats wire formats and
the only place that imports the ``multiformats`` library (lazily, for rare
bases and codec names). Everything above it handles :class:`CID` values, which
are immutable, hashable and compare by their binary form.

Invariants: every parser here is strict (minimal varints, exact multihash
lengths, no trailing bytes, canonical CIDv0 form) and raises
:class:`~ipfs_kit_py.errors.InvalidCIDError` /
:class:`~ipfs_kit_py.errors.InvalidMultihashError` with a message that says
what is wrong. Trade-off: the common bases and the CID itself are hand-written
for speed; ``bench/cid.py`` measures the gain against ``multiformats``.
"""

from __future__ import annotations

from ipfs_kit_py.cid import _multibase as multibase
from ipfs_kit_py.cid import _multicodec as multicodec
from ipfs_kit_py.cid import _multihash as multihash
from ipfs_kit_py.cid._cid import CID
from ipfs_kit_py.cid._varint import decode_varint, encode_varint

__all__ = ["CID", "decode_varint", "encode_varint", "multibase", "multicodec", "multihash"]
