"""UnixFS commands: ``add``, ``cat``, ``get``, ``ls``.

Shapes follow Kubo's ``core/commands`` (``add.go`` ``AddEvent``, ``cat.go``,
``get.go``, ``ls.go`` ``LsOutput``); the work is done by the API's exporter, or by
:mod:`ipfs_kit_py.rpc._add` for uploads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.rpc._add import AddJob
from ipfs_kit_py.rpc._body import stream_parts
from ipfs_kit_py.rpc._deps import MULTIPART_BODY, get_api
from ipfs_kit_py.rpc._errors import RPCError
from ipfs_kit_py.rpc._multipart import boundary_of
from ipfs_kit_py.rpc._params import Args, OneArg
from ipfs_kit_py.rpc._streaming import StreamResponse, json_line
from ipfs_kit_py.rpc._tar import gzip_stream, symlink_target, tar_stream
from ipfs_kit_py.unixfs import resolve_options

__all__ = ["router"]

router = APIRouter()
Api = Annotated[IPFSSimpleAPI, Depends(get_api)]

#: unixfs.proto ``Data.DataType`` numbers, which Kubo's ``ls`` reports as ``Type``.
_TYPE = {"directory": 1, "file": 2, "raw": 2, "symlink": 4}


def _bool(name: str, doc: str) -> Any:
    return Query(alias=name, description=doc)


@router.post("/add", openapi_extra=MULTIPART_BODY, summary="Add files and directories.")
async def add(
    request: Request,
    api: Api,
    quiet: Annotated[
        bool, _bool("quiet", "Minimal output (CLI formatting; all lines sent).")
    ] = False,
    quieter: Annotated[bool, _bool("quieter", "Only the final hash (CLI formatting).")] = False,
    silent: Annotated[bool, _bool("silent", "Write no output.")] = False,
    progress: Annotated[bool, _bool("progress", "Stream {Name, Bytes} progress lines.")] = False,
    trickle: Annotated[bool, _bool("trickle", "Trickle DAG layout.")] = False,
    only_hash: Annotated[bool, _bool("only-hash", "Chunk and hash only; store nothing.")] = False,
    wrap: Annotated[bool, _bool("wrap-with-directory", "Wrap in a directory.")] = False,
    chunker: Annotated[
        str | None, Query(description="size-N, rabin[-min-avg-max] or buzhash.", max_length=64)
    ] = None,
    pin: Annotated[bool, _bool("pin", "Pin the added roots.")] = True,
    raw_leaves: Annotated[bool | None, Query(alias="raw-leaves")] = None,
    nocopy: Annotated[bool, _bool("nocopy", "Not supported over RPC.")] = False,
    cid_version: Annotated[int | None, Query(alias="cid-version", ge=0, le=1)] = None,
    hash: Annotated[str, Query(description="Multihash function.", max_length=32)] = "sha2-256",
    inline: Annotated[bool, _bool("inline", "Inline small blocks into CIDs.")] = False,
    inline_limit: Annotated[int, Query(alias="inline-limit", ge=1, le=127)] = 32,
    profile: Annotated[
        str | None, Query(description="Import profile (ours): unixfs-v1-2025, unixfs-v0-2015.")
    ] = None,
    max_links: Annotated[
        int | None,
        Query(alias="max-links", ge=2, le=65536, description="Children per node (ours)."),
    ] = None,
    tag: Annotated[
        list[str] | None, Query(description="Label the added roots in the index (ours).")
    ] = None,
) -> Response:
    """Kubo's ``add``: NDJSON ``{"Name","Hash","Size"}`` per entry (files first, then
    directories, each root last), with ``progress`` ``{"Name","Bytes"}`` lines between."""
    del quiet, quieter  # formatting flags of Kubo's CLI; its HTTP API sends every line
    if nocopy:
        raise RPCError("nocopy is not supported over the RPC API (the files are not here)")
    boundary_of(request.headers.get("content-type"))  # 400 now, before any output
    overrides: dict[str, Any] = {
        "cid_version": cid_version,
        "raw_leaves": raw_leaves,
        "chunker": chunker,
        "trickle": trickle or None,
        "hash": hash.lower(),
        "inline": inline,
        "inline_limit": inline_limit,
        "wrap_with_directory": wrap,
        "max_links": max_links,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if profile is None and cid_version is None:
        profile = api.node.config.profile
    options = resolve_options(profile, **overrides)
    job = AddJob(
        api,
        options,
        pin=pin and not only_hash,
        only_hash=only_hash,
        progress=progress,
        silent=silent,
        tags=tag or (),
    )
    return StreamResponse(stream_parts(request, job.run))


def _check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise RPCError("cannot specify negative offset")
    if length is not None and length < 0:
        raise RPCError(f"cannot specify negative length: {length}")


@router.post("/cat", summary="Show the bytes of files.")
def cat(
    api: Api,
    arg: Args,
    offset: Annotated[int, Query(description="Byte offset to begin reading from.")] = 0,
    length: Annotated[int | None, Query(description="Most bytes to read.")] = None,
    progress: Annotated[bool, _bool("progress", "Ignored (CLI progress bar).")] = False,
) -> Response:
    """Kubo's ``cat``: the files' bytes, concatenated, as a ``text/plain`` stream."""
    del progress
    _check_range(offset, length)
    plan: list[tuple[str, int, int | None]] = []
    remaining = length
    total = 0
    for path in arg:
        info = api.stat(path)
        if info.kind not in ("file", "raw"):
            raise RPCError(f"{path}: this dag node is a {info.kind}", kind="invalid_input")
        if offset > info.size and len(arg) == 1:
            raise RPCError(f"offset was past end of file ({offset} > {info.size})")
        start = min(offset, info.size)
        offset -= start
        take = info.size - start if remaining is None else min(remaining, info.size - start)
        if remaining is not None:
            remaining -= take
        total += take
        plan.append((path, start, take))

    def pieces() -> Iterator[bytes]:
        for path, start, take in plan:
            if take:
                yield from api.stream(path, offset=start, length=take)

    return StreamResponse(pieces(), kind="output", headers={"X-Content-Length": str(total)})


@router.post("/get", summary="Download a file or directory as a tar archive.")
def get(
    api: Api,
    arg: OneArg,
    output: Annotated[str | None, Query(description="Ignored (CLI output path).")] = None,
    archive: Annotated[bool, _bool("archive", "Tar archive (always, over HTTP).")] = False,
    compress: Annotated[bool, _bool("compress", "Gzip the output.")] = False,
    level: Annotated[int, Query(alias="compression-level", ge=-1, le=9)] = -1,
) -> Response:
    """Kubo's ``get``: a tar stream rooted at the path's last component; gzipped with
    ``compress`` (a lone file without ``archive`` is gzipped bare, as Kubo does)."""
    del output
    exporter = api.exporter
    cid = exporter.resolve(arg)
    info = exporter.stat(cid)
    name = [p for p in arg.removeprefix("/ipfs/").split("/") if p][-1]
    if compress and not archive and info.kind in ("file", "raw"):
        body: Iterator[bytes] = gzip_stream(api.stream(cid), level)
    else:
        body = tar_stream(exporter, cid, name)
        if compress:
            body = gzip_stream(body, level)
    api.node.keeper.accessed(arg)
    return StreamResponse(body, kind="output")


@router.post("/ls", summary="List directory contents.")
def ls(
    api: Api,
    arg: Args,
    headers: Annotated[bool, _bool("headers", "Ignored (CLI table headers).")] = False,
    resolve_type: Annotated[bool, _bool("resolve-type", "Resolve each entry's type.")] = True,
    size: Annotated[bool, _bool("size", "Report each file's size.")] = True,
    stream: Annotated[bool, _bool("stream", "One object per entry, as found.")] = False,
) -> Response:
    """Kubo's ``ls``: ``{"Objects":[{"Hash","Links":[{"Name","Hash","Size","Type",
    "Target"}]}]}``, or one such object per entry with ``stream``."""
    del headers
    exporter = api.exporter
    listings: list[tuple[str, list[Any]]] = []
    for path in arg:
        info = exporter.stat(path)
        entries = exporter.ls(info.cid) if info.kind == "directory" else []
        listings.append((path, entries))

    def link(entry: Any) -> dict[str, Any]:
        kind, nbytes, target = "file", 0, ""
        if resolve_type or size:
            child = exporter.stat(entry.cid)
            kind = child.kind
            if kind in ("file", "raw"):
                nbytes = child.size
            elif kind == "symlink":
                target = symlink_target(exporter, entry.cid)
        return {
            "Name": entry.name,
            "Hash": str(entry.cid),
            "Size": nbytes if size else 0,
            "Type": _TYPE.get(kind, 2) if resolve_type else 0,
            "Target": target,
        }

    if stream:

        def lines() -> Iterator[bytes]:
            for path, entries in listings:
                for entry in entries:
                    yield json_line({"Objects": [{"Hash": path, "Links": [link(entry)]}]})

        return StreamResponse(lines())
    objects = [{"Hash": path, "Links": [link(e) for e in entries]} for path, entries in listings]
    return Response(json_line({"Objects": objects}), media_type="application/json")
