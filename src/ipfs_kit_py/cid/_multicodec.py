"""Multicodec codes that IPFS uses, by name and by number.

A small fixed table keeps ``import ipfs_kit_py`` light and lookups O(1); names
for codes outside it come from the ``multiformats`` package's full table,
imported only when asked.
"""

from __future__ import annotations

from ipfs_kit_py.errors import UnsupportedError

__all__ = [
    "BLAKE3",
    "CAR_INDEX_SORTED",
    "CAR_MULTIHASH_INDEX_SORTED",
    "DAG_CBOR",
    "DAG_JSON",
    "DAG_PB",
    "IDENTITY",
    "LIBP2P_KEY",
    "RAW",
    "SHA2_256",
    "SHA2_512",
    "code_of",
    "name_of",
]

IDENTITY = 0x00
SHA2_256 = 0x12
SHA2_512 = 0x13
SHA3_512 = 0x14
SHA3_384 = 0x15
SHA3_256 = 0x16
SHA3_224 = 0x17
BLAKE3 = 0x1E
SHA2_384 = 0x20
MURMUR3_X64_64 = 0x22
BLAKE2B_256 = 0xB220
CBOR = 0x51
RAW = 0x55
DAG_PB = 0x70
DAG_CBOR = 0x71
LIBP2P_KEY = 0x72
GIT_RAW = 0x78
DAG_JOSE = 0x85
DAG_JSON = 0x0129
JSON = 0x0200
CAR = 0x0202
CAR_INDEX_SORTED = 0x0400
CAR_MULTIHASH_INDEX_SORTED = 0x0401

_NAMES: dict[int, str] = {
    IDENTITY: "identity",
    SHA2_256: "sha2-256",
    SHA2_512: "sha2-512",
    SHA3_512: "sha3-512",
    SHA3_384: "sha3-384",
    SHA3_256: "sha3-256",
    SHA3_224: "sha3-224",
    BLAKE3: "blake3",
    SHA2_384: "sha2-384",
    MURMUR3_X64_64: "murmur3-x64-64",
    BLAKE2B_256: "blake2b-256",
    CBOR: "cbor",
    RAW: "raw",
    DAG_PB: "dag-pb",
    DAG_CBOR: "dag-cbor",
    LIBP2P_KEY: "libp2p-key",
    GIT_RAW: "git-raw",
    DAG_JOSE: "dag-jose",
    DAG_JSON: "dag-json",
    JSON: "json",
    CAR: "car",
    CAR_INDEX_SORTED: "car-index-sorted",
    CAR_MULTIHASH_INDEX_SORTED: "car-multihash-index-sorted",
}
_CODES = {name: code for code, name in _NAMES.items()}


def name_of(code: int) -> str:
    """The multicodec name for ``code``; ``"codec-0x.."`` if no table knows it."""
    name = _NAMES.get(code)
    if name is not None:
        return name
    try:
        from multiformats import multicodec

        return str(multicodec.get(code=code).name)
    except Exception:  # unknown to multiformats too (it raises its own KeyError type)
        return f"codec-{code:#x}"


def code_of(name: str) -> int:
    """The multicodec code for ``name`` (e.g. ``"dag-pb"`` -> ``0x70``)."""
    code = _CODES.get(name)
    if code is not None:
        return code
    try:
        from multiformats import multicodec

        return int(multicodec.get(name=name).code)
    except Exception as err:
        raise UnsupportedError(f"unknown multicodec name {name!r}") from err
