"""Delegated Routing V1 HTTP API (``/routing/v1``), answered from the local store.

``GET /routing/v1/providers/{cid}`` names this node as the provider of any block it
holds, reachable over the trustless gateway (``transport-ipfs-gateway-http``); it
answers 404 for anything else: this node knows no other providers. Peer routing and
IPNS are not implemented (501, the spec's "not supported"); writes too (501).

The peer ID is the node's own (``Node.peer_id``, from its Ed25519 key in the repo).
Addresses default to the gateway's own listening address as an HTTP multiaddr
(``/ip4/127.0.0.1/tcp/8080/http``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidCIDError

__all__ = [
    "PROTOCOL",
    "listen_multiaddr",
    "not_supported",
    "providers_response",
]

PROTOCOL = "transport-ipfs-gateway-http"


def listen_multiaddr(host: str, port: int, scheme: str = "http") -> str:
    """The multiaddr of an HTTP listener.

    >>> listen_multiaddr("127.0.0.1", 8080), listen_multiaddr("::1", 80)
    ('/ip4/127.0.0.1/tcp/8080/http', '/ip6/::1/tcp/80/http')
    """
    try:
        ip = ipaddress.ip_address(host)
        proto = f"/ip{ip.version}/{ip}"
    except ValueError:
        proto = f"/dns/{host}"
    return f"{proto}/tcp/{port}/{'tls/http' if scheme == 'https' else 'http'}"


def _json(status: int, body: object) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")) + ("\n" if status >= 400 else ""),
        status,
        media_type="application/json",
    )


def providers_response(
    request: Request,
    cid_text: str,
    has: Callable[[CID], bool],
    peer_id: str,
    addrs: Sequence[str] | None,
) -> Response:
    """The answer to ``GET /routing/v1/providers/{cid}`` (``has`` may touch disk: call
    this from a worker thread)."""
    try:
        cid = CID.parse(cid_text)
    except InvalidCIDError as err:
        return _json(422, {"Message": str(err)})
    if cid.is_identity or not has(cid):
        return _json(404, {"Message": f"no provider for {cid}"})
    if addrs is None:
        server = request.scope.get("server") or ("127.0.0.1", 0)
        addrs = [listen_multiaddr(str(server[0]), int(server[1] or 0), request.url.scheme)]
    record = {"Schema": "peer", "ID": peer_id, "Addrs": list(addrs), "Protocols": [PROTOCOL]}
    if "application/x-ndjson" in request.headers.get("accept", ""):
        return Response(
            json.dumps(record, separators=(",", ":")) + "\n", media_type="application/x-ndjson"
        )
    return _json(200, {"Providers": [record]})


def not_supported(what: str) -> Response:
    """501 for the parts of the Routing V1 API this node does not implement."""
    return _json(501, {"Message": f"{what} is not supported by this node"})
