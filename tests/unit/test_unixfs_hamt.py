"""HAMT-sharded directories: the hash, the bitfield, Kubo's own shard blocks, the layout rules.

Golden values come from other implementations: murmur3 digests from
``@multiformats/murmur3`` (JS, independent of the ``mmh3`` C code we call), and the
shard blocks of a small directory that Kubo v0.22 wrote to its block store
(``Internal.UnixFSShardingSizeThreshold=1B``). Root-CID equality on large
directories, against Kubo and the JS importer, is in tests/interop.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from ipfs_kit_py import CID
from ipfs_kit_py.cid import multicodec, multihash
from ipfs_kit_py.codecs import Block, PBLink, dag_pb
from ipfs_kit_py.errors import InvalidInputError, UnsupportedError
from ipfs_kit_py.unixfs import (
    DataType,
    Exporter,
    Importer,
    ImportOptions,
    UnixFSData,
    resolve_options,
)
from ipfs_kit_py.unixfs import _hamt as hamt

V0 = resolve_options("unixfs-v0-2015")
V1 = resolve_options("unixfs-v1-2025")


# murmur3-x64-64 (first 8 bytes of MurmurHash3_x64_128, seed 0) as computed by
# @multiformats/murmur3 2.2.8 `murmur364`; lengths 0-17 cover every tail case.
@pytest.mark.parametrize(
    ("text", "digest"),
    [
        ("", "0000000000000000"),
        ("a", "85555565f6597889"),
        ("ab", "938b11ea16ed1b2e"),
        ("abc", "b4963f3f3fad7867"),
        ("hello", "cbd8a7b341bd9b02"),
        ("hello world", "533f6046eb7f610e"),
        ("0123456789abcdef", "4be06d94cf4ad1a7"),
        ("0123456789abcdefX", "cdebd2acb570d6f7"),
        ("The quick brown fox jumps over the lazy dog", "e34bbc7bbc071b6c"),
        ("水", "6b671ae7e8f23544"),
        ("café.txt", "2ba973c01950b2bd"),
    ],
)
def test_murmur3_x64_64_vectors(text: str, digest: str) -> None:
    assert hamt.murmur3_x64_64(text.encode()).to_bytes(8, "big").hex() == digest


def test_bitfield_is_minimal_big_endian() -> None:
    assert hamt.bitfield_bytes([]) == b""
    assert hamt.bitfield_bytes([0]) == b"\x01"
    assert hamt.bitfield_bytes([8]) == b"\x01\x00"
    assert hamt.bitfield_bytes([7, 1]) == b"\x82"
    assert hamt.bitfield_bytes([255]) == b"\x80" + bytes(31)
    assert hamt.bitfield_bytes(range(256)) == b"\xff" * 32
    rng = random.Random(1)
    for _ in range(200):
        slots = set(rng.sample(range(256), rng.randint(1, 40)))
        raw = hamt.bitfield_bytes(slots)
        assert raw[0] != 0
        value = int.from_bytes(raw, "big")
        assert {i for i in range(256) if value >> i & 1} == slots


# Every HAMTShard block Kubo v0.22 stored for KUBO_FILES added as directory "d" with
# Internal.UnixFSShardingSizeThreshold=1B. "nf38d5" and "n2f257b" share 44 hash bits:
# a chain of one-link shards (19 -> 16 -> 9D -> 22 -> DA) down to the shard at depth 5
# holding both.
KUBO_FILES = {
    "nf38d5": b"deep one\n",
    "n2f257b": b"deep two\n",
    "empty": b"",
    "水.txt": "水\n".encode(),
    "A": b"a",
}
KUBO_ROOT = "Qmc6KMn3DBfkeEbkQPdWk5GNZxWaGT36bpcmqD8vDi71TL"
KUBO_SHARDS = {
    KUBO_ROOT: "122b0a221220fad3b4b8270ea30f09c1364b990db3351b2f720115b774071f4cc4e2ba25"
    "dfc212033033411809122b0a22122080d0b5622c00e9001c39f24dc57c324ad0d87508efe97b0a4670"
    "0162a65374c91202313918c003122f0a221220bfccda787baba32b59c78450ac3d20b633360b43992c"
    "77289f9ed46d843561e612073545656d707479180612310a221220c3d8ee09120e0d4e0960c9170d15"
    "d633688e135339ae409e2aa44f86b32b940e12093645e6b0b42e747874180c0a170805120e40004000"
    "000000000000020000082822308002",
    "QmX1VUfLzxbe3xK2ubGVGA5SS6HAwKVt1K6uksotE71qyS": "122b0a221220bdca909d6c4a96cedff7"
    "c48a5c7f46cf4bc6b860d37d9d174326eb0c2949c2f9120231361885030a0c080512034000002822308002",
    "Qmb7WuxQzPD3gs7WuFN2YcEDdHLXp8orMFj1sZ8daJRF5i": "122b0a221220ebd5af14dee948c18c34"
    "0821de2e240a854d60f8932f98f72b90f1422910355b1202394418b9020a1d0805121420000000000000"
    "000000000000000000000000002822308002",
    "QmeDFW3nyxo82Q8F3j4cabj3DTVFB8Y6Aei97sQT1aoQpz": "122b0a221220df16a9677b6c84edfc58"
    "d080abdb3ff7cc4c25ed095d6cad9c8f8e62493d4e1f1202323218fc010a0e0805120504000000002822308002",
    "QmdMVfiPTmfog8cKAWD2YMBR8SH6dQMJQgF2bTWvS84adC": "122b0a22122046d521aaccede43e5ad5d9"
    "11ea3df5a01faa3a8d209a5a4b9ac4c40cdbd13e7b1202444118a8010a250805121c04000000000000000"
    "0000000000000000000000000000000000000002822308002",
    "QmT79k3cEtixxYfDCskrzeQqSNRcUSY6Dhe92jJHHp9gnW": "12300a2212208bdd5a4c8db97179ef12ef"
    "0f9036504b2e5851e341b3c13d7839500e730e134c120841376e6633386435181112310a22122003547b"
    "902b2dec12b04881159d6d86332a87c8da65a8977784bd17ef7972bb56120941466e3266323537621811"
    "0a1f08051216808000000000000000000000000000000000000000002822308002",
}


def _import(path: Path, options: ImportOptions) -> tuple[CID, dict[CID, bytes]]:
    blocks: dict[CID, bytes] = {}
    with Importer(options, lambda b: blocks.__setitem__(b.cid, b.data)) as imp:
        root = list(imp.add_paths([path]))[-1]
    return root.cid, blocks


def _unixfs(raw: bytes) -> UnixFSData:
    data = dag_pb.decode_node(raw).data
    assert data is not None
    return UnixFSData.decode(data)


def test_kubo_shard_blocks_decode_as_documented() -> None:
    for cid, hexdata in KUBO_SHARDS.items():
        raw = bytes.fromhex(hexdata)
        Block(CID.parse(cid), raw).verify()
        node = dag_pb.decode_node(raw)
        fs = _unixfs(raw)
        assert fs == UnixFSData(DataType.HAMT_SHARD, data=fs.data, hash_type=0x22, fanout=256)
        slots = [int(link.name[:2], 16) for link in node.links if link.name]
        assert [link.name[:2] for link in node.links if link.name] == [f"{s:02X}" for s in slots]
        assert slots == sorted(set(slots))
        assert len(slots) == len(node.links)
        assert fs.data == hamt.bitfield_bytes(slots)


def test_matches_kubo_shard_blocks_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    for name, content in KUBO_FILES.items():
        (root / name).write_bytes(content)
    cid, blocks = _import(root, dataclasses.replace(V0, shard_threshold=1))
    assert str(cid) == KUBO_ROOT
    shard = DataType.HAMT_SHARD
    shards = {str(c): raw.hex() for c, raw in blocks.items() if _unixfs(raw).type is shard}
    assert shards == KUBO_SHARDS


def _links(count: int, seed: int) -> list[PBLink]:
    rng = random.Random(seed)
    words = ["café", "水", "ελληνικά", "𐅑", "x"]
    links = []
    for i in range(count):
        data = rng.randbytes(rng.randint(0, 50))
        cid = CID(1, multicodec.RAW, multihash.digest(data))
        links.append(PBLink(cid, f"{rng.choice(words)}{i}", len(data)))
    return links


def _check_shard(
    blocks: dict[CID, bytes], cid: CID, depth: int, prefix: int, leaves: dict[str, PBLink]
) -> int:
    """Check one shard node against the layout rules; return its cumulative size."""
    raw = blocks[cid]
    node = dag_pb.decode_node(raw)
    fs = _unixfs(raw)
    assert fs == UnixFSData(DataType.HAMT_SHARD, data=fs.data, hash_type=0x22, fanout=256)
    slots = []
    for link in node.links:
        assert link.name is not None
        assert link.tsize is not None
        slot = int(link.name[:2], 16)
        assert link.name[:2] == f"{slot:02X}"
        slots.append(slot)
        path = prefix << 8 | slot
        if len(link.name) > 2:
            name = link.name[2:]
            assert hamt.murmur3_x64_64(name.encode()) >> (56 - 8 * depth) == path
            assert leaves.pop(name) == PBLink(link.cid, name, link.tsize)
        else:
            before = len(leaves)
            assert _check_shard(blocks, link.cid, depth + 1, path, leaves) == link.tsize
            assert before - len(leaves) >= 2  # a child shard holds two entries or more
    assert slots == sorted(set(slots))
    assert fs.data == hamt.bitfield_bytes(slots)
    return len(raw) + sum(link.tsize or 0 for link in node.links)


@pytest.mark.parametrize("count", [1, 2, 300, 5000])
def test_layout_rules_and_round_trip(count: int) -> None:
    links = _links(count, count)
    blocks: dict[CID, bytes] = {}
    importer = Importer(V1, lambda b: blocks.__setitem__(b.cid, b.data))
    root = hamt.sharded_directory(importer, links)
    remaining = {link.name or "": link for link in links}
    assert _check_shard(blocks, root.cid, 0, 0, remaining) == root.tsize
    assert remaining == {}
    listed = Exporter(blocks.__getitem__).ls(root.cid)
    assert [(e.name, e.cid, e.tsize) for e in listed] == sorted(
        ((lk.name or "", lk.cid, lk.tsize) for lk in links), key=lambda t: t[0].encode()
    )
    shuffled = links[:]
    random.Random(0).shuffle(shuffled)
    assert hamt.sharded_directory(Importer(V1), shuffled).cid == root.cid


def test_shard_nodes_follow_cid_version() -> None:
    root = hamt.sharded_directory(Importer(V0), _links(50, 3))
    assert root.cid.version == 0


def test_duplicate_names_are_refused() -> None:
    links = _links(3, 1)
    with pytest.raises(InvalidInputError, match="duplicate"):
        hamt.sharded_directory(Importer(V1), [*links, links[1]])


def test_full_hash_collision_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Kubo: "sharded directory too deep"; JS would rehash. Only forced collisions get here.
    monkeypatch.setattr(hamt, "murmur3_x64_64", lambda data: 0x0123456789ABCDEF)
    with pytest.raises(UnsupportedError, match="same 64-bit hash"):
        hamt.sharded_directory(Importer(V1), _links(2, 2))


def _dir(tmp_path: Path, names: list[str]) -> Path:
    root = tmp_path / "d"
    root.mkdir()
    for name in names:
        (root / name).write_bytes(b"x")
    return root


@pytest.mark.parametrize("extra", [0, 1])
def test_links_bytes_switch_is_strictly_greater(tmp_path: Path, extra: int) -> None:
    # ten 10-byte names with 34-byte CIDv0s: an estimate of 440 bytes (+1)
    names = [f"n{i:09d}" for i in range(9)] + ["z" * (10 + extra)]
    cid, blocks = _import(_dir(tmp_path, names), dataclasses.replace(V0, shard_threshold=440))
    expected = DataType.HAMT_SHARD if extra else DataType.DIRECTORY
    assert _unixfs(blocks[cid]).type is expected


@pytest.mark.parametrize("delta", [0, -1])
def test_block_bytes_switch_is_strictly_greater(tmp_path: Path, delta: int) -> None:
    root = _dir(tmp_path, [f"n{i:03d}" for i in range(12)])
    flat, blocks = _import(root, V1)
    size = len(blocks[flat])  # the flat node's exact encoded size
    cid, blocks = _import(root, dataclasses.replace(V1, shard_threshold=size + delta))
    assert _unixfs(blocks[cid]).type is (DataType.DIRECTORY if delta == 0 else DataType.HAMT_SHARD)


def test_resolve_through_a_hamt_reads_only_the_shards_on_the_way(tmp_path: Path) -> None:
    from ipfs_kit_py.errors import PathNotFoundError
    from ipfs_kit_py.unixfs import Exporter, Importer

    tree = tmp_path / "many"
    tree.mkdir()
    for i in range(3000):
        (tree / f"entry-{i:05d}.txt").write_bytes(b"%d" % i)
    store: dict[CID, bytes] = {}
    opts = dataclasses.replace(V1, shard_threshold=1000)
    root = list(Importer(opts, sink=lambda b: store.__setitem__(b.cid, b.data)).add_paths([tree]))[
        -1
    ].cid
    listed = {e.name: e.cid for e in Exporter(store.__getitem__).ls(root)}  # reads every shard
    assert len(listed) == 3000
    shards = sum(1 for c in store if c.codec == multicodec.DAG_PB)
    reads: list[CID] = []

    def get(cid: CID) -> bytes:
        reads.append(cid)
        return store[cid]

    for name in ("entry-00000.txt", "entry-01234.txt", "entry-02999.txt"):
        reads.clear()
        assert Exporter(get).resolve(f"{root}/{name}") == listed[name]
        assert 1 <= len(reads) <= 3 < shards  # the root shard and at most two more
    with pytest.raises(PathNotFoundError):
        Exporter(get).resolve(f"{root}/entry-03000.txt")
