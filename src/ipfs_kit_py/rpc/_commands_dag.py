"""Block and DAG commands: ``block put|get|stat|rm``, ``dag put|get|export|import``,
``refs`` and ``refs local``.

Shapes follow Kubo's ``core/commands`` (``block.go`` ``BlockStat``/``RemovedBlock``,
``dag/dag.go`` ``OutputObject``/``CarImportOutput``, ``refs.go`` ``RefWrapper``).
Blocks are capped at 2 MiB unless ``allow-big-block`` (Kubo's soft block limit:
bigger blocks cannot travel over bitswap).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.car import CarLimits
from ipfs_kit_py.cid import CID, multicodec
from ipfs_kit_py.cid._multicodec import DAG_PB, RAW
from ipfs_kit_py.codecs import Block, dag_pb, get_codec
from ipfs_kit_py.errors import BlockNotFoundError, IPFSKitError, PathNotFoundError
from ipfs_kit_py.rpc._body import Emit, small_parts, stream_parts
from ipfs_kit_py.rpc._deps import MULTIPART_BODY, get_api
from ipfs_kit_py.rpc._errors import RPCError
from ipfs_kit_py.rpc._multipart import MultipartReader
from ipfs_kit_py.rpc._params import Args, OneArg, parse_cid
from ipfs_kit_py.rpc._streaming import PushWriter, StreamResponse, json_line, ndjson, pushed

__all__ = ["router"]

router = APIRouter()
Api = Annotated[IPFSSimpleAPI, Depends(get_api)]
#: Kubo's soft block size limit; ``allow-big-block`` lifts it up to :data:`HARD_LIMIT`.
BLOCK_LIMIT = 2 * 1024 * 1024
HARD_LIMIT = 64 * 1024 * 1024


def _bool(name: str, doc: str) -> Any:
    return Query(alias=name, description=doc)


def _limit(allow_big: bool) -> int:
    return HARD_LIMIT if allow_big else BLOCK_LIMIT


def _json(value: Any) -> Response:
    return Response(json_line(value), media_type="application/json")


def _hash_code(name: str) -> int:
    try:
        return multicodec.code_of(name.lower())
    except (KeyError, ValueError) as err:
        raise RPCError(f"unrecognized hash function: {name}") from err


# -- blocks ------------------------------------------------------------------------------


@router.post("/block/put", openapi_extra=MULTIPART_BODY, summary="Store raw blocks.")
async def block_put(
    request: Request,
    api: Api,
    cid_codec: Annotated[str, Query(alias="cid-codec", max_length=32)] = "raw",
    mhtype: Annotated[str, Query(max_length=32)] = "sha2-256",
    mhlen: Annotated[int, Query(ge=-1, le=128)] = -1,
    pin: Annotated[bool, _bool("pin", "Pin each block (recursively).")] = False,
    allow_big: Annotated[bool, _bool("allow-big-block", "Allow blocks over 2 MiB.")] = False,
) -> Response:
    """Kubo's ``block put``: one ``{"Key","Size"}`` line per part."""
    del mhlen
    limit = _limit(allow_big)
    parts = await small_parts(request, limit, "produced block")
    if not parts:
        raise RPCError("file argument 'data' is required")
    code = _hash_code(mhtype)
    get_codec(cid_codec)  # unknown codec: a typed error before anything is stored

    def put_all() -> list[bytes]:
        lines = []
        for _, _, data in parts:
            stat = api.block_put(data, codec=cid_codec, hash=multicodec.name_of(code))
            if pin:
                api.pin(stat.cid)
            lines.append(json_line({"Key": str(stat.cid), "Size": stat.size}))
        return lines

    lines = await run_in_threadpool(put_all)
    return StreamResponse(iter(lines))


@router.post("/block/get", summary="Get the bytes of a block.")
def block_get(api: Api, arg: OneArg) -> Response:
    """Kubo's ``block get``: the block's bytes as a stream."""
    data = api.block_get(parse_cid(arg))
    return StreamResponse(iter([data]), kind="output", headers={"X-Content-Length": str(len(data))})


@router.post("/block/stat", summary="Key and size of a block.")
def block_stat(api: Api, arg: OneArg) -> Response:
    """Kubo's ``block stat``: ``{"Key","Size"}``."""
    stat = api.block_stat(parse_cid(arg))
    return _json({"Key": str(stat.cid), "Size": stat.size})


@router.post("/block/rm", summary="Remove blocks.")
def block_rm(
    api: Api,
    arg: Args,
    force: Annotated[bool, _bool("force", "Ignore blocks that are not stored.")] = False,
    quiet: Annotated[bool, _bool("quiet", "Write only errors.")] = False,
) -> Response:
    """Kubo's ``block rm``: one ``{"Hash","Error"?}`` line per block."""
    cids = [parse_cid(a) for a in arg]
    lines = []
    for cid in cids:
        try:
            api.block_rm(cid)
        except BlockNotFoundError:
            if not force:
                lines.append({"Hash": str(cid), "Error": "ipld: could not find " + str(cid)})
            continue
        except IPFSKitError as err:
            lines.append({"Hash": str(cid), "Error": err.message})
            continue
        if not quiet:
            lines.append({"Hash": str(cid)})
    return StreamResponse(ndjson(lines))


# -- DAGs ----------------------------------------------------------------------------------


@router.post("/dag/put", openapi_extra=MULTIPART_BODY, summary="Store IPLD nodes.")
async def dag_put(
    request: Request,
    api: Api,
    store_codec: Annotated[str, Query(alias="store-codec", max_length=32)] = "dag-cbor",
    input_codec: Annotated[str, Query(alias="input-codec", max_length=32)] = "dag-json",
    pin: Annotated[bool, _bool("pin", "Pin each node recursively.")] = False,
    hash: Annotated[str, Query(max_length=32)] = "sha2-256",
    allow_big: Annotated[bool, _bool("allow-big-block", "Allow blocks over 2 MiB.")] = False,
) -> Response:
    """Kubo's ``dag put``: one ``{"Cid":{"/":cid}}`` line per part."""
    limit = _limit(allow_big)
    parts = await small_parts(request, limit, "produced block")
    if not parts:
        raise RPCError("file argument 'object data' is required")
    decoder = get_codec(input_codec)
    encoder = get_codec(store_codec)
    code = _hash_code(hash)

    def put_all() -> list[bytes]:
        blocks = []
        for _, _, data in parts:
            value = decoder.decode(data)
            raw = data if decoder.code == encoder.code else encoder.encode(value)
            if len(raw) > limit:
                raise RPCError(f"produced block is over the {limit}-byte limit", 413)
            block = Block.from_data(raw, encoder.code, hash_code=code)
            block.decode()  # refuse bytes that are not canonical for the codec
            blocks.append(block)
        lines = []
        for block in blocks:
            with api.node.gc_lock.shared():
                api.node.blocks.put(block)
                if pin:
                    api.node.pins.add(block.cid, blockstore=api.node.blocks)
            api.node.keeper.stored(block.cid, walk_dag=pin)
            lines.append(json_line({"Cid": {"/": str(block.cid)}}))
        return lines

    return StreamResponse(iter(await run_in_threadpool(put_all)))


def _walk_path(api: IPFSSimpleAPI, ref: str) -> Any:
    """The value at ``CID/a/b`` in IPLD terms (maps, lists, links followed)."""
    text = ref.removeprefix("/ipfs/")
    head, _, rest = text.partition("/")
    cid = parse_cid(head)
    value = api.dag_get(cid)
    for i, part in enumerate(p for p in rest.split("/") if p):
        if i > 256:
            raise RPCError("path too deep")
        if isinstance(value, CID):
            value = api.dag_get(value)
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise PathNotFoundError(f"no link named {part!r} under {head}")
    return value


@router.post("/dag/get", summary="Get an IPLD node.")
def dag_get(
    api: Api,
    arg: OneArg,
    output_codec: Annotated[str, Query(alias="output-codec", max_length=32)] = "dag-json",
) -> Response:
    """Kubo's ``dag get``: the node (or the value at a path in it) in ``output-codec``."""
    codec = get_codec(output_codec)
    value = _walk_path(api, arg)
    if codec.code == DAG_PB and not isinstance(value, dict):
        raise RPCError("only a dag-pb node can be written as dag-pb")
    data = codec.encode(value)
    return StreamResponse(iter([data]), kind="output")


@router.post("/dag/export", summary="Export a DAG as a CAR stream.")
def dag_export(
    api: Api,
    arg: OneArg,
    progress: Annotated[bool, _bool("progress", "Ignored (CLI progress bar).")] = False,
) -> Response:
    """Kubo's ``dag export``: a CARv1 (root first, depth first, no duplicates)."""
    del progress
    root = parse_cid(arg)
    if not root.is_identity and not api.node.blocks.has(root):
        raise BlockNotFoundError(f"block {root} is not stored")

    def produce(push: Callable[[bytes], None]) -> None:
        out = PushWriter(push)
        api.dag_export(root, out)  # type: ignore[arg-type]
        out.flush()

    return StreamResponse(pushed(produce), kind="output")


@router.post("/dag/import", openapi_extra=MULTIPART_BODY, summary="Import CAR files.")
async def dag_import(
    request: Request,
    api: Api,
    pin_roots: Annotated[bool, _bool("pin-roots", "Pin the CARs' roots.")] = True,
    stats: Annotated[bool, _bool("stats", "Report block count and bytes.")] = False,
    silent: Annotated[bool, _bool("silent", "Write no output.")] = False,
    allow_big: Annotated[bool, _bool("allow-big-block", "Allow blocks over 2 MiB.")] = False,
) -> Response:
    """Kubo's ``dag import``: ``{"Root":{"Cid":{"/":cid},"PinErrorMsg":""}}`` per root,
    then ``{"Stats":{"BlockCount","BlockBytesCount"}}`` with ``stats``."""

    def run(reader: MultipartReader, emit: Emit) -> None:
        big = _limit(allow_big)
        limits = CarLimits(max_block_size=big, max_section_size=big + 4096)
        parts = [False]

        def cars() -> Iterator[BinaryIO]:
            for part in reader:
                parts[0] = True
                yield io.BufferedReader(part, 1 << 16)

        report = api.import_cars(cars(), pin_roots=pin_roots, limits=limits)
        if not parts[0]:
            raise RPCError("file argument 'path' is required")
        failed = {cid: err.message for cid, err in report.pin_errors}
        if not silent:
            for root in report.roots:
                line = {"Root": {"Cid": {"/": str(root)}, "PinErrorMsg": failed.get(root, "")}}
                emit(json_line(line))
        if stats and not silent:
            emit(
                json_line({"Stats": {"BlockCount": report.blocks, "BlockBytesCount": report.bytes}})
            )

    return StreamResponse(stream_parts(request, run))


# -- refs ----------------------------------------------------------------------------------


def _named_links(api: IPFSSimpleAPI, cid: CID) -> list[tuple[str, CID]]:
    if cid.codec == RAW:
        return []
    data = cid.digest if cid.is_identity else api.node.blocks.get(cid)
    if cid.codec == DAG_PB:
        return [(lk.name or "", lk.cid) for lk in dag_pb.decode_node(data).links]
    return [("", link) for link in Block(cid, data).links()]


@router.post("/refs", summary="List the links of DAGs.")
def refs(
    api: Api,
    arg: Args,
    format: Annotated[str, Query(max_length=256)] = "<dst>",
    edges: Annotated[bool, _bool("edges", 'Format "<src> -> <dst>".')] = False,
    unique: Annotated[bool, _bool("unique", "Each ref once.")] = False,
    recursive: Annotated[bool, _bool("recursive", "Whole DAGs, not direct links.")] = False,
    max_depth: Annotated[int, Query(alias="max-depth", ge=-1)] = -1,
) -> Response:
    """Kubo's ``refs``: ``{"Ref","Err"}`` lines, depth first."""
    if edges:
        if format != "<dst>":
            raise RPCError("using format argument with edges is not allowed")
        format = "<src> -> <dst>"
    depth_limit = max_depth if recursive else 1
    if not recursive and max_depth != -1:
        depth_limit = max_depth
    roots = [api.exporter.resolve(a) for a in arg]

    def lines() -> Iterator[bytes]:
        seen: set[bytes] = set()
        for root in roots:
            stack: list[tuple[CID, int]] = [(root, 0)]
            while stack:
                cid, depth = stack.pop()
                if depth_limit != -1 and depth >= depth_limit:
                    continue
                children = _named_links(api, cid)
                for _, child in reversed(children):
                    stack.append((child, depth + 1))
                for name, child in children:
                    if unique:
                        if child.bytes in seen:
                            continue
                        seen.add(child.bytes)
                    ref = (
                        format.replace("<src>", str(cid))
                        .replace("<dst>", str(child))
                        .replace("<linkname>", name)
                    )
                    yield json_line({"Ref": ref, "Err": ""})

    return StreamResponse(lines())


@router.post("/refs/local", summary="List every block stored.")
def refs_local(api: Api) -> Response:
    """Kubo's ``refs local``: every stored block as a CIDv1 ``raw`` ``{"Ref","Err"}``."""
    hashes = list(api.node.blocks.multihashes())
    return StreamResponse(ndjson({"Ref": str(CID(1, RAW, mh)), "Err": ""} for mh in hashes))
