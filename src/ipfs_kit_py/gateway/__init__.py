"""The IPFS HTTP gateway: path and trustless responses, and the Routing V1 API.

``create_app(api, config)`` builds the ASGI app that ``ipfs-kit daemon`` serves.
"""

from __future__ import annotations

from ipfs_kit_py.gateway._app import create_app

__all__ = ["create_app"]
