"""Multihash: ``varint(code) || varint(length) || digest``.

Hashing goes through :mod:`hashlib` (which releases the GIL on large inputs, so
threads hash in parallel) and, for blake3, the optional ``blake3`` package
(``pip install ipfs_kit_py[blake3]``). Parsing is strict: the declared length
must match the digest exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

from ipfs_kit_py.cid._multicodec import (
    BLAKE2B_256,
    BLAKE3,
    IDENTITY,
    SHA2_256,
    SHA2_384,
    SHA2_512,
    SHA3_256,
    SHA3_384,
    SHA3_512,
    code_of,
    name_of,
)
from ipfs_kit_py.cid._varint import decode_varint, encode_varint
from ipfs_kit_py.errors import IntegrityError, InvalidMultihashError, UnsupportedError

__all__ = [
    "MAX_IDENTITY_DIGEST",
    "Hasher",
    "decode",
    "digest",
    "encode",
    "hasher",
    "is_supported",
    "verify",
]

#: Kubo (boxo ``verifcid``) refuses identity multihashes with larger digests.
MAX_IDENTITY_DIGEST = 128


class Hasher(Protocol):
    """The incremental-hash interface shared by hashlib and blake3 objects."""

    def update(self, data: bytes | bytearray | memoryview, /) -> object: ...

    def digest(self) -> bytes: ...


class _IdentityHasher:
    def __init__(self) -> None:
        self._buf = bytearray()

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self._buf += data

    def digest(self) -> bytes:
        return bytes(self._buf)


def _blake3() -> Hasher:
    try:
        from blake3 import blake3
    except ImportError as err:
        raise UnsupportedError("blake3 needs the extra: pip install 'ipfs_kit_py[blake3]'") from err
    h: Hasher = blake3(max_threads=1)
    return h


_FACTORIES: dict[int, Callable[[], Hasher]] = {
    IDENTITY: _IdentityHasher,
    SHA2_256: hashlib.sha256,
    SHA2_384: hashlib.sha384,
    SHA2_512: hashlib.sha512,
    SHA3_256: hashlib.sha3_256,
    SHA3_384: hashlib.sha3_384,
    SHA3_512: hashlib.sha3_512,
    BLAKE2B_256: lambda: hashlib.blake2b(digest_size=32),
    BLAKE3: _blake3,
}
_PREFIX = {code: encode_varint(code) for code in _FACTORIES}
_SHA256_PREFIX = b"\x12\x20"


def is_supported(code: int) -> bool:
    """Whether we can compute the hash function ``code``."""
    return code in _FACTORIES


def hasher(code: int | str) -> Hasher:
    """A fresh incremental hasher for the hash function ``code`` (or its name)."""
    if isinstance(code, str):
        code = code_of(code)
    factory = _FACTORIES.get(code)
    if factory is None:
        raise UnsupportedError(f"hash function {name_of(code)} ({code:#x}) is not supported")
    return factory()


def encode(code: int, raw_digest: bytes) -> bytes:
    """Wrap a raw digest as a multihash."""
    if code == IDENTITY and len(raw_digest) > MAX_IDENTITY_DIGEST:
        raise InvalidMultihashError(
            f"identity digest of {len(raw_digest)} bytes exceeds {MAX_IDENTITY_DIGEST}"
        )
    prefix = _PREFIX.get(code) or encode_varint(code)
    return prefix + encode_varint(len(raw_digest)) + raw_digest


def digest(data: bytes | bytearray | memoryview, code: int = SHA2_256) -> bytes:
    """Hash ``data`` with ``code`` and return the multihash."""
    if code == SHA2_256:  # the hot path: skip the table
        return _SHA256_PREFIX + hashlib.sha256(data).digest()
    h = hasher(code)
    h.update(data)
    return encode(code, h.digest())


def decode(mh: bytes | bytearray | memoryview, offset: int = 0) -> tuple[int, bytes, int]:
    """Parse a multihash at ``mh[offset:]``; return ``(code, digest, next_offset)``.

    Trailing bytes after the digest are left to the caller to judge.
    """
    code, i = decode_varint(mh, offset, InvalidMultihashError, "multihash code")
    length, i = decode_varint(mh, i, InvalidMultihashError, "multihash length")
    end = i + length
    if end > len(mh):
        raise InvalidMultihashError(
            f"truncated multihash: {name_of(code)} digest declares {length} bytes, "
            f"{len(mh) - i} present"
        )
    if code == IDENTITY and length > MAX_IDENTITY_DIGEST:
        raise InvalidMultihashError(
            f"identity digest of {length} bytes exceeds {MAX_IDENTITY_DIGEST}"
        )
    return code, bytes(mh[i:end]), end


def verify(mh: bytes, data: bytes | bytearray | memoryview) -> None:
    """Raise :class:`IntegrityError` unless ``data`` hashes to the multihash ``mh``."""
    if mh[:2] == _SHA256_PREFIX and len(mh) == 34:
        ok = hashlib.sha256(data).digest() == mh[2:]
    else:
        code, want, _ = decode(mh)
        h = hasher(code)
        h.update(data)
        got = h.digest()
        if code != IDENTITY and len(want) < len(got):  # truncated digests are allowed
            got = got[: len(want)]
        ok = got == want
    if not ok:
        raise IntegrityError("content does not match its multihash")
