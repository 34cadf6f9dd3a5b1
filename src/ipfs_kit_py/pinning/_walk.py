"""DAG walking for pins and GC: iterative, each block once, identity CIDs never fetched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError

__all__ = ["GetBlock", "HasBlock", "links_of", "pin_key", "walk"]

#: Reads one block, verified (``Blockstore.get``).
GetBlock = Callable[[CID], bytes]
#: Whether a block is stored (``Blockstore.has``).
HasBlock = Callable[[CID], bool]


def pin_key(cid: CID) -> bytes:
    """The identity of a pin or a visited node: the CID as CIDv1 bytes.

    A CIDv0 and its CIDv1 twin are one node; the codec stays part of the key because
    it decides how the block is decoded, hence which links it has.

    >>> v0 = CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")
    >>> pin_key(v0) == pin_key(v0.to_v1()) == v0.to_v1().bytes
    True
    """
    return cid.bytes if cid.version == 1 else cid.to_v1().bytes


def links_of(cid: CID, get: GetBlock) -> list[CID]:
    """The CIDs ``cid``'s block links to; identity CIDs are decoded from the CID itself.

    >>> block = Block.encode({"a": CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")},
    ...                      "dag-cbor")
    >>> links_of(block.cid, {block.cid: block.data}.__getitem__)
    [CID('QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o')]
    """
    data = cid.digest if cid.is_identity else get(cid)
    return list(Block(cid, data).links())


def walk(
    roots: Iterable[CID],
    get: GetBlock,
    *,
    has: HasBlock | None = None,
    seen: set[bytes] | None = None,
    missing_ok: bool = False,
) -> Iterator[CID]:
    """Every CID reachable from ``roots`` (roots included), depth first, in link order.

    Iterative, so a deep DAG cannot hit the recursion limit. Each node is yielded once,
    after its block was read and decoded; nodes whose :func:`pin_key` is already in
    ``seen`` are skipped, and ``seen`` is updated, so several walks can share it. A
    missing block raises :class:`~ipfs_kit_py.errors.BlockNotFoundError` unless
    ``missing_ok``, when it is skipped (with everything only it links to). Corrupt or
    undecodable blocks always raise.

    With ``has``, ``raw`` blocks, which link nowhere, are only checked for presence,
    not read: the bulk of a UnixFS file's bytes is raw leaves, so adds and collections
    stay cheap (``PinStore.verify`` reads and hashes everything).

    >>> leaf = Block.from_data(b"leaf")
    >>> root = Block.encode([leaf.cid, leaf.cid], "dag-cbor")
    >>> store = {root.cid: root.data, leaf.cid: leaf.data}
    >>> [c.codec_name for c in walk([root.cid], store.__getitem__)]
    ['dag-cbor', 'raw']
    """
    visited: set[bytes] = set() if seen is None else seen
    stack = list(roots)
    stack.reverse()
    while stack:
        cid = stack.pop()
        key = pin_key(cid)
        if key in visited:
            continue
        try:
            if has is not None and cid.codec == RAW and not cid.is_identity:
                if not has(cid):
                    raise BlockNotFoundError(f"block {cid} not found")
                links = []
            else:
                links = links_of(cid, get)
        except BlockNotFoundError:
            if not missing_ok:
                raise
            visited.add(key)
            continue
        visited.add(key)
        yield cid
        links.reverse()
        stack.extend(links)
