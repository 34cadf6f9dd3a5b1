"""Pins, repo and node commands: ``pin add|ls|rm|update|verify``, ``repo gc|stat|
verify``, ``filestore ls|verify|dups``, ``id``, ``version``, and our ``index query|tag|
rebuild``.

Shapes follow Kubo's ``core/commands`` (``pin/pin.go`` ``AddPinOutput``,
``PinLsOutputWrapper``, ``PinStatus``; ``repo.go`` ``GcResult``, ``RepoStat``,
``VerifyProgress``; ``filestore.go`` ``ListRes`` with ``filestore/util.go``'s status
numbers; ``id.go`` ``IdOutput``; ``version.go`` ``VersionOutput``).
"""

from __future__ import annotations

import base64
import io
import json
import math
import platform
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ipfs_kit_py._version import __version__
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import FilestoreEntry
from ipfs_kit_py.blockstore._filestore import FileStatus
from ipfs_kit_py.pinning import Pin
from ipfs_kit_py.pinning._walk import pin_key
from ipfs_kit_py.rpc._deps import get_api
from ipfs_kit_py.rpc._errors import RPCError
from ipfs_kit_py.rpc._params import Args, OneArg, parse_cid
from ipfs_kit_py.rpc._streaming import StreamResponse, json_line, ndjson, pushed

__all__ = ["router"]

router = APIRouter()
Api = Annotated[IPFSSimpleAPI, Depends(get_api)]
ARROW_STREAM = "application/vnd.apache.arrow.stream"
_PIN_TYPES = ("all", "recursive", "direct", "indirect")


def _bool(name: str, doc: str) -> Any:
    return Query(alias=name, description=doc)


def _json(value: Any) -> Response:
    return Response(json_line(value), media_type="application/json")


# -- pins ----------------------------------------------------------------------------------


@router.post("/pin/add", summary="Pin objects.")
def pin_add(
    api: Api,
    arg: Args,
    recursive: Annotated[bool, _bool("recursive", "Pin whole DAGs.")] = True,
    name: Annotated[str | None, Query(max_length=255)] = None,
    progress: Annotated[bool, _bool("progress", "Ignored.")] = False,
) -> Response:
    """Kubo's ``pin add``: ``{"Pins":[cid,...]}``."""
    del progress
    cids = [api.exporter.resolve(a) for a in arg]
    for cid in cids:
        api.pin(cid, recursive=recursive, name=name or None)
    return _json({"Pins": [str(c) for c in cids]})


def _pin_type(pin: Pin) -> str:
    if pin.type == "indirect" and pin.via is not None:
        return f"indirect through {pin.via}"
    return str(pin.type)


@router.post("/pin/ls", summary="List pins.")
def pin_ls(
    api: Api,
    arg: Annotated[list[str] | None, Query(description="CIDs to check")] = None,
    type: Annotated[str, Query(description="all, recursive, direct or indirect.")] = "all",
    quiet: Annotated[bool, _bool("quiet", "CLI formatting only.")] = False,
    stream: Annotated[bool, _bool("stream", "NDJSON {Cid, Type, Name}.")] = False,
    names: Annotated[bool, _bool("names", "Include pin names.")] = False,
) -> Response:
    """Kubo's ``pin ls``: ``{"Keys":{cid:{"Type","Name"?}}}``, or NDJSON with ``stream``."""
    del quiet
    if type not in _PIN_TYPES:
        raise RPCError(
            f"invalid type '{type}', must be one of {{direct, indirect, recursive, all}}"
        )
    pins = api.pins(type)
    if arg:
        by_key = {pin_key(p.cid): p for p in pins}
        chosen = []
        for text in arg:
            cid = api.exporter.resolve(text)
            found = by_key.get(pin_key(cid))
            if found is None:
                raise RPCError(f"path '{text}' is not pinned", kind="not_pinned")
            chosen.append(found)
        pins = chosen

    def entry(pin: Pin) -> dict[str, Any]:
        out: dict[str, Any] = {"Type": _pin_type(pin)}
        if names and pin.name:
            out["Name"] = pin.name
        return out

    if stream:
        return StreamResponse(ndjson({"Cid": str(p.cid), **entry(p)} for p in pins))
    return _json({"Keys": {str(p.cid): entry(p) for p in pins}})


@router.post("/pin/rm", summary="Remove pins.")
def pin_rm(
    api: Api,
    arg: Args,
    recursive: Annotated[bool, _bool("recursive", "Unpin recursively.")] = True,
) -> Response:
    """Kubo's ``pin rm``: ``{"Pins":[cid,...]}``."""
    del recursive
    cids = [parse_cid(a) for a in arg]
    for cid in cids:
        api.unpin(cid)
    return _json({"Pins": [str(c) for c in cids]})


@router.post("/pin/update", summary="Move a recursive pin.")
def pin_update(
    api: Api,
    arg: Annotated[list[str], Query(min_length=2, max_length=2, description="from, to")],
    unpin: Annotated[bool, _bool("unpin", "Remove the old pin.")] = True,
) -> Response:
    """Kubo's ``pin update``: ``{"Pins":[from,to]}``."""
    old, new = (parse_cid(a) for a in arg)
    api.pin_update(old, new, unpin=unpin)
    return _json({"Pins": [str(old), str(new)]})


@router.post("/pin/verify", summary="Check that pinned DAGs are complete.")
def pin_verify(
    api: Api,
    verbose: Annotated[bool, _bool("verbose", "Report good pins too.")] = False,
    quiet: Annotated[bool, _bool("quiet", "CLI formatting only.")] = False,
) -> Response:
    """Kubo's ``pin verify``: ``{"Cid","Ok"?,"BadNodes"?}`` lines (bad pins only unless
    ``verbose``)."""
    del quiet
    results = api.node.pins.verify(api.node.blocks)
    return StreamResponse(ndjson(r.to_json() for r in results if verbose or not r.ok))


# -- the repo ------------------------------------------------------------------------------


@router.post("/repo/gc", summary="Remove unpinned blocks.")
def repo_gc(
    api: Api,
    quiet: Annotated[bool, _bool("quiet", "Do not list removed blocks.")] = False,
    stream_errors: Annotated[bool, _bool("stream-errors", "Report errors as lines.")] = False,
    silent: Annotated[bool, _bool("silent", "Write no output.")] = False,
    dry_run: Annotated[bool, _bool("dry-run", "Only list what would be removed (ours).")] = False,
) -> Response:
    """Kubo's ``repo gc``: ``{"Key":{"/":cid}}`` per removed block, ``{"Error"}`` lines
    with ``stream-errors`` (otherwise the first failure ends the stream as an error)."""
    report = api.gc(dry_run=dry_run)

    def lines() -> Iterator[bytes]:
        if not (quiet or silent):
            for cid in report.removed:
                yield json_line({"Key": {"/": str(cid)}})
        for failure in report.errors:
            if not stream_errors:
                raise RPCError(f"{failure.cid}: {failure.message}", 500, kind="storage")
            if not silent:
                yield json_line({"Error": f"{failure.cid}: {failure.message}"})

    return StreamResponse(lines())


def _repo_version(api: IPFSSimpleAPI) -> str:
    try:
        return (api.node.path / "version").read_text(encoding="ascii").strip()
    except OSError:
        return ""


@router.post("/repo/stat", summary="Repo size and object count.")
def repo_stat(
    api: Api,
    size_only: Annotated[bool, _bool("size-only", "Only RepoSize and StorageMax.")] = False,
    human: Annotated[bool, _bool("human", "CLI formatting only.")] = False,
) -> Response:
    """Kubo's ``repo stat``: ``{"RepoSize","StorageMax","NumObjects","RepoPath","Version"}``.

    ``StorageMax`` is 0: we have no storage cap (Kubo's ``Datastore.StorageMax``).
    """
    del human
    stat = api.repo_stat()
    out: dict[str, Any] = {"RepoSize": stat.repo_size, "StorageMax": 0}
    if not size_only:
        out |= {
            "NumObjects": stat.num_objects,
            "RepoPath": stat.path,
            "Version": f"fs-repo@{stat.version}",
        }
    return _json(out)


@router.post("/repo/verify", summary="Re-hash every stored block.")
def repo_verify(api: Api) -> Response:
    """Kubo's ``repo verify``: ``{"Msg","Progress"}`` lines; a corrupt block is a ``Msg``
    line, and the stream then ends with an error."""

    def produce(push: Callable[[bytes], None]) -> None:
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            push(json_line({"Msg": "", "Progress": done}))

        report = api.repo_verify(progress=step)
        for cid in report.corrupt:
            push(json_line({"Msg": f"block {cid} was corrupt", "Progress": 0}))
        for cid in report.unreadable:
            push(json_line({"Msg": f"block {cid} could not be read", "Progress": 0}))
        if not report.ok:
            raise RPCError("verify complete, some blocks were corrupt", 500, kind="integrity")
        push(json_line({"Msg": "verify complete, all blocks validated.", "Progress": 0}))

    return StreamResponse(pushed(produce))


# -- the node ------------------------------------------------------------------------------


@router.post("/id", summary="This node's identity.")
def node_id(
    api: Api,
    arg: Annotated[str | None, Query(description="A peer ID (only our own is known).")] = None,
    format: Annotated[str | None, Query(description="Ignored (CLI formatting).")] = None,
) -> Response:
    """Kubo's ``id``: ``{"ID","PublicKey","Addresses","AgentVersion","Protocols"}``."""
    del format
    node = api.node
    peer = node.peer_id
    if arg is not None and arg != peer:
        raise RPCError(f"peer {arg} is not known: this node has no peer routing", 404)
    return _json(
        {
            "ID": peer,
            "PublicKey": base64.b64encode(node.identity.public_key_proto).decode("ascii"),
            "Addresses": [],
            "AgentVersion": f"ipfs-kit-py/{__version__}/",
            "Protocols": [],
        }
    )


@router.post("/version", summary="Version information.")
def version(
    api: Api,
    number: Annotated[bool, _bool("number", "CLI formatting only.")] = False,
    commit: Annotated[bool, _bool("commit", "CLI formatting only.")] = False,
    repo: Annotated[bool, _bool("repo", "CLI formatting only.")] = False,
    all: Annotated[bool, _bool("all", "CLI formatting only.")] = False,
) -> Response:
    """Kubo's ``version``: ``{"Version","Commit","Repo","System","Golang"}`` (``Golang``
    names our runtime, ``python/3.x``)."""
    del number, commit, repo, all
    return _json(
        {
            "Version": __version__,
            "Commit": "",
            "Repo": _repo_version(api),
            "System": f"{platform.machine().lower()}/{sys.platform}",
            "Golang": f"python/{platform.python_version()}",
        }
    )


# -- the metadata index (ours) ---------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


@router.post("/index/query", summary="SQL over the metadata index (ours).")
def index_query(request: Request, api: Api, arg: OneArg) -> Response:
    """duckdb SQL over the table ``objects``: ``{"Columns":[...],"Rows":[[...]]}``, or an
    Arrow IPC stream when the request accepts ``application/vnd.apache.arrow.stream``."""
    if not arg.strip():
        raise RPCError("empty query")  # duckdb returns no relation at all for it
    table = api.index_query(arg)
    if ARROW_STREAM in request.headers.get("accept", ""):
        import pyarrow as pa

        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return Response(sink.getvalue(), media_type=ARROW_STREAM)
    columns = list(table.column_names)
    rows = [[row[c] for c in columns] for row in table.to_pylist()]
    text = json.dumps(
        {"Columns": columns, "Rows": [[_finite(v) for v in row] for row in rows]},
        default=_plain,
        separators=(",", ":"),
        allow_nan=False,
    )
    return Response(text + "\n", media_type="application/json")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinities: they become ``null``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@router.post("/index/tag", summary="Tag an object in the index (ours).")
def index_tag(
    api: Api,
    arg: Annotated[list[str], Query(min_length=1, description="CID, then tags")],
    replace: Annotated[bool, _bool("replace", "Replace the tags instead of adding.")] = False,
) -> Response:
    """Add (or with ``replace`` set) an object's tags: ``{"Tags":[...]}``."""
    cid = parse_cid(arg[0])
    return _json({"Tags": api.tag(cid, *arg[1:], replace=replace)})


@router.post("/index/rebuild", summary="Rebuild the metadata index from the pins (ours).")
def index_rebuild(api: Api) -> Response:
    """Recreate the index from the pinned DAGs: ``{"Rows": n}``."""
    return _json({"Rows": api.index_rebuild()})


# -- no-copy references --------------------------------------------------------------------

#: Kubo's ``filestore.Status`` numbers (``filestore/util.go``) for our verdicts.
_FILESTORE_STATUS = {
    FileStatus.OK: 0,
    FileStatus.ERROR: 10,
    FileStatus.NO_FILE: 11,
    FileStatus.CHANGED: 12,
}


def _filestore_line(entry: FilestoreEntry, status: int = 0, message: str = "") -> bytes:
    return json_line(
        {
            "Status": status,
            "ErrorMsg": message,
            "Key": {"/": str(entry.cid)},
            "FilePath": entry.path,
            "Offset": entry.offset,
            "Size": entry.size,
        }
    )


@router.post("/filestore/ls", summary="List no-copy references.")
def filestore_ls(api: Api) -> Response:
    """Kubo's ``filestore ls``: one ``ListRes`` line per reference, in file order."""
    return StreamResponse(_filestore_line(entry) for entry in api.filestore_ls())


@router.post("/filestore/verify", summary="Read back every no-copy reference.")
def filestore_verify(api: Api) -> Response:
    """Kubo's ``filestore verify``: one ``ListRes`` line per reference, with its status."""
    return StreamResponse(
        _filestore_line(c.entry, _FILESTORE_STATUS[c.status], c.message)
        for c in api.filestore_verify()
    )


@router.post("/filestore/dups", summary="No-copy references also stored as blocks.")
def filestore_dups(api: Api) -> Response:
    """Kubo's ``filestore dups``: ``{"Ref","Err"}`` lines."""
    return StreamResponse(json_line({"Ref": str(cid), "Err": ""}) for cid in api.filestore_dups())
