"""HAMT-sharded UnixFS directories (``HAMTShard`` nodes), byte for byte as Kubo and Helia.

When the importer finds a directory too big for one block (the size rule is in
``Importer._directory`` and ``ImportOptions.shard_estimate``), the entries go into
a hash array mapped trie instead, laid out as boxo
``ipld/unixfs/hamt`` (Kubo) and ``ipfs-unixfs-importer`` ``dir-sharded`` with
``hamt-sharding`` (Helia) lay it out:

* **Hash.** murmur3-x64-64 of the entry name's UTF-8 bytes: the first 64-bit word
  ``h1`` of MurmurHash3_x64_128 with seed 0 (Go ``murmur3.New64``; JS takes the
  first 8 bytes of the big-endian 128-bit digest). ``hashType`` = ``0x22``.
* **Bits.** Read most significant first: at depth ``d`` the slot is bits
  ``[8d, 8d + 8)`` of ``h1``, i.e. ``(h1 >> (56 - 8d)) & 0xFF``; fanout 256, so
  at most 8 levels. Two names whose 64-bit hashes are equal would need a ninth:
  Kubo fails ("sharded directory too deep"), JS rehashes; we refuse too.
* **Slots.** A slot with one entry is a link named ``"%02X" % slot + name`` to the
  entry, keeping its own Tsize. A slot with two or more entries is a child shard
  (same rules, next 8 bits), linked as ``"%02X" % slot`` with the child's
  cumulative size (encoded block + its links' Tsizes) as Tsize. The trie is
  canonical: it depends only on the set of names, not on insertion order.
* **Node.** Links in slot order (which is also byte order of their names); Data is
  UnixFS ``{Type: HAMTShard, Data: bitfield, hashType: 0x22, fanout: 256}`` and
  nothing else (no filesize, blocksizes, mode or mtime). The bitfield has bit
  ``i`` set for each used slot ``i``, written as a big-endian integer with leading
  zero bytes dropped (go-bitfield ``Bytes()``; JS reverses sparse-array's
  little-endian ``bitField()``, which already drops high zero bytes).
* Every shard, the root and each child, is its own dag-pb block with the import's
  CID version and hash, passed through ``Importer._node`` (so inlining and the block
  sink apply as for any other node).

When to shard is decided per directory, nested ones included, by
``Importer._directory``: estimate strictly greater than the threshold (IPIP-499,
the JS importer). Two reference quirks we do not copy: Kubo v0.22 (boxo before
IPIP-499) shards at estimate ``>=`` 256 KiB, so exactly 262144 bytes differs; and
the JS importer counts a non-empty subdirectory as 0 bytes in its parent's
estimate (it has no CID yet), where Kubo and we count its name and CID.

Written by hand: no Python package builds UnixFS HAMTs, and the layout is a few
dozen lines; the hash comes from ``mmh3`` (C), an independent MurmurHash3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import mmh3

from ipfs_kit_py.codecs import PBLink, PBNode
from ipfs_kit_py.errors import DecodeError, InvalidInputError, UnsupportedError
from ipfs_kit_py.unixfs._pb import NO_METADATA, DataType, Metadata, UnixFSData

if TYPE_CHECKING:
    from ipfs_kit_py.cid import CID
    from ipfs_kit_py.unixfs._importer import Importer, _Link

__all__ = [
    "FANOUT",
    "MURMUR3_X64_64",
    "bitfield_bytes",
    "hamt_lookup",
    "murmur3_x64_64",
    "sharded_directory",
]

#: multicodec ``murmur3-x64-64`` (historically ``murmur3-128``): the HAMT ``hashType``.
MURMUR3_X64_64 = 0x22
#: Bits of the hash consumed per level, and the resulting fanout (256, as everywhere).
FANOUT_BITS = 8
FANOUT = 1 << FANOUT_BITS
_PAD = len(f"{FANOUT - 1:X}")  # hex digits of a slot in link names: 2
_MAX_DEPTH = 64 // FANOUT_BITS  # levels a 64-bit hash can address

#: (hash of the name, the entry's link) for each entry being placed.
_Entry = tuple[int, PBLink]


def murmur3_x64_64(data: bytes) -> int:
    """The HAMT hash of a name: the first word (h1) of MurmurHash3_x64_128, seed 0.

    >>> hex(murmur3_x64_64(b"hello"))
    '0xcbd8a7b341bd9b02'
    """
    return mmh3.hash64(data, seed=0, x64arch=True, signed=False)[0]


def bitfield_bytes(slots: Iterable[int]) -> bytes:
    """The shard ``Data`` bitfield: bit ``i`` per used slot, big-endian, no leading zeros.

    >>> bitfield_bytes([0, 9]).hex(), bitfield_bytes([255]).hex()[:4], bitfield_bytes([])
    ('0201', '8000', b'')
    """
    value = 0
    for slot in slots:
        value |= 1 << slot
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def sharded_directory(
    importer: Importer, links: list[PBLink], meta: Metadata = NO_METADATA
) -> _Link:
    """Build a HAMT-sharded directory of ``links`` (name -> entry); return its root link.

    ``meta`` (mode, mtime) goes on the root shard only, as in the JS importer.
    """
    entries: list[_Entry] = []
    seen: set[bytes] = set()
    for link in links:
        name = link.name_bytes()
        if name in seen:
            raise InvalidInputError(f"duplicate directory entry name {link.name!r}")
        seen.add(name)
        entries.append((murmur3_x64_64(name), link))
    return _shard(importer, entries, 0, meta)


def _shard(
    importer: Importer, entries: list[_Entry], depth: int, meta: Metadata = NO_METADATA
) -> _Link:
    if depth == _MAX_DEPTH:
        names = ", ".join(repr(link.name) for _, link in entries)
        raise UnsupportedError(f"HAMT too deep: names {names} have the same 64-bit hash")
    shift = 64 - FANOUT_BITS * (depth + 1)
    slots: dict[int, list[_Entry]] = {}
    for entry in entries:
        slots.setdefault((entry[0] >> shift) & (FANOUT - 1), []).append(entry)
    out: list[PBLink] = []
    for slot in sorted(slots):
        group = slots[slot]
        prefix = f"{slot:0{_PAD}X}"
        if len(group) == 1:
            link = group[0][1]
            out.append(PBLink(link.cid, prefix + (link.name or ""), link.tsize))
        else:
            child = _shard(importer, group, depth + 1)
            out.append(PBLink(child.cid, prefix, child.tsize))
    data = UnixFSData(
        DataType.HAMT_SHARD,
        data=bitfield_bytes(slots),
        hash_type=MURMUR3_X64_64,
        fanout=FANOUT,
        mode=meta.mode,
        mtime=meta.mtime,
    )
    return importer._node(PBNode.create(out, data.encode()), 0)


def hamt_lookup(
    load: Callable[[CID], tuple[PBNode, UnixFSData]],
    node: PBNode,
    fs: UnixFSData,
    name: str,
) -> CID | None:
    """The entry ``name`` of the HAMT shard ``node``, or ``None``.

    Only the shards on the way of the name's hash are read (``load``), so a lookup
    in a directory of a million entries costs a few blocks, not all of them.
    """
    fanout = fs.fanout or 256
    bits = fanout.bit_length() - 1
    if fanout != 1 << bits or not 1 <= bits <= 8:
        raise DecodeError(f"HAMT fanout {fanout} is not a power of two up to 256")
    pad = len(f"{fanout - 1:X}")
    digest = murmur3_x64_64(name.encode("utf-8", "surrogateescape"))
    for depth in range(64 // bits):
        slot = (digest >> (64 - bits * (depth + 1))) & (fanout - 1)
        prefix = f"{slot:0{pad}X}"
        shard: CID | None = None
        for link in node.links:
            label = link.name or ""
            if not label.startswith(prefix):
                continue
            if len(label) == pad:
                shard = link.cid
                break
            if label[pad:] == name:
                return link.cid
        if shard is None:
            return None
        node, fs = load(shard)
        if fs.type is not DataType.HAMT_SHARD:
            raise DecodeError(f"HAMT link {prefix!r} points to a {fs.type.name} node")
    return None
