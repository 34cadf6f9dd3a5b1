"""The foundation, end to end, offline: content-address a small ML artifact.

1. Encode a model card (dag-cbor) that links to its weight chunks (raw blocks)
   and a file listing (dag-pb), and print each CID.
2. Export the DAG to a CARv1 in Kubo's ``dag export`` order and to an indexed
   CARv2, then read one chunk back by CID through the index, verified.
3. Flip one byte of one block in the CAR and show verification naming it.

Run with ``python examples/car_demo.py``.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from ipfs_kit_py import CID, Block
from ipfs_kit_py.car import CarReader, CarV2Writer, IndexedCar, export_dag, verify_car
from ipfs_kit_py.codecs import PBLink, PBNode
from ipfs_kit_py.errors import IntegrityError


def main() -> None:
    rng = random.Random(2026)
    print("== 1. content-address an artifact")
    chunks = [Block.from_data(rng.randbytes(256 * 1024)) for _ in range(4)]
    for i, chunk in enumerate(chunks):
        print(f"  weights chunk {i}: {chunk.cid}  ({len(chunk.data)} bytes, raw)")
    listing = Block.encode(
        PBNode.create(
            [PBLink(c.cid, f"model-{i:05d}.bin", len(c.data)) for i, c in enumerate(chunks)],
            data=b"\x08\x01",  # UnixFS directory marker
        ).to_ipld(),
        "dag-pb",
    )
    print(f"  file listing:   {listing.cid}  (dag-pb, CIDv0 form {listing.cid.to_v0()})")
    card = Block.encode(
        {
            "name": "demo-minilm",
            "dims": 384,
            "license": "apache-2.0",
            "files": listing.cid,
            "shards": [c.cid for c in chunks],
        },
        "dag-cbor",
    )
    print(f"  model card:     {card.cid}  (dag-cbor)")
    print("  -> any IPFS implementation computes these same CIDs for these bytes")

    store: dict[CID, bytes] = {b.cid: b.data for b in (*chunks, listing, card)}
    with tempfile.TemporaryDirectory() as tmp:
        v1 = Path(tmp) / "card.car"
        v2 = Path(tmp) / "card-indexed.car"
        print("\n== 2. move it as a CAR")
        with v1.open("wb") as f:
            n = export_dag(f, [card.cid], store.__getitem__)
        with CarReader.open(v1) as reader:
            order = [str(b.cid)[:16] + "..." for b in reader]
        print(f"  {v1.name}: {n} blocks, {v1.stat().st_size} bytes, root first: {order[0]}")
        with CarReader.open(v1) as reader, v2.open("wb") as f, CarV2Writer(f, reader.roots) as w:
            for block in reader:
                w.put(block)
        with IndexedCar(v2) as car:
            data = car.get(chunks[2].cid)
        print(f"  {v2.name}: read chunk 2 by CID through the index: {len(data)} bytes, verified")
        report = verify_car(v1)
        print(f"  verify {v1.name}: ok={report.ok} ({report.blocks} blocks hashed)")

        print("\n== 3. one flipped byte is caught")
        raw = bytearray(v1.read_bytes())
        where = raw.index(chunks[1].data) + 1000
        raw[where] ^= 0x01
        v1.write_bytes(bytes(raw))
        report = verify_car(v1)
        print(f"  verify after flipping byte {where}: ok={report.ok}, bad block {report.bad_cid}")
        assert report.bad_cid == chunks[1].cid
        try:
            with CarReader.open(v1, verify=True) as reader:
                for _ in reader:
                    pass
        except IntegrityError as err:
            print(f"  a verified read refuses it: IntegrityError: {err}")
        else:  # pragma: no cover - would be a bug
            raise SystemExit("corruption went unnoticed")


if __name__ == "__main__":
    main()
