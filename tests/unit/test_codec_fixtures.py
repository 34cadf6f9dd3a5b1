"""Every case of the IPLD codec fixtures (ipld/codec-fixtures, MIT/Apache-2.0).

Positive fixtures: each directory holds one data-model value in several codecs,
each file named by its CID. We decode every form, re-encode it into every codec
present and require the CID (and bytes) that the reference implementation wrote.
Negative fixtures: each must be rejected with our typed error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py import CID
from ipfs_kit_py.codecs import dag_json, dag_pb, get_codec
from ipfs_kit_py.errors import DecodeError, EncodeError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ipld-codec-fixtures"
CODECS = ("raw", "dag-pb", "dag-cbor", "dag-json")


def _forms(directory: Path) -> dict[str, tuple[CID, bytes]]:
    forms = {}
    for path in directory.iterdir():
        cid_text, _, codec = path.name.rpartition(".")
        if codec in CODECS:
            forms[codec] = (CID.parse(cid_text), path.read_bytes())
    return forms


POSITIVE = sorted(p for p in (FIXTURES / "fixtures").iterdir() if p.is_dir())
CASES = [
    pytest.param(d, src, dst, id=f"{d.name}:{src}->{dst}")
    for d in POSITIVE
    for src in _forms(d)
    for dst in _forms(d)
]


def test_fixture_set_is_complete() -> None:
    # guard against a partial copy: 128 directories, 17 of them with a dag-pb form
    assert len(POSITIVE) == 128
    assert sum(1 for d in POSITIVE if "dag-pb" in _forms(d)) == 17


@pytest.mark.parametrize(("directory", "src", "dst"), CASES)
def test_positive_fixture(directory: Path, src: str, dst: str) -> None:
    forms = _forms(directory)
    src_cid, src_bytes = forms[src]
    dst_cid, dst_bytes = forms[dst]
    src_codec, dst_codec = get_codec(src), get_codec(dst)
    assert CID.from_data(src_bytes, src_codec.code) == src_cid  # the file is what its name says
    value = src_codec.decode(src_bytes)
    encoded = dst_codec.encode(value)
    assert CID.from_data(encoded, dst_codec.code) == dst_cid
    assert encoded == dst_bytes


def _negative(codec: str, direction: str) -> list[Any]:
    cases = []
    for path in sorted((FIXTURES / "negative-fixtures" / codec / direction).glob("*.json")):
        for case in json.loads(path.read_text()):
            cases.append(pytest.param(case, id=f"{codec}:{path.stem}:{case['name']}"))
    return cases


def _decode_fixture(codec: str, case: dict[str, str]) -> None:
    get_codec(codec).decode(bytes.fromhex(case["hex"]))


@pytest.mark.parametrize("case", _negative("dag-cbor", "decode"))
def test_dag_cbor_negative(case: dict[str, str]) -> None:
    with pytest.raises(DecodeError, match="duplicate map key"):
        _decode_fixture("dag-cbor", case)


@pytest.mark.parametrize("case", _negative("dag-json", "decode"))
def test_dag_json_negative(case: dict[str, str]) -> None:
    with pytest.raises(DecodeError, match="duplicate map key"):
        _decode_fixture("dag-json", case)


@pytest.mark.parametrize("case", _negative("dag-pb", "decode"))
def test_dag_pb_negative_decode(case: dict[str, str]) -> None:
    with pytest.raises(DecodeError) as info:
        _decode_fixture("dag-pb", case)
    # our message carries the reference message's key phrase
    key = "duplicate Links" if "duplicate" in case["error"] else "Hash"
    assert key in str(info.value)


@pytest.mark.parametrize("case", _negative("dag-pb", "encode"))
def test_dag_pb_negative_encode(case: dict[str, Any]) -> None:
    # the form is written in DAG-JSON; decode it with our dag-json codec first
    value = dag_json.decode(json.dumps(case["dag-json"]).encode())
    with pytest.raises(EncodeError) as info:
        dag_pb.encode(value)
    reason = case["error"].removeprefix("Invalid DAG-PB form").strip(" ()")
    if reason:
        assert reason.split(" ")[0] in str(info.value)
