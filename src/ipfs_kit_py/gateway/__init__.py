"""The IPFS HTTP gateway: path and trustless responses, and the Routing V1 API.

``create_app(api, config)`` builds the ASGI app that ``ipfs-kit daemon`` serves.

Invariants: read-only (GET, HEAD, OPTIONS; anything else is 405); never a byte that
was not hashed against its CID (errors before the body are statuses, errors during
it abort the connection); a request names only what is inside its CID's DAG
(``..``, encoded ``/`` and NUL segments are 400). Trade-off: the storage core is
synchronous, so handlers call it in worker threads and stream files one verified
block ahead of the socket (``_stream.prefetch``).
"""

from __future__ import annotations

from ipfs_kit_py.gateway._app import create_app

__all__ = ["create_app"]
