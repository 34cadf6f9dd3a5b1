"""CID, multibase, multihash and varint, checked against independent implementations.

Golden values come from the ``multiformats`` package (a separate implementation
of the same specs), hashlib/blake3, and the CIDs named in the IPLD fixtures.
"""

from __future__ import annotations

import copy
import hashlib
import pickle

import blake3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID as MCID
from multiformats import multihash as mmh

from ipfs_kit_py import CID
from ipfs_kit_py.cid import decode_varint, encode_varint, multibase, multihash
from ipfs_kit_py.errors import (
    IntegrityError,
    InvalidCIDError,
    InvalidMultihashError,
    UnsupportedError,
)

V0 = "QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"
# bases multiformats can both read and write
BASES = list(multibase.BASES)

cids = st.builds(
    lambda version, codec, digest: (version, codec if version else 0x70, digest),
    st.sampled_from([0, 1]),
    st.sampled_from([0x55, 0x70, 0x71, 0x0129, 0x72, 0x78, 0x0200]),
    st.binary(min_size=32, max_size=32),
)


def _ours_and_theirs(version: int, codec: int, digest: bytes) -> tuple[CID, MCID]:
    mh = b"\x12\x20" + digest
    ours = CID(version, codec, mh)
    theirs = MCID.decode(bytes(ours))  # their parser on our bytes
    return ours, theirs


@given(cids)
def test_binary_and_default_string_match_multiformats(parts: tuple[int, int, bytes]) -> None:
    ours, theirs = _ours_and_theirs(*parts)
    assert bytes(theirs) == ours.bytes
    expected = str(theirs) if ours.version == 0 else theirs.encode("base32")  # Kubo's defaults
    assert str(ours) == expected
    assert CID.parse(expected) == ours
    assert theirs.version == ours.version
    assert theirs.codec.code == ours.codec


@pytest.mark.parametrize("base", BASES)
@given(parts=cids)
def test_every_base_matches_multiformats(base: str, parts: tuple[int, int, bytes]) -> None:
    _version, codec, digest = parts
    ours, theirs = _ours_and_theirs(1, codec, digest)
    text = ours.encode(base)
    assert text == theirs.encode(base)
    assert CID.parse(text) == ours


@given(cids)
def test_v0_v1_conversion_matches_multiformats(parts: tuple[int, int, bytes]) -> None:
    _, _, digest = parts
    ours, theirs = _ours_and_theirs(0, 0x70, digest)
    assert str(ours.to_v1()) == theirs.set(version=1).encode("base32")
    assert ours.to_v1().to_v0() == ours
    assert ours.to_v1() != ours  # different bytes, different CIDs


def test_fixture_cids_round_trip() -> None:
    # CIDs written by the reference JS implementation in the IPLD fixtures
    for text in [
        "bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae",
        "baf4bcfgio3hovkftaer3yx6jsnm6navhg4yimwi",
        "QmXg9Pp2ytZ14xgmQjYEiHjVjMFXzCVVEcRTWJBmLgR39V",
        "bagyacvradn6dsgl6sw2jwoh7s3d37hq5wsu7g22wtdwnmaaaaaaaaaaaaaaa",
        "bafkqabiaaebagba",
    ]:
        cid = CID.parse(text)
        assert str(cid) == text
        assert bytes(MCID.decode(text)) == cid.bytes


def test_parts() -> None:
    cid = CID.parse("bafkqabiaaebagba")  # identity CID inlining 5 bytes
    assert cid.is_identity
    assert cid.codec_name == "raw"
    assert cid.digest == bytes.fromhex("0001020304")
    assert cid.prefix == "cidv1-raw-identity-5"
    v0 = CID.parse(V0)
    assert (v0.version, v0.codec, v0.hash_code) == (0, 0x70, 0x12)
    assert v0.prefix == "cidv0-dag-pb-sha2-256-32"


def test_upper_and_mixed_case_base32_is_read_as_go_does() -> None:
    cid = CID.parse(V0).to_v1()
    assert CID.parse(cid.encode("base32upper")) == cid
    assert CID.parse("b" + str(cid)[1:].upper()) == cid


def test_value_semantics() -> None:
    a, b = CID.parse(V0), CID.parse(V0)
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) is a
    with pytest.raises(AttributeError):
        a._version = 1  # type: ignore[misc]
    assert repr(a) == f"CID('{V0}')"
    assert a != V0  # a CID is not its string


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("Qm", "unknown multibase prefix 'Q'"),
        (V0[:-1] + "0", "invalid base58btc character '0'"),
        ("x" + "a" * 10, "unknown multibase prefix 'x'"),
        ("bafyx", "truncated"),
        ("bafkqabiaaebagb", "base32"),
        ("z" + V0, "CIDv0 must be written in base58btc without a prefix"),
        (
            "b" + multibase.encode(b"\x02\x55\x12\x20" + bytes(32), "base32")[1:],
            "version 2 is reserved",
        ),
        ("b" + multibase.encode(b"\x00\x70\x12\x20" + bytes(32), "base32")[1:], "explicit version"),
        (
            "b" + multibase.encode(b"\x01\x55\x12\x20" + bytes(31), "base32")[1:],
            "truncated multihash",
        ),
        ("b" + multibase.encode(b"\x01\x55\x12\x20" + bytes(33), "base32")[1:], "trailing"),
        ("b" + multibase.encode(b"\x01\xd5\x00\x12\x20" + bytes(32), "base32")[1:], "minimally"),
        (
            "b" + multibase.encode(b"\x01\x55\x00\x81\x01" + bytes(129), "base32")[1:],
            "identity digest",
        ),
    ],
)
def test_malformed_cids_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidCIDError, match=fragment.replace("(", r"\(")):
        CID.parse(text)


def test_bad_types_and_constructor_checks() -> None:
    with pytest.raises(InvalidCIDError):
        CID.parse(12)  # type: ignore[arg-type]
    with pytest.raises(InvalidCIDError, match="CIDv0 must use dag-pb"):
        CID(0, 0x55, b"\x12\x20" + bytes(32))
    with pytest.raises(InvalidCIDError, match="32-byte sha2-256"):
        CID(0, 0x70, b"\x13\x40" + bytes(64))
    with pytest.raises(InvalidCIDError, match="version 7"):
        CID(7, 0x70, b"\x12\x20" + bytes(32))
    with pytest.raises(InvalidCIDError, match="only be written in base58btc"):
        CID.parse(V0).encode("base32")
    with pytest.raises(UnsupportedError):
        CID.parse(V0).to_v1().encode("base99")
    assert isinstance(InvalidCIDError("x"), ValueError)


# -- multihash ---------------------------------------------------------------------------

HASHES = {
    0x12: lambda d: hashlib.sha256(d).digest(),
    0x13: lambda d: hashlib.sha512(d).digest(),
    0x16: lambda d: hashlib.sha3_256(d).digest(),
    0x14: lambda d: hashlib.sha3_512(d).digest(),
    0xB220: lambda d: hashlib.blake2b(d, digest_size=32).digest(),
    0x1E: lambda d: blake3.blake3(d).digest(),
    0x00: lambda d: d,
}


@pytest.mark.parametrize("code", sorted(HASHES))
@given(data=st.binary(max_size=100))
def test_multihash_digests_match_reference(code: int, data: bytes) -> None:
    mh = multihash.digest(data, code)
    assert multihash.decode(mh)[:2] == (code, HASHES[code](data))
    if code in (0x12, 0x13, 0x16, 0x14, 0xB220, 0x00):  # the ones multiformats knows
        assert mh == bytes(mmh.get(code=code).digest(data))
    multihash.verify(mh, data)


def test_multihash_verify_rejects_other_bytes() -> None:
    mh = multihash.digest(b"abc")
    with pytest.raises(IntegrityError):
        multihash.verify(mh, b"abd")
    with pytest.raises(IntegrityError):
        multihash.verify(multihash.digest(b"abc", 0x1E), b"abd")


def test_multihash_errors() -> None:
    with pytest.raises(InvalidMultihashError, match="truncated"):
        multihash.decode(b"\x12\x20" + bytes(10))
    with pytest.raises(UnsupportedError, match="not supported"):
        multihash.hasher(0x22)
    with pytest.raises(InvalidMultihashError):
        multihash.encode(0x00, bytes(200))


# -- varint --------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_varint_round_trip(n: int) -> None:
    raw = encode_varint(n)
    assert decode_varint(raw) == (n, len(raw))


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "no bytes"),
        (b"\x80", "truncated"),
        (b"\x81\x00", "minimally"),
        (b"\xff" * 9 + b"\x01", "longer than 9"),
    ],
)
def test_varint_rejects(raw: bytes, fragment: str) -> None:
    with pytest.raises(InvalidCIDError, match=fragment):
        decode_varint(raw)


def test_varint_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode_varint(1 << 63)
