"""The Kubo-compatible RPC API (``/api/v0/...``): the server, and a client for it.

``create_app(api, config)`` builds the ASGI app that ``ipfs-kit daemon`` serves;
``RPCClient`` speaks to a running daemon (ours, or a Kubo daemon) over HTTP.
"""

from __future__ import annotations

from ipfs_kit_py.rpc._server import create_app

__all__ = ["create_app"]
