"""The Kubo-compatible RPC API (``/api/v0/...``): the server, and a client for it.

``create_app(api, config)`` builds the ASGI app that ``ipfs-kit daemon`` serves;
``RPCClient`` speaks to a running daemon (ours, or a Kubo daemon) over HTTP, and
``RemoteAPI`` offers :class:`~ipfs_kit_py.api.IPFSSimpleAPI`'s methods through it
(the CLI uses it while a daemon owns the repo).
"""

from __future__ import annotations

from ipfs_kit_py.rpc._client import RPCClient
from ipfs_kit_py.rpc._remote import RemoteAPI
from ipfs_kit_py.rpc._server import create_app

__all__ = ["RPCClient", "RemoteAPI", "create_app"]
