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

from typing import TYPE_CHECKING, Any

from ipfs_kit_py._version import __version__
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import IPFSKitError

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["CID", "Block", "IPFSKitError", "IPFSSimpleAPI", "__version__"]


def __getattr__(name: str) -> Any:
    """``IPFSSimpleAPI`` loads on first use, so ``import ipfs_kit_py`` stays light."""
    if name == "IPFSSimpleAPI":
        from ipfs_kit_py.api import IPFSSimpleAPI

        return IPFSSimpleAPI
    raise AttributeError(f"module 'ipfs_kit_py' has no attribute {name!r}")
