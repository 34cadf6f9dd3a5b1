"""Multibase: the one-character prefix that says how a CID string is encoded.

The bases IPFS uses every day (base32, base58btc, base36, base64/url, base16) are
done here with the standard library (``base64``, ``int.from_bytes``) because CID
strings are parsed and printed on hot paths and the ``multiformats`` package is
10-50x slower at it. Every other registered base (base2, base8, base10, base32hex,
base32z, base58flickr, base256emoji, ...) is delegated to ``multiformats``,
imported only when such a base is used.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from ipfs_kit_py.errors import InvalidCIDError, UnsupportedError

__all__ = ["BASES", "base_name", "decode", "encode", "prefix_of"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_B36_INDEX = {c: i for i, c in enumerate(_B36)}


def _int_encode(data: bytes, alphabet: str) -> str:
    """Base-N by big-integer conversion; each leading zero byte becomes alphabet[0]."""
    n = int.from_bytes(data, "big")
    base = len(alphabet)
    out = []
    while n:
        n, r = divmod(n, base)
        out.append(alphabet[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * pad + "".join(reversed(out))


def _int_decode(text: str, index: dict[str, int], name: str) -> bytes:
    base = len(index)
    zero = next(c for c, i in index.items() if i == 0)
    n = 0
    try:
        for c in text:
            n = n * base + index[c]
    except KeyError as err:
        raise ValueError(f"invalid {name} character {err.args[0]!r}") from None
    pad = len(text) - len(text.lstrip(zero))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def _b58encode(data: bytes) -> str:
    return _int_encode(data, _B58)


def _b58decode(text: str) -> bytes:
    return _int_decode(text, _B58_INDEX, "base58btc")


def _b36encode(data: bytes) -> str:
    return _int_encode(data, _B36)


def _b36decode(text: str) -> bytes:
    return _int_decode(text, _B36_INDEX, "base36")


def _b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _b32decode(text: str) -> bytes:
    # Case-insensitive, as go-multibase reads it: Kubo accepts "bAFY..." too.
    if "=" in text:
        raise ValueError("unexpected padding")
    return base64.b32decode(text.upper() + "=" * (-len(text) % 8))


def _unpadded(decoder: Callable[[str], bytes], block: int) -> Callable[[str], bytes]:
    def decode(text: str) -> bytes:
        if "=" in text:
            raise ValueError("unexpected padding")
        return decoder(text + "=" * (-len(text) % block))

    return decode


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _b64url_decode(text: str) -> bytes:
    if any(c in text for c in "+/"):
        raise ValueError("'+' or '/' in base64url")
    return base64.urlsafe_b64decode(text)


def _b16decode(text: str) -> bytes:
    if text != text.lower():
        raise ValueError("base16 ('f') must be lowercase")
    return bytes.fromhex(text)


def _b16upper_decode(text: str) -> bytes:
    if text != text.upper():
        raise ValueError("base16upper ('F') must be uppercase")
    return bytes.fromhex(text)


# name -> (prefix, encode, decode)
_Codec = tuple[str, Callable[[bytes], str], Callable[[str], bytes]]
_NATIVE: dict[str, _Codec] = {
    "base32": ("b", _b32encode, _b32decode),
    "base32upper": ("B", lambda d: _b32encode(d).upper(), _b32decode),
    "base58btc": ("z", _b58encode, _b58decode),
    "base36": ("k", _b36encode, lambda t: _b36decode(t) if t == t.lower() else _bad_case("k")),
    "base36upper": ("K", lambda d: _b36encode(d).upper(), lambda t: _b36decode(t.lower())),
    "base64": (
        "m",
        lambda d: base64.b64encode(d).decode("ascii").rstrip("="),
        _unpadded(_b64decode, 4),
    ),
    "base64pad": ("M", lambda d: base64.b64encode(d).decode("ascii"), _b64decode),
    "base64url": (
        "u",
        lambda d: base64.urlsafe_b64encode(d).decode("ascii").rstrip("="),
        _unpadded(_b64url_decode, 4),
    ),
    "base64urlpad": ("U", lambda d: base64.urlsafe_b64encode(d).decode("ascii"), _b64url_decode),
    "base16": ("f", lambda d: d.hex(), _b16decode),
    "base16upper": ("F", lambda d: d.hex().upper(), _b16upper_decode),
}
_NATIVE_BY_PREFIX = {prefix: name for name, (prefix, _, _) in _NATIVE.items()}

#: Every base name we accept; the ones not in ``_NATIVE`` go through ``multiformats``.
BASES: tuple[str, ...] = (
    *_NATIVE,
    "base2",
    "base8",
    "base10",
    "base32pad",
    "base32padupper",
    "base32hex",
    "base32hexupper",
    "base32hexpad",
    "base32hexpadupper",
    "base32z",
    "base58flickr",
)


def _bad_case(prefix: str) -> bytes:
    raise ValueError(f"wrong letter case for multibase {prefix!r}")


def _fallback(*, name: str | None = None, prefix: str | None = None) -> Any:
    from multiformats import multibase

    try:
        return multibase.get(name) if name is not None else multibase.get(code=prefix)
    except Exception as err:  # multiformats raises its own KeyError subclasses
        raise UnsupportedError(f"unknown multibase {name or prefix!r}") from err


def encode(data: bytes, base: str) -> str:
    """Encode ``data`` as a multibase string (prefix included)."""
    native = _NATIVE.get(base)
    if native is not None:
        return native[0] + native[1](data)
    if base not in BASES:
        raise UnsupportedError(f"unknown multibase {base!r}; known: {', '.join(BASES)}")
    return str(_fallback(name=base).encode(data))


def decode(text: str) -> tuple[str, bytes]:
    """Decode a multibase string; return ``(base name, bytes)``."""
    if not text:
        raise InvalidCIDError("empty multibase string")
    name = _NATIVE_BY_PREFIX.get(text[0])
    try:
        if name is not None:
            return name, _NATIVE[name][2](text[1:])
        codec = _fallback(prefix=text[0])
        if codec.name not in BASES:
            raise UnsupportedError(f"multibase {codec.name!r} is not supported")
        return str(codec.name), bytes(codec.decode(text))
    except UnsupportedError as err:
        raise InvalidCIDError(f"unknown multibase prefix {text[0]!r}") from err
    except (ValueError, binascii.Error, KeyError) as err:
        raise InvalidCIDError(f"invalid {name or 'multibase'} string: {err}") from err


def prefix_of(base: str) -> str:
    """The one-character multibase prefix of ``base``."""
    native = _NATIVE.get(base)
    if native is not None:
        return native[0]
    if base not in BASES:
        raise UnsupportedError(f"unknown multibase {base!r}")
    return str(_fallback(name=base).code)


def base_name(prefix: str) -> str:
    """The base name for a multibase prefix character."""
    name = _NATIVE_BY_PREFIX.get(prefix)
    return name if name is not None else str(_fallback(prefix=prefix).name)
