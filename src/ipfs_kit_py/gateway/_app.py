"""Routing and error handling of the gateway ASGI app (:func:`create_app`).

Routes:

* ``GET|HEAD /ipfs/{cid}[/path]``: path gateway (:mod:`._unixfs`) and trustless
  gateway (``?format=raw|car``, ``Accept``; :mod:`._trustless`).
* ``GET /routing/v1/providers/{cid}``: Routing V1 (:mod:`._routing`).
* ``/ipns/...``, ``/routing/v1/peers|ipns/...``: 501 (not supported).

Any other method on these paths is 405 (the gateway is read-only; ``OPTIONS`` is
answered, with CORS headers when ``ServerConfig.cors_origins`` allows). Errors map
to statuses through :data:`ipfs_kit_py.errors.HTTP_STATUS` (invalid CID 400, missing
block or path 404, integrity failure 502), before any body byte is sent; after
that, an error aborts the connection instead.

Paths are read from the raw, still percent-encoded request target and decoded one
segment at a time, so an encoded ``/`` can never split a name, and ``.``, ``..``
and NUL segments (plain or encoded) are refused with 400: a request can only
ever name something inside the DAG of its CID.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import CBOR, DAG_CBOR, DAG_JSON, DAG_PB, JSON
from ipfs_kit_py.codecs import Block, get_codec
from ipfs_kit_py.config import ServerConfig
from ipfs_kit_py.errors import (
    HTTP_STATUS,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    IPFSKitError,
    StorageError,
)
from ipfs_kit_py.gateway._backend import IMMUTABLE, Backend, etag_matches
from ipfs_kit_py.gateway._negotiate import Negotiated, NotAcceptableError, negotiate
from ipfs_kit_py.gateway._resolve import Resolved, resolve
from ipfs_kit_py.gateway._routing import not_supported, providers_response
from ipfs_kit_py.gateway._stream import prefetch
from ipfs_kit_py.gateway._trustless import SCOPES, CarRequest, car_stream, parse_entity_bytes
from ipfs_kit_py.gateway._unixfs import Target, base_headers, deserialized

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["create_app"]

_ALLOW = "GET, HEAD, OPTIONS"
_METHODS = ["GET", "HEAD", "OPTIONS"]
_EXPOSE = [
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "Content-Disposition",
    "ETag",
    "X-Ipfs-Path",
    "X-Ipfs-Roots",
    "X-Content-Type-Options",
    "Location",
]
_CAR_BATCH = 256 * 1024  # small CAR sections are sent in batches of about this size
#: What each ``format`` turns a block into: (codec to encode with, or the codec kept as-is).
_CONVERT = {
    "dag-json": (DAG_JSON, DAG_JSON, "application/vnd.ipld.dag-json"),
    "json": (DAG_JSON, JSON, "application/json"),
    "dag-cbor": (DAG_CBOR, DAG_CBOR, "application/vnd.ipld.dag-cbor"),
    "cbor": (DAG_CBOR, CBOR, "application/cbor"),
}

Handler = Callable[[Request], Awaitable[Response]]


#: What a client is told of a server-side failure (no paths, no internals).
_PUBLIC = {
    IntegrityError.code: "a stored block does not match its CID; not serving it",
    FileChangedError.code: "a stored block does not match its CID; not serving it",
    StorageError.code: "the node's storage failed",
}
log = logging.getLogger(__name__)


def _error(status: int, message: str) -> Response:
    headers = {"allow": _ALLOW} if status == 405 else None
    return PlainTextResponse(message + "\n", status, headers=headers)


def _download_headers(etag: str, filename: str, target: Target) -> dict[str, str]:
    """The headers of a trustless response (a raw block or a CAR): immutable, a download."""
    return {
        "etag": etag,
        "cache-control": IMMUTABLE,
        "content-disposition": f'attachment; filename="{filename}"',
        "x-content-type-options": "nosniff",
        "x-ipfs-path": target.url,
    }


def _guard(handler: Handler) -> Handler:
    """Answer OPTIONS, and turn our errors into statuses (before the body starts)."""

    async def wrapped(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"allow": _ALLOW})
        try:
            return await handler(request)
        except NotAcceptableError as err:
            return _error(406, str(err))
        except IPFSKitError as err:
            status = HTTP_STATUS.get(err.code, 500)
            if status < 500:
                return _error(status, str(err))
            # the node's own trouble: the detail (paths on disk) stays in the log
            log.warning("gateway: %s %s: %s", request.method, request.url.path, err)
            return _error(status, _PUBLIC.get(err.code, "internal error"))

    return wrapped


def parse_target(request: Request) -> Target:
    """The CID and decoded path segments of an ``/ipfs/...`` request (400 if unsafe)."""
    raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    text = bytes(raw).split(b"?", 1)[0].decode("latin-1")
    parts = text.split("/")  # "", "ipfs", cid, segments...
    if len(parts) < 3 or not parts[2]:
        raise InvalidInputError("no CID in the path: want /ipfs/{cid}[/path]")
    try:
        root_text = unquote_to_bytes(parts[2]).decode("ascii")
    except UnicodeDecodeError:
        raise InvalidInputError("the CID is not ASCII") from None
    root = CID.parse(root_text)
    segments: list[str] = []
    for part in parts[3:]:
        try:
            name = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("a path segment is not UTF-8") from None
        if not name:
            continue
        if name in (".", "..") or "/" in name or "\0" in name:
            raise InvalidInputError(f"path segment {name!r} is not allowed")
        segments.append(name)
    trailing = len(parts) > 3 and text.endswith("/")
    return Target(root_text, root, tuple(segments), trailing)


class _Gateway:
    """The handlers, bound to one node."""

    def __init__(self, api: IPFSSimpleAPI, peer_id: str, addrs: Sequence[str] | None) -> None:
        self.backend = Backend(api)
        self.peer_id = peer_id
        self.addrs = addrs

    # -- /ipfs ------------------------------------------------------------------------------

    async def ipfs(self, request: Request) -> Response:
        target = parse_target(request)
        chosen = negotiate(request.query_params, request.headers.get("accept"))
        backend = self.backend
        cached_only = "only-if-cached" in request.headers.get("cache-control", "")
        if cached_only and not await anyio.to_thread.run_sync(backend.has, target.root):
            return Response(status_code=412)
        if chosen.format == "raw" and not target.segments:
            return await self.raw_block(request, target, target.root, chosen)
        resolved = await anyio.to_thread.run_sync(
            resolve, backend.get, target.root, list(target.segments)
        )
        if chosen.format == "raw":
            return await self.raw_block(request, target, resolved.cid, chosen)
        if chosen.format == "car":
            return self.car(request, target, resolved, chosen)
        if chosen.format is not None:
            return await self.converted(request, target, resolved, chosen)
        return await deserialized(request, backend, target, resolved)

    async def raw_block(
        self, request: Request, target: Target, cid: CID, chosen: Negotiated
    ) -> Response:
        """One verified block, as it is: the hot path of trustless clients."""
        etag = f'"{cid}.raw"'
        headers = _download_headers(etag, f"{cid}.bin", target)
        if chosen.from_accept:
            headers["content-location"] = f"/ipfs/{cid}?format=raw"
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        data = await anyio.to_thread.run_sync(self.backend.get, cid)
        headers["content-length"] = str(len(data))
        body = b"" if request.method == "HEAD" else data
        return Response(body, headers=headers, media_type="application/vnd.ipld.raw")

    def car(
        self, request: Request, target: Target, resolved: Resolved, chosen: Negotiated
    ) -> Response:
        scope = request.query_params.get("dag-scope", "all")
        if scope not in SCOPES:
            raise InvalidInputError(f"dag-scope must be one of {', '.join(SCOPES)}")
        wanted = CarRequest(
            scope, parse_entity_bytes(request.query_params.get("entity-bytes")), chosen.car.dups
        )
        tag = hashlib.sha256(f"{target.url}|{wanted.tag}".encode()).hexdigest()[:16]
        etag = f'"{resolved.cid}.car.{tag}"'
        headers = _download_headers(etag, f"{resolved.cid}.car", target)
        headers["accept-ranges"] = "none"
        headers["x-ipfs-roots"] = ",".join(str(c) for c in resolved.roots)
        if chosen.from_accept:
            headers["content-location"] = f"{target.url}?format=car"
        kind = chosen.car.content_type
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        if request.method == "HEAD":
            return Response(headers=headers, media_type=kind)
        body = _coalesce(car_stream(self.backend.get, resolved, wanted))
        return StreamingResponse(prefetch(body), headers=headers, media_type=kind)

    async def converted(
        self, request: Request, target: Target, resolved: Resolved, chosen: Negotiated
    ) -> Response:
        """``?format=dag-json|json|dag-cbor|cbor``: the block re-encoded (or as it is)."""
        assert chosen.format is not None
        encode_with, keep, kind = _CONVERT[chosen.format]
        cid = resolved.cid
        if cid.codec not in (keep, encode_with, DAG_PB, DAG_CBOR, DAG_JSON):
            raise NotAcceptableError(f"{cid.codec_name} cannot be sent as {chosen.format}")
        headers = base_headers(target, resolved, f'"{cid}.{chosen.format}"')
        if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
            return Response(status_code=304, headers=headers)
        data = await anyio.to_thread.run_sync(self.backend.get, cid)

        def convert() -> bytes:
            block = Block(cid, data)
            value = block.decode()  # validates a block kept as it is, too
            if cid.codec in (keep, encode_with):
                return data
            return get_codec(encode_with).encode(value)

        body = await anyio.to_thread.run_sync(convert)
        headers["content-length"] = str(len(body))
        return Response(b"" if request.method == "HEAD" else body, headers=headers, media_type=kind)

    # -- the rest ---------------------------------------------------------------------------

    async def ipns(self, request: Request) -> Response:
        return _error(501, "IPNS and DNSLink are not supported by this gateway")

    async def providers(self, request: Request) -> Response:
        cid_text = request.path_params["cid"]
        return await anyio.to_thread.run_sync(
            providers_response, request, cid_text, self.backend.has, self.peer_id, self.addrs
        )

    async def routing_other(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        head = rest.split("/", 1)[0]
        if request.method == "PUT" and head in ("providers", "peers", "ipns"):
            return not_supported(f"PUT /routing/v1/{head}")
        if head in ("peers", "ipns"):
            return not_supported(f"/routing/v1/{head}")
        return PlainTextResponse(f"unknown path /routing/v1/{rest}\n", 400)


def _coalesce(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """Join small pieces into batches of about :data:`_CAR_BATCH` bytes (fewer thread
    hops for CARs of many small blocks); big pieces pass through uncopied."""
    batch: list[bytes] = []
    held = 0
    for piece in pieces:
        if len(piece) >= _CAR_BATCH:
            if batch:
                yield b"".join(batch)
                batch, held = [], 0
            yield piece
            continue
        batch.append(piece)
        held += len(piece)
        if held >= _CAR_BATCH:
            yield b"".join(batch)
            batch, held = [], 0
    if batch:
        yield b"".join(batch)


def create_app(
    api: IPFSSimpleAPI,
    config: ServerConfig | None = None,
    *,
    peer_id: str | None = None,
    addrs: Sequence[str] | None = None,
) -> Starlette:
    """The gateway ASGI app over ``api``'s node.

    Args:
        api: the node to serve (read-only).
        config: ``cors_origins`` decides CORS ("" off, "*" any, else a comma list).
        peer_id: the ID announced by Routing V1; default the node's (``Node.peer_id``).
        addrs: multiaddrs announced by Routing V1; default the address each request
            arrived on, as ``/ip4/HOST/tcp/PORT/http``.
    """
    config = config or ServerConfig()
    gw = _Gateway(api, peer_id or api.node.peer_id, addrs)
    routes = [
        Route("/ipfs/{rest:path}", _guard(gw.ipfs), methods=_METHODS),
        Route("/ipns/{rest:path}", _guard(gw.ipns), methods=_METHODS),
        Route("/routing/v1/providers/{cid}", _guard(gw.providers), methods=_METHODS),
        Route("/routing/v1/{rest:path}", _guard(gw.routing_other), methods=[*_METHODS, "PUT"]),
    ]
    middleware: list[Middleware] = []
    origins = [o.strip() for o in config.cors_origins.split(",") if o.strip()]
    if origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=["*"] if "*" in origins else origins,
                allow_methods=_METHODS,
                allow_headers=["Content-Type", "Range", "User-Agent", "X-Requested-With"],
                expose_headers=_EXPOSE,
            )
        )
    return Starlette(routes=routes, middleware=middleware)
