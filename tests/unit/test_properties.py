"""Decoders fed random or truncated bytes raise only our typed errors; round trips are identity.

Hypothesis runs each decoder on arbitrary bytes and on every truncation and
single-byte corruption of valid encodings. "Never hang" is enforced by
hypothesis' per-example deadline.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.strategies import cids, values
from ipfs_kit_py import CID, Block
from ipfs_kit_py.car import CarReader, car_bytes
from ipfs_kit_py.codecs import PBLink, PBNode, dag_cbor, dag_json, dag_pb
from ipfs_kit_py.errors import IPFSKitError

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "cid": CID.decode,
    "cid-string": lambda b: CID.parse(b.decode("utf-8", "replace")),
    "dag-pb": dag_pb.decode,
    "dag-cbor": dag_cbor.decode,
    "dag-json": dag_json.decode,
    "car": lambda b: list(CarReader(io.BytesIO(b), verify=True)),
}


def _only_typed_errors(decode: Callable[[bytes], Any], data: bytes) -> None:
    with contextlib.suppress(IPFSKitError):
        decode(data)


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(data=st.binary(max_size=512))
def test_random_bytes(name: str, data: bytes) -> None:
    _only_typed_errors(DECODERS[name], data)


pb_nodes = st.builds(
    PBNode.create,
    st.lists(
        st.builds(
            PBLink, cids, st.none() | st.text(max_size=8), st.none() | st.integers(0, 2**64 - 1)
        ),
        max_size=4,
    ),
    st.none() | st.binary(max_size=32),
)


def _car(blocks: list[Block]) -> bytes:
    return car_bytes([blocks[0].cid] if blocks else [], blocks)


car_files = st.lists(st.binary(max_size=64).map(Block.from_data), max_size=4).map(_car)

VALID: dict[str, st.SearchStrategy[bytes]] = {
    "cid": cids.map(lambda c: c.bytes),
    "dag-pb": pb_nodes.map(dag_pb.encode),
    "dag-cbor": values.map(dag_cbor.encode),
    "dag-json": values.map(dag_json.encode),
    "car": car_files,
}


@pytest.mark.parametrize("name", sorted(VALID))
@given(data=st.data())
def test_truncated_and_corrupted(name: str, data: st.DataObject) -> None:
    good = data.draw(VALID[name])
    cut = data.draw(st.integers(0, max(0, len(good) - 1)))
    _only_typed_errors(DECODERS[name], good[:cut])
    if good:
        i = data.draw(st.integers(0, len(good) - 1))
        flipped = bytearray(good)
        flipped[i] ^= data.draw(st.integers(1, 255))
        _only_typed_errors(DECODERS[name], bytes(flipped))


@given(pb_nodes)
def test_dag_pb_round_trip(node: PBNode) -> None:
    data = dag_pb.encode(node)
    assert dag_pb.decode_node(data) == node
    assert dag_pb.encode(dag_pb.decode(data)) == data


@given(values)
def test_dag_cbor_round_trip(value: Any) -> None:
    data = dag_cbor.encode(value)
    assert dag_cbor.encode(dag_cbor.decode(data)) == data


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=300).map(Block.from_data), min_size=1, max_size=6))
def test_car_round_trip(blocks: list[Block]) -> None:
    data = car_bytes([blocks[0].cid], blocks)
    reader = CarReader(io.BytesIO(data), verify=True)
    unique = list({b.cid: b for b in blocks}.values())
    assert reader.roots == (blocks[0].cid,)
    assert list(reader) == unique
