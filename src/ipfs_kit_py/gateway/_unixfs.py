"""Deserialized responses: UnixFS files, directories and symlinks, and IPLD blocks.

Files stream through :func:`~._stream.prefetch` with ``Content-Length``, honour
single and multiple byte ranges (:mod:`._ranges`) and answer ``If-None-Match``
with 304. Directories are redirected to their trailing-slash URL, then served as
their ``index.html`` or as a generated listing (:mod:`._listing`). The content
type comes from the file name (the last path segment or ``?filename=``) and else
from the first bytes (:func:`ipfs_kit_py._mime.guess_mime`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ipfs_kit_py._mime import SYMLINK, guess_mime, sniff
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import CBOR, DAG_CBOR, DAG_JSON, DAG_PB, JSON, RAW
from ipfs_kit_py.errors import PathNotFoundError
from ipfs_kit_py.gateway._backend import IMMUTABLE, Backend, etag_matches
from ipfs_kit_py.gateway._listing import listing_etag, render_listing, url_path
from ipfs_kit_py.gateway._ranges import (
    UnsatisfiableRangeError,
    iter_multipart,
    multipart_parts,
    parse_range,
)
from ipfs_kit_py.gateway._resolve import Resolved, resolve
from ipfs_kit_py.gateway._stream import prefetch
from ipfs_kit_py.unixfs import DataType

__all__ = ["Target", "deserialized"]

_SNIFF = 512
#: Content types of IPLD blocks served as they are when no format is asked for.
_CODEC_TYPES = {
    DAG_CBOR: "application/vnd.ipld.dag-cbor",
    DAG_JSON: "application/vnd.ipld.dag-json",
    JSON: "application/json",
    CBOR: "application/cbor",
    DAG_PB: "application/vnd.ipld.dag-pb",
}


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed ``/ipfs/{cid}/{segments...}[/]`` request path."""

    root_text: str  # the CID as the URL wrote it
    root: CID
    segments: tuple[str, ...]
    trailing_slash: bool

    @property
    def url(self) -> str:
        """The content path, percent-encoded, as it names the resource."""
        return f"/ipfs/{self.root_text}{url_path(list(self.segments))}" + (
            "/" if self.trailing_slash else ""
        )


def base_headers(target: Target, resolved: Resolved, etag: str) -> dict[str, str]:
    return {
        "etag": etag,
        "cache-control": IMMUTABLE,
        "x-ipfs-path": target.url,
        "x-ipfs-roots": ",".join(str(c) for c in resolved.roots),
    }


def _name_type(name: str | None) -> str | None:
    """The content type a file name alone implies, if any."""
    if not name:
        return None
    guessed = guess_mime(name, b"\0")  # b"\0" sniffs as octet-stream: tells name from sniff
    return None if guessed == sniff(b"\0") else guessed


def _disposition(request: Request) -> str | None:
    filename = request.query_params.get("filename")
    attach = request.query_params.get("download") == "true"
    if not filename:
        return "attachment" if attach else None
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    value = f'{"attachment" if attach else "inline"}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


async def deserialized(
    request: Request, backend: Backend, target: Target, resolved: Resolved
) -> Response:
    """The default (no ``format``) response for the resolved content path."""
    cid = resolved.cid
    if cid.codec == RAW:
        size = len(await anyio.to_thread.run_sync(backend.get, cid))
        return await file_response(request, backend, target, resolved, cid, size)
    parsed = await anyio.to_thread.run_sync(backend.unixfs, cid)
    if parsed is None:
        data = await anyio.to_thread.run_sync(backend.get, cid)
        kind = _CODEC_TYPES.get(cid.codec, "application/octet-stream")
        headers = base_headers(target, resolved, f'"{cid}"')
        if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
            return Response(status_code=304, headers=headers)
        body = b"" if request.method == "HEAD" else data
        headers["content-length"] = str(len(data))
        return Response(body, headers=headers, media_type=kind)
    _node, fs = parsed
    if fs.type in (DataType.DIRECTORY, DataType.HAMT_SHARD):
        return await directory_response(request, backend, target, resolved)
    if fs.type is DataType.SYMLINK:
        headers = base_headers(target, resolved, f'"{cid}"')
        if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
            return Response(status_code=304, headers=headers)
        link = fs.data or b""
        headers["content-length"] = str(len(link))
        return Response(
            b"" if request.method == "HEAD" else link, headers=headers, media_type=SYMLINK
        )
    size = fs.filesize if fs.filesize is not None else len(fs.data or b"") + sum(fs.blocksizes)
    return await file_response(request, backend, target, resolved, cid, size)


async def directory_response(
    request: Request, backend: Backend, target: Target, resolved: Resolved
) -> Response:
    """Redirect to the slash URL, else ``index.html``, else a generated listing."""
    if not target.trailing_slash:
        location = target.url + "/"
        if request.url.query:
            location += "?" + request.url.query
        return RedirectResponse(location, status_code=301)
    cid = resolved.cid
    try:
        index = await anyio.to_thread.run_sync(resolve, backend.get, cid, ["index.html"])
    except PathNotFoundError:
        index = None
    if index is not None:
        stat = await anyio.to_thread.run_sync(backend.exporter.stat, index.cid)
        if stat.kind in ("file", "raw"):
            return await file_response(
                request,
                backend,
                target,
                resolved,
                index.cid,
                stat.size,
                name="index.html",
                etag=f'"{cid}"',
            )
    etag = listing_etag(cid)
    headers = base_headers(target, resolved, etag)
    headers["cache-control"] = "public, max-age=604800, stale-while-revalidate=2678400"
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    entries = await anyio.to_thread.run_sync(backend.exporter.ls, cid)
    page = render_listing(target.root, list(target.segments), cid, entries).encode("utf-8")
    headers["content-length"] = str(len(page))
    return Response(
        b"" if request.method == "HEAD" else page,
        headers=headers,
        media_type="text/html; charset=utf-8",
    )


async def file_response(
    request: Request,
    backend: Backend,
    target: Target,
    resolved: Resolved,
    cid: CID,
    size: int,
    *,
    name: str | None = None,
    etag: str | None = None,
) -> Response:
    """A UnixFS file (or raw block) of ``size`` bytes: full, ranged, or HEAD."""
    headers = base_headers(target, resolved, etag or f'"{cid}"')
    headers["accept-ranges"] = "bytes"
    headers["x-content-type-options"] = "nosniff"
    disposition = _disposition(request)
    if disposition:
        headers["content-disposition"] = disposition
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        return Response(status_code=304, headers=headers)
    if name is None:
        name = request.query_params.get("filename") or (
            target.segments[-1] if target.segments else None
        )
    mime = _name_type(name)
    spans: list[tuple[int, int]] | None = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == headers["etag"]:
        try:
            spans = parse_range(request.headers.get("range"), size)
        except UnsatisfiableRangeError:
            headers["content-range"] = f"bytes */{size}"
            return Response(status_code=416, headers=headers)
    head_only = request.method == "HEAD"
    first: bytes | None = None
    body: Iterator[bytes] | None = None
    if mime is None:
        if spans is None and not head_only:  # sniff the first piece of the body itself
            body = backend.stream(cid)
            first = await anyio.to_thread.run_sync(next, body, b"")
            head = first[:_SNIFF]
        else:
            head = await anyio.to_thread.run_sync(backend.head, cid, _SNIFF)
        mime = guess_mime(name, head)
    if spans is not None and len(spans) == 1:
        start, end = spans[0]
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
        headers["content-length"] = str(end - start)
        if head_only:
            return Response(status_code=206, headers=headers, media_type=mime)
        return StreamingResponse(
            prefetch(backend.stream(cid, start, end - start)), 206, headers, media_type=mime
        )
    if spans is not None:
        boundary, heads, tail, total = multipart_parts(spans, size, mime)
        headers["content-length"] = str(total)
        kind = f"multipart/byteranges; boundary={boundary}"
        if head_only:
            return Response(status_code=206, headers=headers, media_type=kind)
        parts = (backend.stream(cid, s, e - s) for s, e in spans)
        return StreamingResponse(
            prefetch(iter_multipart(heads, tail, parts)), 206, headers, media_type=kind
        )
    headers["content-length"] = str(size)
    if head_only:
        return Response(status_code=200, headers=headers, media_type=mime)
    if body is None:
        body = backend.stream(cid)
    return StreamingResponse(prefetch(body, first), 200, headers, media_type=mime)
