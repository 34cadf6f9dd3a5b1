"""CAR v1/v2 reading, writing, indexing, export order and verification."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import BinaryIO

import pytest

from ipfs_kit_py import CID, Block
from ipfs_kit_py.car import (
    CarLimits,
    CarReader,
    CarV2Header,
    CarV2Writer,
    CarWriter,
    IndexedCar,
    MultihashIndexSorted,
    car_bytes,
    export_dag,
    index_car,
    verify_car,
    write_car,
)
from ipfs_kit_py.car._format import PRAGMA_V2
from ipfs_kit_py.cid import encode_varint
from ipfs_kit_py.codecs import PBLink, PBNode, dag_cbor
from ipfs_kit_py.errors import (
    BlockNotFoundError,
    CARError,
    CARLimitError,
    IntegrityError,
    UnsupportedError,
)

RNG = random.Random(7)


def _blocks(n: int, size: int = 100) -> list[Block]:
    return [Block.from_data(RNG.randbytes(size)) for _ in range(n)]


def _dag() -> tuple[Block, dict[CID, Block]]:
    """root(dag-pb) -> [dir(dag-pb) -> [a, b], cbor -> [b, c, identity], a]."""
    a, b, c = _blocks(3)
    ident = CID(1, 0x55, b"\x00\x03abc")
    sub = Block.encode(
        PBNode.create([PBLink(a.cid, "a", 100), PBLink(b.cid, "b", 100)]).to_ipld(), "dag-pb"
    )
    meta = Block.encode({"files": [b.cid, c.cid], "inline": ident}, "dag-cbor")
    root = Block.encode(
        PBNode.create(
            [PBLink(sub.cid, "dir", 1), PBLink(meta.cid, "meta", 1), PBLink(a.cid, "z", 100)]
        ).to_ipld(),
        "dag-pb",
    )
    store = {blk.cid: blk for blk in (a, b, c, sub, meta, root)}
    return root, store


def _dfs(cid: CID, store: dict[CID, Block], seen: list[CID]) -> None:
    """The order Kubo's dag export promises, written as plain recursion."""
    if cid in seen or cid.is_identity:
        return
    seen.append(cid)
    for link in store[cid].links():
        _dfs(link, store, seen)


def test_export_dag_is_root_first_depth_first_without_duplicates() -> None:
    root, store = _dag()
    buf = io.BytesIO()
    assert export_dag(buf, [root.cid], lambda c: store[c].data) == 6
    expected: list[CID] = []
    _dfs(root.cid, store, expected)
    got = [b.cid for b in CarReader(io.BytesIO(buf.getvalue()), verify=True)]
    assert got == expected
    assert got[0] == root.cid


def test_export_dag_verifies_what_it_reads() -> None:
    root, store = _dag()
    with pytest.raises(IntegrityError):
        export_dag(
            io.BytesIO(), [root.cid], lambda c: store[c].data + (b"!" if c != root.cid else b"")
        )
    with pytest.raises(KeyError):
        export_dag(io.BytesIO(), [root.cid], lambda c: store[c].data if c == root.cid else {}[c])


def test_writer_drops_repeats_and_records_offsets() -> None:
    blocks = _blocks(3)
    buf = io.BytesIO()
    writer = CarWriter(buf, [blocks[0].cid])
    assert [writer.put(b) for b in [*blocks, blocks[1]]] == [True, True, True, False]
    assert blocks[1].cid in writer
    sections = list(CarReader(io.BytesIO(buf.getvalue())).sections())
    assert [(s.block.cid.multihash, s.offset) for s in sections] == writer.entries


def _header(value: object) -> bytes:
    body = dag_cbor.encode(value)
    return encode_varint(len(body)) + body


def _car_with_section(body: bytes) -> bytes:
    header = car_bytes([Block.from_data(b"x").cid], [])
    return header + encode_varint(len(body)) + body


@pytest.mark.parametrize(
    ("data", "error", "fragment"),
    [
        (b"", CARError, "empty file"),
        (b"\x05\xa1", CARError, "truncated CAR header"),
        (_header([1]), CARError, "map"),
        (_header({"version": 3}), CARError, "version 3"),
        (_header({"roots": [1], "version": 1}), CARError, "list of CIDs"),
        (_car_with_section(b"")[:-1] + b"\x00", CARError, "empty section"),
        (_car_with_section(b"\x01\x55\x12\x20" + bytes(40))[:-5], CARError, "truncated section"),
        (_car_with_section(b"\x07" + bytes(40)), CARError, "bad CID"),
        (_car_with_section(b"")[:-1] + b"\x80\x00", CARError, "minimally"),
    ],
)
def test_reader_rejects_malformed(data: bytes, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        list(CarReader(io.BytesIO(data)))


def test_limits_are_checked_before_reading() -> None:
    big = Block.from_data(bytes(3 << 20))
    data = car_bytes([big.cid], [big])
    with pytest.raises(CARLimitError, match="over the 2097152-byte limit"):
        list(CarReader(io.BytesIO(data)))
    assert list(CarReader(io.BytesIO(data), limits=CarLimits(max_block_size=4 << 20))) == [big]
    # a section header claiming 1 TiB is refused without reading further
    claim = car_bytes([big.cid], []) + encode_varint(1 << 40)
    with pytest.raises(CARLimitError, match="section at offset"):
        list(CarReader(io.BytesIO(claim)))


def test_reader_iterates_once_and_verifies() -> None:
    blocks = _blocks(2)
    data = bytearray(car_bytes([blocks[0].cid], blocks))
    data[-1] ^= 1
    reader = CarReader(io.BytesIO(bytes(data)), verify=True)
    with pytest.raises(IntegrityError, match=str(blocks[1].cid)):
        list(reader)
    with pytest.raises(CARError, match="only once"):
        list(reader)


def _write_v2(path: Path, blocks: list[Block]) -> None:
    with path.open("wb") as f, CarV2Writer(f, [blocks[0].cid]) as writer:
        for b in blocks:
            writer.put(b)


def test_v2_round_trip_and_random_access(tmp_path: Path) -> None:
    blocks = _blocks(50, 3000)
    path = tmp_path / "a.car"
    _write_v2(path, [*blocks, blocks[3]])
    with CarReader.open(path, verify=True) as reader:
        assert reader.version == 2
        assert reader.roots == (blocks[0].cid,)
        assert reader.v2_header is not None
        assert reader.v2_header.index_offset
        assert list(reader) == blocks
    with IndexedCar(path) as car:
        assert len(car.index) == 50
        for b in reversed(blocks):
            assert car.get(b.cid) == b.data
        # a CIDv1 dag-pb twin of a raw block has the same multihash: same bytes
        twin = CID(1, 0x70, blocks[5].cid.multihash)
        assert car.get(twin) == blocks[5].data
        missing = Block.from_data(b"nope").cid
        assert missing not in car
        with pytest.raises(BlockNotFoundError):
            car.get(missing)
        assert car.get(CID(1, 0x55, b"\x00\x02hi")) == b"hi"


def test_indexed_car_verifies_each_read(tmp_path: Path) -> None:
    blocks = _blocks(3, 500)
    path = tmp_path / "a.car"
    _write_v2(path, blocks)
    raw = bytearray(path.read_bytes())
    raw[raw.index(blocks[1].data) + 10] ^= 0xFF
    path.write_bytes(bytes(raw))
    with IndexedCar(path) as car:
        assert car.get(blocks[0].cid) == blocks[0].data
        with pytest.raises(IntegrityError):
            car.get(blocks[1].cid)
    assert verify_car(path).bad_cid == blocks[1].cid


def test_index_car_and_unindexed_files(tmp_path: Path) -> None:
    blocks = _blocks(5)
    v1 = tmp_path / "v1.car"
    with v1.open("wb") as f:
        write_car(f, [blocks[0].cid], blocks)
    with IndexedCar(v1) as scanned:  # no index on disk: built by one scan
        assert all(scanned.get(b.cid) == b.data for b in blocks)
    v2 = tmp_path / "v2.car"
    assert index_car(v1, v2) == 5
    with IndexedCar(v2) as car:
        assert all(car.get(b.cid) == b.data for b in blocks)
    # the CARv2 payload is the CARv1 byte for byte
    with CarReader.open(v2) as reader:
        assert reader.v2_header is not None
        h = reader.v2_header
    assert v2.read_bytes()[h.data_offset : h.data_offset + h.data_size] == v1.read_bytes()


class _Pipe(io.RawIOBase):
    """A non-seekable stream, like a socket or stdin."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        chunk = self._buf.read(min(len(b), 7))  # short reads, as pipes do
        b[: len(chunk)] = chunk
        return len(chunk)


def test_v2_with_padding_from_a_pipe() -> None:
    blocks = _blocks(4)
    payload = car_bytes([blocks[0].cid], blocks)
    pad = 13
    header = CarV2Header(len(PRAGMA_V2) + 40 + pad, len(payload)).encode()
    data = PRAGMA_V2 + header + bytes(pad) + payload + b"trailing index-less junk"
    stream: BinaryIO = io.BufferedReader(_Pipe(data))  # type: ignore[arg-type]
    assert list(CarReader(stream, verify=True)) == blocks


def test_v2_header_checks() -> None:
    payload = car_bytes([], _blocks(1))
    with pytest.raises(CARError, match="inside the header"):
        CarReader(io.BytesIO(PRAGMA_V2 + CarV2Header(10, len(payload)).encode() + payload))
    short = PRAGMA_V2 + CarV2Header(51, len(payload) + 50).encode() + payload
    with pytest.raises(CARError, match="truncated CARv2 payload"):
        list(CarReader(io.BytesIO(short)))
    with pytest.raises(CARError, match="pragma"):
        CarReader(io.BytesIO(_header({"roots": [], "version": 2}) + bytes(40)))


def test_index_decode_is_strict() -> None:
    blocks = _blocks(3)
    index = MultihashIndexSorted.from_entries(
        [(b.cid.multihash, i * 10) for i, b in enumerate(blocks)]
    )
    raw = index.encode()
    assert MultihashIndexSorted.decode(raw).encode() == raw
    assert [o for _, _, o in MultihashIndexSorted.decode(raw)] == sorted(
        range(0, 30, 10), key=lambda o: blocks[o // 10].cid.digest
    )
    with pytest.raises(CARError, match="trailing"):
        MultihashIndexSorted.decode(raw + b"\x00")
    with pytest.raises(CARError, match="truncated"):
        MultihashIndexSorted.decode(raw[:-3])
    with pytest.raises(UnsupportedError):
        MultihashIndexSorted.decode(encode_varint(0x0402) + bytes(4))
    unsorted = bytearray(raw)
    first = raw.index(blocks[0].cid.digest)
    other = raw.index(blocks[1].cid.digest)
    unsorted[first : first + 32], unsorted[other : other + 32] = (
        raw[other : other + 32],
        raw[first : first + 32],
    )
    with pytest.raises(CARError, match="not sorted"):
        MultihashIndexSorted.decode(bytes(unsorted))


def test_verify_car_reports(tmp_path: Path) -> None:
    blocks = _blocks(3)
    path = tmp_path / "a.car"
    path.write_bytes(car_bytes([blocks[0].cid], blocks))
    report = verify_car(path)
    assert report.ok
    assert report.blocks == 3
    assert report.bytes == 300
    assert report.version == 1
    path.write_bytes(car_bytes([Block.from_data(b"absent").cid], blocks))
    report = verify_car(path)
    assert not report.ok
    assert report.missing_roots == (Block.from_data(b"absent").cid,)
    path.write_bytes(car_bytes([blocks[0].cid], blocks)[:-1])
    report = verify_car(path)
    assert not report.ok
    assert report.bad_cid is None
    assert "truncated" in (report.error or "")


def test_index_car_leaves_nothing_behind_on_bad_input(tmp_path: Path) -> None:
    blocks = _blocks(3)
    bad = tmp_path / "bad.car"
    data = bytearray(car_bytes([blocks[0].cid], blocks))
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        index_car(bad, tmp_path / "out.car")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.car"]
