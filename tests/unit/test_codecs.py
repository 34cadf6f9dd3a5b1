"""Codec behaviour beyond the fixtures: oracles, strictness, Kubo's dag-pb bytes."""

from __future__ import annotations

import math
from typing import Any

import cbor2
import dag_cbor as ref_dag_cbor
import pytest
from hypothesis import given
from multiformats import CID as MCID

from helpers.strategies import values
from ipfs_kit_py import CID, Block
from ipfs_kit_py.codecs import PBLink, PBNode, dag_cbor, dag_json, dag_pb, get_codec, raw
from ipfs_kit_py.errors import DecodeError, EncodeError, UnsupportedError


def _to_ref(value: Any) -> Any:
    """Our data model -> the ``dag-cbor`` package's (multiformats CIDs)."""
    if isinstance(value, CID):
        return MCID.decode(value.bytes)
    if isinstance(value, list):
        return [_to_ref(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_ref(v) for k, v in value.items()}
    return value


def _from_cbor2(value: Any) -> Any:
    if isinstance(value, cbor2.CBORTag):
        assert value.tag == 42
        assert value.value[0] == 0
        return CID.decode(value.value[1:])
    if isinstance(value, list):
        return [_from_cbor2(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_cbor2(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    """Equality that tells 1 from 1.0 and True from 1, as IPLD does."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@given(values)
def test_dag_cbor_matches_reference_package(value: Any) -> None:
    ours = dag_cbor.encode(value)
    assert ours == ref_dag_cbor.encode(_to_ref(value))
    # an independent CBOR decoder reads our bytes back to the same value
    assert _same(_from_cbor2(cbor2.loads(ours)), _from_cbor2(cbor2.loads(ours)))
    decoded = dag_cbor.decode(ours)
    assert dag_cbor.encode(decoded) == ours


@given(values)
def test_dag_json_round_trip(value: Any) -> None:
    encoded = dag_json.encode(value)
    decoded = dag_json.decode(encoded)
    assert dag_json.encode(decoded) == encoded
    # and through dag-cbor: the data model survives both codecs
    assert dag_cbor.encode(decoded) == dag_cbor.encode(dag_cbor.decode(dag_cbor.encode(value)))


# DAG-CBOR strictness, case by case from the spec (ipld/specs codecs/dag-cbor)
@pytest.mark.parametrize(
    ("hex_", "fragment"),
    [
        ("1817", "shortest form"),  # 23 written in two bytes
        ("190001", "shortest form"),
        ("1a0000ffff", "shortest form"),
        ("1b00000000ffffffff", "shortest form"),
        ("5f4100ff", "indefinite"),  # indefinite byte string
        ("9f01ff", "indefinite"),
        ("bf6161f5ff", "indefinite"),
        ("f93c00", "64-bit"),  # 1.0 as half float
        ("fa3f800000", "64-bit"),
        ("fb7ff8000000000000", "nan is not allowed"),
        ("fb7ff0000000000000", "inf is not allowed"),
        ("f7", "undefined"),
        ("f0", "simple value"),
        ("f820", "simple value"),
        ("c11a514b67b0", "tag 1"),  # epoch datetime
        ("d82a450001551220", "bad CID"),
        ("d82a4401551220", "0x00"),
        ("d82a5824" + "01551220" + "00" * 32, "0x00"),
        ("d82a01", "byte string"),
        ("a2616101616101", "duplicate map key 'a'"),
        ("a261620161610201"[:14], "out of canonical order"),
        ("0101", "trailing"),
        ("a10101", "keys must be text"),
        ("a161610102", "trailing"),
        ("6261", "runs past the end"),
        ("62ff00", "UTF-8"),
        ("9a7fffffff", "runs past the end"),  # huge list claim, no allocation
        ("fc", "reserved"),
        ("", "end of data"),
    ],
)
def test_dag_cbor_rejects(hex_: str, fragment: str) -> None:
    data = bytes.fromhex(hex_)
    with pytest.raises(DecodeError, match=fragment):
        dag_cbor.decode(data)


def test_dag_cbor_map_order_is_length_first() -> None:
    assert list(dag_cbor.decode(dag_cbor.encode({"bb": 1, "a": 2, "c": 3}))) == ["a", "c", "bb"]
    with pytest.raises(DecodeError, match="canonical order"):
        dag_cbor.decode(bytes.fromhex("a262626201616101"))  # "bb" before "a"


def test_dag_cbor_depth_limit() -> None:
    deep = b"\x81" * (dag_cbor.MAX_DEPTH + 1) + b"\x01"
    with pytest.raises(DecodeError, match="nesting"):
        dag_cbor.decode(deep)
    value: list[Any] = []
    for _ in range(dag_cbor.MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(EncodeError, match="nesting"):
        dag_cbor.encode(value)


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, 2**64, -(2**64) - 1, {1: 2}, object(), {"a": {1, 2}}]
)
def test_dag_cbor_refuses_to_encode(value: Any) -> None:
    with pytest.raises(EncodeError):
        dag_cbor.encode(value)


def test_dag_cbor_accepts_subclasses_and_views() -> None:
    class Flag(int):
        pass

    assert dag_cbor.encode((Flag(3), bytearray(b"x"), memoryview(b"y"))) == dag_cbor.encode(
        [3, b"x", b"y"]
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a":1,"a":2}', "duplicate map key"),
        ("NaN", "not allowed"),
        ("[Infinity]", "not allowed"),
        ("1e400", "float range"),
        ("18446744073709551616", "64-bit range"),
        ('{"/":"bafyx"}', "invalid DAG-JSON link"),
        ('{"/":{"bytes":"AQ=="}}', "unpadded"),
        ('{"/":{"bytes":"!!"}}', "bytes"),
        ('{"/":"bafkqabiaaebagba","x":1}', "extra keys"),
        ("[1,", "invalid DAG-JSON"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_dag_json_rejects(text: str, fragment: str) -> None:
    with pytest.raises(DecodeError, match=fragment):
        dag_json.decode(text.encode())


def test_dag_json_rejects_invalid_utf8() -> None:
    with pytest.raises(DecodeError, match="UTF-8"):
        dag_json.decode(b'"\xff"')


def test_dag_json_reserved_slash_forms() -> None:
    with pytest.raises(EncodeError):
        dag_json.encode({"/": "not a cid"})
    with pytest.raises(EncodeError):
        dag_json.encode({"/": {"bytes": "AQ"}})
    # a key that sorts before "/" makes it an ordinary map
    assert dag_json.decode(dag_json.encode({"/": "x", "!": 1})) == {"!": 1, "/": "x"}


def test_dag_json_keys_sort_bytewise_not_length_first() -> None:
    assert dag_json.encode({"f": 1, "aaaaaa": 6}) == b'{"aaaaaa":6,"f":1}'


# -- dag-pb --------------------------------------------------------------------------------

LEAF = CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")


def test_dag_pb_create_sorts_stably_like_kubo() -> None:
    links = [PBLink(LEAF, "b", 1), PBLink(LEAF, "a", 2), PBLink(LEAF, "b", 3), PBLink(LEAF, "", 4)]
    node = PBNode.create(links, b"\x08\x01")
    assert [(lk.name, lk.tsize) for lk in node.links] == [("", 4), ("a", 2), ("b", 1), ("b", 3)]
    assert dag_pb.decode_node(dag_pb.encode(node)) == node
    with pytest.raises(EncodeError, match="sorted"):
        dag_pb.encode(PBNode(tuple(links)))


def test_dag_pb_writes_empty_name_and_zero_tsize() -> None:
    # Kubo writes Name and Tsize on every link, even "" and 0: 0a22<cid> 1200 1800
    body = dag_pb.encode(PBNode((PBLink(LEAF, "", 0),)))
    assert body == b"\x12\x28\x0a\x22" + LEAF.bytes + b"\x12\x00\x18\x00"


@pytest.mark.parametrize(
    ("hex_", "fragment"),
    [
        ("0a0100" + "0a0100", "duplicate Data"),
        ("2200", "unexpected field 4"),
        ("0b", "unexpected field 1"),
        ("1202" + "1200", "Hash"),
        ("0a05", "runs past the end"),
        ("0aff", "truncated varint"),
        ("12" + "26" + "0a22" + LEAF.bytes.hex() + "1a00", "unexpected link field"),
        ("12" + "26" + "1200" + "0a22" + LEAF.bytes.hex(), "Hash"),
        ("12" + "28" + "0a22" + LEAF.bytes.hex() + "1800" + "1200", "out of order"),
        ("12" + "2f" + "0a22" + LEAF.bytes.hex() + "18ffffffffffffffffff02", "64 bits"),
    ],
)
def test_dag_pb_rejects(hex_: str, fragment: str) -> None:
    with pytest.raises(DecodeError, match=fragment):
        dag_pb.decode(bytes.fromhex(hex_))


def test_dag_pb_non_utf8_name_round_trips() -> None:
    raw_name = b"\xff\xfename"
    link = b"\x0a\x22" + LEAF.bytes + b"\x12" + bytes([len(raw_name)]) + raw_name
    data = b"\x12" + bytes([len(link)]) + link
    assert dag_pb.encode(dag_pb.decode_node(data)) == data


def test_raw_and_registry() -> None:
    assert raw.decode(memoryview(b"ab")) == b"ab"
    assert list(raw.links(b"ab")) == []
    with pytest.raises(EncodeError):
        raw.encode("text")
    assert get_codec(0x71) is get_codec("dag-cbor")
    with pytest.raises(UnsupportedError, match="git-raw"):
        get_codec(0x78)


def test_links_in_encoded_order() -> None:
    a, b = Block.from_data(b"a").cid, Block.from_data(b"b").cid
    block = Block.encode({"z": [b, {"y": a}], "a": a}, "dag-cbor")
    assert list(block.links()) == [a, b, a]
    jblock = Block.encode({"z": b, "a": a}, "dag-json")
    assert list(jblock.links()) == [a, b]
    assert list(
        Block.encode(PBNode.create([PBLink(LEAF, "x", 1)]).to_ipld(), "dag-pb").links()
    ) == [LEAF]
