"""Content-path resolution for the gateway: ``/ipfs/{cid}/a/b`` to a CID, with proof.

Unlike :meth:`Exporter.resolve`, this walk records what the gateway must send or
report: the CID of each logical path segment (``X-Ipfs-Roots``) and every block
read on the way (the blocks a trustless client needs, before the terminal
entity, to verify the path from the root CID). HAMT-sharded directories are
walked by hashing the name, reading only the shards on its way (a 10k-entry
directory costs a few blocks, not all of them). DAG-CBOR and DAG-JSON blocks
are walked through map keys and list indexes up to the next link.

Every block comes through ``get``, which must return verified bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_CBOR, DAG_JSON, DAG_PB
from ipfs_kit_py.codecs import Block, PBNode, dag_pb
from ipfs_kit_py.errors import DecodeError, PathNotFoundError, UnsupportedError
from ipfs_kit_py.unixfs import MAX_DEPTH, DataType, UnixFSData
from ipfs_kit_py.unixfs._hamt import hamt_lookup

__all__ = ["GetBlock", "Resolved", "resolve", "unixfs_node"]

#: Verified bytes of a block (identity CIDs answered from the CID).
GetBlock = Callable[[CID], bytes]


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a content path ends, and how it got there.

    ``roots`` has one CID per logical segment, the root CID first (``X-Ipfs-Roots``);
    ``path_blocks`` are the blocks read before the terminal one, in order.
    """

    cid: CID
    roots: tuple[CID, ...]
    path_blocks: tuple[CID, ...]


def unixfs_node(cid: CID, data: bytes) -> tuple[PBNode, UnixFSData] | None:
    """The dag-pb node and its UnixFS data, or ``None`` when ``cid`` is not UnixFS dag-pb."""
    if cid.codec != DAG_PB:
        return None
    node = dag_pb.decode_node(data)
    if node.data is None:
        return None
    return node, UnixFSData.decode(node.data)


def resolve(get: GetBlock, root: CID, segments: Sequence[str]) -> Resolved:
    """Walk ``segments`` (already decoded, each a single name) from ``root``.

    The terminal block is read too, so a missing or corrupt terminal block raises here,
    before any response starts. Raises :class:`PathNotFoundError` for a name that is
    not there, :class:`UnsupportedError` for a path ending inside a DAG-CBOR value.
    """
    if len(segments) > MAX_DEPTH:
        raise PathNotFoundError(f"path has more than {MAX_DEPTH} segments")
    cid = root
    roots = [root]
    proof: list[CID] = []
    i = 0
    while i < len(segments):
        data = get(cid)
        proof.append(cid)
        if cid.codec == DAG_PB:
            cid = _unixfs_step(get, cid, data, segments[i], proof)
            i += 1
            roots.append(cid)
        elif cid.codec in (DAG_CBOR, DAG_JSON):
            value: Any = Block(cid, data).decode()
            here = cid
            while i < len(segments) and not isinstance(value, CID):
                value = _field(value, segments[i], here)
                i += 1
                if not isinstance(value, CID):
                    roots.append(here)
            if not isinstance(value, CID):
                raise UnsupportedError(f"path ends inside block {here}, not at a link")
            cid = value
            roots.append(cid)
        else:
            raise PathNotFoundError(f"{cid} is {cid.codec_name}: it has no path {segments[i]!r}")
    get(cid)  # the terminal block must exist (404 before any byte is sent)
    return Resolved(cid, tuple(roots), tuple(proof))


def _field(value: Any, key: str, where: CID) -> Any:
    if isinstance(value, dict):
        if key not in value:
            raise PathNotFoundError(f"no field {key!r} in {where}")
        return value[key]
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    raise PathNotFoundError(f"no field {key!r} in {where}")


def _unixfs_step(get: GetBlock, cid: CID, data: bytes, name: str, proof: list[CID]) -> CID:
    parsed = unixfs_node(cid, data)
    if parsed is None:
        raise PathNotFoundError(f"{cid} is not a UnixFS directory")
    node, fs = parsed
    if fs.type is DataType.DIRECTORY:
        for link in node.links:
            if link.name == name:
                return link.cid
        raise PathNotFoundError(f"no entry {name!r} in {cid}")
    if fs.type is DataType.HAMT_SHARD:
        found = hamt_lookup(_loader(get, proof), node, fs, name)
        if found is None:
            raise PathNotFoundError(f"no entry {name!r} in {cid}")
        return found
    raise PathNotFoundError(f"{cid} is a UnixFS {fs.type.name.lower()}, not a directory")


def _loader(get: GetBlock, proof: list[CID]) -> Callable[[CID], tuple[PBNode, UnixFSData]]:
    """Read a HAMT shard for :func:`hamt_lookup`, appending it to ``proof``."""

    def load(cid: CID) -> tuple[PBNode, UnixFSData]:
        proof.append(cid)
        parsed = unixfs_node(cid, get(cid))
        if parsed is None:
            raise DecodeError(f"HAMT link to {cid} is not a UnixFS node")
        return parsed

    return load
