"""ipfs_kit_py: content-addressed machine-learning artifacts on IPFS.

Design note
-----------
Every artifact gets the CID that Kubo, Helia and ipfs-car compute for the same
bytes, and every byte read is verified against its CID. Layers import
downwards only: ``cid`` (identifiers) < ``codecs`` (blocks) < ``car``
(transport) < node, edges and interfaces. Importing this package is cheap and
offline: heavy or optional dependencies load only when a feature needs them.
"""

from __future__ import annotations

from ipfs_kit_py._version import __version__
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import IPFSKitError

__all__ = ["CID", "Block", "IPFSKitError", "__version__"]
