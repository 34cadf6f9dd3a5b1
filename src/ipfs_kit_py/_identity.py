"""The node's libp2p identity: an Ed25519 key pair and the peer ID derived from it.

The private key lives in the repo's ``identity.key`` (mode 0600, the libp2p
protobuf ``PrivateKey`` encoding Kubo keeps base64-encoded in its config). The
peer ID is the libp2p one: an identity multihash of the protobuf-encoded public
key, written as base58btc (``12D3KooW…``), so any libp2p implementation derives
the same ID from the same key. Key generation and signing are ``cryptography``'s;
only the four-field protobuf framing is written here.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ipfs_kit_py.cid import multibase, multihash
from ipfs_kit_py.errors import RepoError

__all__ = ["Identity", "load_identity"]

_FILE = "identity.key"
_ED25519 = 1  # libp2p KeyType enum
_IDENTITY_HASH = 0x00


def _key_proto(key_type: int, data: bytes) -> bytes:
    """``message {KeyType Type = 1; bytes Data = 2;}`` with field 1 and 2 present."""
    assert len(data) < 128
    return bytes([0x08, key_type, 0x12, len(data)]) + data


@dataclass(frozen=True, slots=True)
class Identity:
    """A node's key pair; ``peer_id`` is what peers and Routing V1 call it."""

    private_key: bytes  # the raw 32-byte Ed25519 seed
    public_key: bytes  # the raw 32-byte Ed25519 public key

    @property
    def public_key_proto(self) -> bytes:
        """The public key in libp2p's protobuf encoding (Kubo's ``id`` ``PublicKey``)."""
        return _key_proto(_ED25519, self.public_key)

    @property
    def peer_id(self) -> str:
        """The libp2p peer ID: base58btc of the identity multihash of the public key."""
        return multibase.encode(
            multihash.encode(_IDENTITY_HASH, self.public_key_proto), "base58btc"
        )[1:]

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of ``message``."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message)


def _generate() -> Identity:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return Identity(seed, public)


def load_identity(repo: Path) -> Identity:
    """The repo's identity, made (and saved, 0600) on first use."""
    path = repo / _FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        ident = _generate()
        # libp2p's private key ``Data`` for Ed25519 is seed || public key
        data = _key_proto(_ED25519, ident.private_key + ident.public_key)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return ident
    if len(raw) != 68 or raw[:4] != bytes([0x08, _ED25519, 0x12, 64]):
        raise RepoError(f"{path}: not a libp2p Ed25519 private key")
    return Identity(raw[4:36], raw[36:68])
