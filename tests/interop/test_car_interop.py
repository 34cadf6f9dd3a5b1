"""CAR interop: ipfs_kit_py against @ipld/car, ipfs-car and cardex (the JS references).

Golden values (CIDs, block bytes, block order, index bytes) always come from the
JS tools; our library is only ever the thing under test.
"""

from __future__ import annotations

import base64
import io
import random
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py import CID, Block
from ipfs_kit_py.car import (
    CarReader,
    CarV2Writer,
    IndexedCar,
    MultihashIndexSorted,
    export_dag,
    index_car,
    verify_car,
    write_car,
)
from ipfs_kit_py.codecs import PBLink, PBNode, dag_pb

pytestmark = pytest.mark.interop

CarDump = dict[str, Any]
CarRead = Callable[[Path], CarDump]
CarWrite = Callable[[CarDump, Path], None]
Pack = Callable[[Path, Path, Sequence[str]], str]
CardexWrite = Callable[[Path, Path, str], bytes]
CardexRead = Callable[[Path], list[dict[str, Any]]]
KitCli = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

SHA2_256 = 0x12
IDENTITY = 0x00
UNIXFS_FILE = b"\x08\x02"


# -- helpers ------------------------------------------------------------------------------


def js_blocks(dump: CarDump) -> list[tuple[str, bytes]]:
    """``(cid, bytes)`` pairs from ``car-read.mjs`` output, in file order."""
    return [(b["cid"], base64.b64decode(b["bytes"])) for b in dump["blocks"]]


def our_blocks(path: Path) -> tuple[list[str], list[tuple[str, bytes]], int]:
    """Roots, ``(cid, bytes)`` pairs and version as our CarReader (verify=True) reads them."""
    with CarReader.open(path, verify=True) as reader:
        roots = [str(r) for r in reader.roots]
        blocks = [(str(b.cid), b.data) for b in reader]
        return roots, blocks, reader.version


def as_pairs(blocks: Sequence[Block]) -> list[tuple[str, bytes]]:
    return [(str(b.cid), b.data) for b in blocks]


def first_occurrences(blocks: Sequence[Block]) -> list[Block]:
    seen: set[CID] = set()
    out = []
    for block in blocks:
        if block.cid not in seen:
            seen.add(block.cid)
            out.append(block)
    return out


def cli_ok(kit_cli: KitCli, args: Sequence[str]) -> list[str]:
    """Run our CLI, require exit 0, return its stdout lines."""
    proc = kit_cli(args)
    assert proc.returncode == 0, f"ipfs-kit {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout.splitlines()


def index_bytes_of(path: Path) -> bytes:
    """The index section of a CARv2, located through our reader's v2 header."""
    with CarReader.open(path) as reader:
        v2 = reader.v2_header
    assert v2 is not None
    assert v2.index_offset == v2.data_offset + v2.data_size
    return path.read_bytes()[v2.index_offset :]


def payload_of(path: Path) -> bytes:
    """The CARv1 payload inside a CARv2."""
    with CarReader.open(path) as reader:
        v2 = reader.v2_header
    assert v2 is not None
    return path.read_bytes()[v2.data_offset : v2.data_offset + v2.data_size]


def read_uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# -- 1. ipfs-car pack -> us -----------------------------------------------------------


@dataclass(frozen=True)
class PackCase:
    id: str
    files: dict[str, bytes]
    flags: tuple[str, ...]
    #: pack this path below the temp input dir ("" = the input dir itself)
    target: str
    #: bytes that must show up as a block (proves a flag took effect)
    expect_leaf: bytes | None = None
    #: exact number of sections ipfs-car writes, where it proves a point (multi-chunk)
    expect_sections: int | None = None
    #: ipfs-car must repeat some block (same content packed twice)
    expect_repeats: bool = False


def _pack_cases() -> list[PackCase]:
    rng = random.Random(20240611)
    small = rng.randbytes(1234)
    big = rng.randbytes(3_000_000)
    two_chunks = rng.randbytes(1_300_000)
    shared = rng.randbytes(777)
    hidden = rng.randbytes(321)
    return [
        PackCase("single-file-wrapped", {"hello.txt": small}, (), "hello.txt"),
        # three 1 MiB raw leaves + the UnixFS file node, which is the root
        PackCase(
            "big-file-no-wrap",
            {"weights.bin": big},
            ("--no-wrap",),
            "weights.bin",
            expect_sections=4,
        ),
        PackCase(
            "nested-dir-unicode-duplicates",
            {
                "tree/readme.md": shared,
                "tree/a/b/copy-of-readme.md": shared,
                "tree/a/model.bin": two_chunks,
                "tree/ünïcödé 文件/model-copy.bin": two_chunks,
                "tree/emoji 🙂/notes.txt": rng.randbytes(50),
                "tree/a/empty.txt": b"",
                "tree/z/deep/deeper/leaf.dat": rng.randbytes(4096),
            },
            (),
            "tree",
            expect_repeats=True,
        ),
        PackCase(
            "hidden-files",
            {"site/index.html": rng.randbytes(200), "site/.hidden": hidden},
            ("--hidden",),
            "site",
            expect_leaf=hidden,
        ),
    ]


PACK_CASES = _pack_cases()


@pytest.mark.parametrize("case", PACK_CASES, ids=[c.id for c in PACK_CASES])
def test_ipfs_car_pack_read_by_us(
    case: PackCase,
    tmp_path: Path,
    ipfs_car_pack: Pack,
    car_read: CarRead,
    kit_cli: KitCli,
) -> None:
    src = tmp_path / "in"
    write_files(src, case.files)
    car = tmp_path / "out.car"
    root = ipfs_car_pack(src / case.target, car, case.flags)
    js = car_read(car)
    expected = js_blocks(js)
    assert js["version"] == 1
    assert js["roots"] == [root]
    if case.expect_leaf is not None:
        assert case.expect_leaf in [data for _, data in expected]
    if case.expect_sections is not None:
        assert len(expected) == case.expect_sections
    cids = [cid for cid, _ in expected]
    assert (len(set(cids)) < len(cids)) == case.expect_repeats

    roots, blocks, version = our_blocks(car)
    assert version == 1
    assert roots == js["roots"]
    assert blocks == expected  # same order, duplicates included

    report = verify_car(car)
    assert report.ok, report.error
    assert (report.blocks, report.bytes) == (len(expected), sum(len(d) for _, d in expected))
    assert [str(r) for r in report.roots] == js["roots"]

    assert cli_ok(kit_cli, ["car", "ls", str(car)]) == [cid for cid, _ in expected]
    assert cli_ok(kit_cli, ["car", "roots", str(car)]) == js["roots"]


# -- 2. us -> @ipld/car ---------------------------------------------------------------


@dataclass(frozen=True)
class Dag:
    """A small DAG built with our library, with its structure known independently."""

    blocks: dict[CID, Block]
    children: dict[CID, list[CID]]  # links in the order we put them in
    roots: list[CID]
    leaves: list[Block]
    v0: Block
    directory: Block
    cbor: Block
    ident: Block


def build_dag(seed: int) -> Dag:
    rng = random.Random(seed)
    leaves = [Block.from_data(rng.randbytes(n)) for n in (0, 1, 300, 4096, 65_536, 250_000)]
    ident = Block.from_data(b"tiny inline block", hash_code=IDENTITY)
    assert ident.cid.is_identity

    # CIDv0 dag-pb node (Kubo-style UnixFS file node with one child).
    v0_node = PBNode.create([PBLink(leaves[5].cid, "", len(leaves[5].data))], data=UNIXFS_FILE)
    v0_data = dag_pb.encode(v0_node)
    v0 = Block(CID(0, 0x70, CID.from_data(v0_data, 0x70).multihash), v0_data)
    assert str(v0.cid).startswith("Qm")

    # dag-pb directory: names already in byte order, "d-dup.bin" repeats leaf 0.
    dir_links = [
        ("a.bin", leaves[0]),
        ("b.bin", leaves[1]),
        ("c.bin", leaves[2]),
        ("d-dup.bin", leaves[0]),
    ]
    dir_node = PBNode.create(
        [PBLink(b.cid, name, len(b.data)) for name, b in dir_links], data=b"\x08\x01"
    )
    directory = Block.from_data(dag_pb.encode(dir_node), "dag-pb")

    # dag-cbor node: one list keeps the link order obvious; repeats leaf 1, links inline data.
    kids = [directory.cid, leaves[3].cid, v0.cid, leaves[1].cid, ident.cid, leaves[4].cid]
    cbor = Block.encode({"kids": kids, "note": f"seed {seed}"}, "dag-cbor")

    children = {
        cbor.cid: kids,
        directory.cid: [b.cid for _, b in dir_links],
        v0.cid: [leaves[5].cid],
    }
    every = [*leaves, ident, v0, directory, cbor]
    return Dag(
        blocks={b.cid: b for b in every},
        children=children,
        roots=[cbor.cid],
        leaves=leaves,
        v0=v0,
        directory=directory,
        cbor=cbor,
        ident=ident,
    )


def dfs_order(dag: Dag, roots: Sequence[CID]) -> list[Block]:
    """Root first, depth-first in link order, each block once, identity CIDs not written."""
    seen: set[CID] = set()
    order: list[Block] = []

    def visit(cid: CID) -> None:
        if cid in seen:
            return
        seen.add(cid)
        if not cid.is_identity:
            order.append(dag.blocks[cid])
        for child in dag.children.get(cid, []):
            visit(child)

    for root in roots:
        visit(root)
    return order


@pytest.fixture
def dag() -> Dag:
    return build_dag(seed=7)


def test_structure_matches_encoded_links(dag: Dag) -> None:
    """The hand-kept ``children`` map must be what the encoded blocks really link to."""
    for cid, block in dag.blocks.items():
        assert list(block.links()) == dag.children.get(cid, []), cid
        block.verify()


def test_write_car_read_by_ipld_car(dag: Dag, tmp_path: Path, car_read: CarRead) -> None:
    lv = dag.leaves
    order = [lv[2], dag.cbor, lv[0], dag.directory, lv[0], dag.v0, lv[1], lv[3], lv[5], lv[4]]
    order.append(lv[2])  # a repeat at the end, too
    roots = [dag.cbor.cid, dag.v0.cid]
    car = tmp_path / "ours.car"
    with car.open("wb") as fp:
        written = write_car(fp, roots, order)
    intended = first_occurrences(order)
    assert written == len(intended)

    js = car_read(car)
    assert js["version"] == 1
    assert js["roots"] == [str(dag.cbor.cid), str(dag.v0.cid)]
    assert js["roots"][1].startswith("Qm")
    assert js_blocks(js) == as_pairs(intended)


def test_export_dag_read_by_ipld_car(dag: Dag, tmp_path: Path, car_read: CarRead) -> None:
    def get_block(cid: CID) -> bytes:
        return dag.blocks[cid].data

    car = tmp_path / "export.car"
    with car.open("wb") as fp:
        written = export_dag(fp, dag.roots, get_block)
    expected = dfs_order(dag, dag.roots)
    assert written == len(expected)
    # cbor, directory, leaf0, leaf1, leaf2, leaf3, v0, leaf5, leaf4 (identity skipped)
    assert [b.cid for b in expected[:3]] == [dag.cbor.cid, dag.directory.cid, dag.leaves[0].cid]
    assert dag.ident not in expected

    js = car_read(car)
    assert js["roots"] == [str(c) for c in dag.roots]
    assert js_blocks(js) == as_pairs(expected)


def test_export_dag_two_roots_read_by_ipld_car(dag: Dag, tmp_path: Path, car_read: CarRead) -> None:
    roots = [dag.v0.cid, dag.directory.cid]

    def get_block(cid: CID) -> bytes:
        return dag.blocks[cid].data

    buf = io.BytesIO()
    export_dag(buf, roots, get_block)
    car = tmp_path / "two-roots.car"
    car.write_bytes(buf.getvalue())
    js = car_read(car)
    assert js["roots"] == [str(r) for r in roots]
    assert js_blocks(js) == as_pairs(dfs_order(dag, roots))


def test_carv2_writer_read_by_ipld_car_and_cardex(
    dag: Dag,
    tmp_path: Path,
    car_read: CarRead,
    cardex_write: CardexWrite,
    cardex_read: CardexRead,
) -> None:
    lv = dag.leaves
    order = [dag.cbor, dag.directory, *lv, dag.v0, lv[3], dag.ident, dag.cbor]
    car = tmp_path / "ours.v2.car"
    with car.open("wb") as fp, CarV2Writer(fp, dag.roots) as writer:
        for block in order:
            writer.put(block)
    intended = first_occurrences(order)

    js = car_read(car)
    assert js["version"] == 2
    assert js["roots"] == [str(c) for c in dag.roots]
    assert js_blocks(js) == as_pairs(intended)

    # Our index equals cardex's for the same payload (identity CID skipped by both).
    ours = index_bytes_of(car)
    assert cardex_write(car, tmp_path / "cardex.idx", "MultihashIndexSorted") == ours
    records = cardex_read(car)
    assert len(records) == len(intended) - 1  # everything but the identity block


# -- 3. @ipld/car -> us ---------------------------------------------------------------


def test_ipld_car_writer_read_by_us(tmp_path: Path, car_write: CarWrite, car_read: CarRead) -> None:
    rng = random.Random(424242)
    raw = [Block.from_data(rng.randbytes(rng.randrange(0, 5000))) for _ in range(24)]
    raw.append(Block.from_data(rng.randbytes(1 << 20)))  # one ipfs-car-sized chunk
    cbor = Block.encode(
        {"name": "shard", "size": 12345, "parts": [b.cid for b in raw[:5]], "f": 0.5},
        "dag-cbor",
    )
    pb_data = dag_pb.encode(PBNode.create([PBLink(raw[0].cid, "x", len(raw[0].data))], b"\x08\x01"))
    v0 = Block(CID(0, 0x70, CID.from_data(pb_data, 0x70).multihash), pb_data)
    sequence = [*raw[:12], cbor, v0, *raw[12:], raw[3]]  # raw[3] written twice by CarWriter
    rng.shuffle(sequence)
    spec = {
        "roots": [cbor.cid.encode("base58btc"), str(v0.cid)],
        "blocks": [
            {"cid": str(b.cid), "bytes": base64.b64encode(b.data).decode("ascii")} for b in sequence
        ],
    }
    car = tmp_path / "js.car"
    car_write(spec, car)

    js = car_read(car)
    assert js["roots"] == [str(cbor.cid), str(v0.cid)]
    assert js_blocks(js) == as_pairs(sequence)

    roots, blocks, version = our_blocks(car)
    assert version == 1
    assert roots == js["roots"]
    assert blocks == js_blocks(js)
    report = verify_car(car)
    assert report.ok, report.error
    assert report.blocks == len(sequence)


# -- 4. CARv2 index vs cardex ---------------------------------------------------------


def _index_inputs() -> dict[str, dict[str, bytes]]:
    rng = random.Random(99)
    dup = rng.randbytes(2_200_000)
    return {
        "multi-chunk-no-duplicates": {
            "model/weights.bin": rng.randbytes(2_500_000),
            "model/config.json": rng.randbytes(700),
            "model/tok/vocab.txt": rng.randbytes(9000),
        },
        "with-duplicate-blocks": {
            "model/a.bin": dup,
            "model/b.bin": dup,
            "model/c.txt": rng.randbytes(10),
        },
    }


INDEX_INPUTS = _index_inputs()


def mh_records(index: MultihashIndexSorted) -> list[tuple[int | None, str, int]]:
    return [(code, digest.hex(), offset) for code, digest, offset in index]


@pytest.mark.parametrize("name", sorted(INDEX_INPUTS))
def test_index_car_matches_cardex(
    name: str,
    tmp_path: Path,
    ipfs_car_pack: Pack,
    car_read: CarRead,
    cardex_write: CardexWrite,
    cardex_read: CardexRead,
) -> None:
    write_files(tmp_path / "in", INDEX_INPUTS[name])
    v1 = tmp_path / "packed.car"
    ipfs_car_pack(tmp_path / "in" / "model", v1, ())
    packed = car_read(v1)
    assert len(packed["blocks"]) > 3

    v2 = tmp_path / "ours.v2.car"
    written = index_car(v1, v2)
    unique: dict[str, bytes] = {}
    for cid, data in js_blocks(packed):
        unique.setdefault(cid, data)
    assert written == len(unique)

    # @ipld/car reads our CARv2: same roots, blocks in the packed order, repeats dropped.
    ours = car_read(v2)
    assert ours["version"] == 2
    assert ours["roots"] == packed["roots"]
    assert js_blocks(ours) == list(unique.items())
    if len(unique) == len(packed["blocks"]):
        # Nothing dropped: the payload is the ipfs-car CARv1 byte for byte.
        assert payload_of(v2) == v1.read_bytes()

    # The index we wrote is byte-identical to cardex's index of the same payload,
    # whether cardex reads our CARv2 or the bare CARv1 payload cut out of it.
    index = index_bytes_of(v2)
    assert cardex_write(v2, tmp_path / "from-v2.idx", "MultihashIndexSorted") == index
    payload = tmp_path / "payload.car"
    payload.write_bytes(payload_of(v2))
    assert cardex_write(payload, tmp_path / "from-payload.idx", "MultihashIndexSorted") == index

    # cardex reading our CARv2's index sees what our decoder sees.
    js_records = cardex_read(v2)
    decoded = MultihashIndexSorted.decode(index)
    assert mh_records(decoded) == [(r["code"], r["digest"], r["offset"]) for r in js_records]
    assert decoded.encode() == index
    assert [r["code"] for r in js_records] == [SHA2_256] * len(unique)

    # Random access through our index returns every block's bytes.
    with IndexedCar(v2) as indexed:
        for cid, data in unique.items():
            assert indexed.get(CID.parse(cid)) == data, cid
        for record in js_records:
            assert indexed.index.find(bytes.fromhex(record["multihash"])) == [record["offset"]]


@pytest.mark.parametrize("name", sorted(INDEX_INPUTS))
def test_cardex_index_sorted_decoded_by_us(
    name: str,
    tmp_path: Path,
    ipfs_car_pack: Pack,
    car_read: CarRead,
    cardex_write: CardexWrite,
    cardex_read: CardexRead,
) -> None:
    write_files(tmp_path / "in", INDEX_INPUTS[name])
    v1 = tmp_path / "packed.car"
    ipfs_car_pack(tmp_path / "in" / "model", v1, ())
    raw = cardex_write(v1, tmp_path / "sorted.idx", "IndexSorted")
    assert raw[:2] == b"\x80\x08"  # varint(0x0400)
    js_records = cardex_read(tmp_path / "sorted.idx")
    by_digest: dict[str, list[int]] = {}
    for record in js_records:
        by_digest.setdefault(record["digest"], []).append(record["offset"])

    index = MultihashIndexSorted.decode(raw)
    assert [(d.hex(), o) for _, d, o in index] == [(r["digest"], r["offset"]) for r in js_records]
    assert len(index) == len(js_records)

    blocks = car_read(v1)["blocks"]
    file_bytes = v1.read_bytes()
    for entry in blocks:
        cid = CID.parse(entry["cid"])
        offsets = index.find(cid.multihash)
        assert offsets == by_digest[cid.digest.hex()], entry["cid"]
        # found by digest alone: the CIDv0/other-codec spelling of the same hash hits too
        assert index.find(CID(0, 0x70, cid.multihash).multihash) == offsets
        for offset in offsets:  # each offset points at a section holding this CID
            _, pos = read_uvarint(file_bytes, offset)
            assert file_bytes[pos : pos + len(cid.bytes)] == cid.bytes
    assert index.find(bytes([SHA2_256, 32]) + bytes(32)) == []


# -- 5. negative: a flipped byte ------------------------------------------------------


@pytest.mark.parametrize("victim", ["raw-leaf", "dag-pb-root"])
def test_flipped_byte_is_reported(
    victim: str,
    tmp_path: Path,
    ipfs_car_pack: Pack,
    cardex_read: CardexRead,
    cardex_write: CardexWrite,
    car_read: CarRead,
    kit_cli: KitCli,
) -> None:
    rng = random.Random(5)
    write_files(
        tmp_path / "in",
        {"d/one.bin": rng.randbytes(1_200_000), "d/two.txt": rng.randbytes(3000)},
    )
    car = tmp_path / "packed.car"
    root = ipfs_car_pack(tmp_path / "in" / "d", car, ())
    blocks = car_read(car)["blocks"]
    cids = [b["cid"] for b in blocks]
    assert len(set(cids)) == len(cids)
    raw_leaves = [c for c in cids if c.startswith("bafkrei")]
    target = raw_leaves[len(raw_leaves) // 2] if victim == "raw-leaf" else root
    # Section offsets from cardex's index of the CARv1 (not from our reader).
    cardex_write(car, tmp_path / "v1.idx", "MultihashIndexSorted")
    offsets = {r["multihash"]: r["offset"] for r in cardex_read(tmp_path / "v1.idx")}
    target_cid = CID.parse(target)
    offset = offsets[target_cid.multihash.hex()]

    buf = bytearray(car.read_bytes())
    length, pos = read_uvarint(bytes(buf), offset)
    data_start = pos + len(target_cid.bytes)
    data_end = pos + length
    assert buf[pos:data_start] == target_cid.bytes
    flip_at = (data_start + data_end) // 2
    buf[flip_at] ^= 0x01
    bad = tmp_path / "bad.car"
    bad.write_bytes(bytes(buf))

    report = verify_car(bad)
    assert not report.ok
    assert report.bad_cid == target_cid
    assert str(report.bad_cid) == target

    proc = kit_cli(["car", "verify", str(bad)])
    assert proc.returncode != 0
    assert target in proc.stdout + proc.stderr

    # Untouched file still verifies through the CLI.
    assert cli_ok(kit_cli, ["car", "verify", str(car)])[0].startswith("ok:")
