"""DAG-CBOR: the canonical, strict subset of CBOR that IPLD hashes.

Written by hand: ``cbor2`` (fast, C) accepts non-canonical input and writes
floats in their shortest width, and the ``dag-cbor`` package is strict but slow;
strictness *is* this codec, so the rules live here, in one pass:

* integers and lengths in their shortest form, within [-2**64, 2**64 - 1];
* floats always 64-bit, never NaN or infinite;
* no indefinite lengths, no ``undefined``, no simple values other than
  ``false``/``true``/``null``;
* the only tag is 42 (a CID): a byte string of ``0x00`` followed by a binary CID;
* map keys are text strings, unique, sorted by length and then bytewise;
* exactly one item, no trailing bytes; nesting limited to :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping
from typing import Any

from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs._model import plain
from ipfs_kit_py.errors import DecodeError, EncodeError, InvalidCIDError

__all__ = ["CODE", "MAX_DEPTH", "NAME", "decode", "encode", "links"]

NAME = "dag-cbor"
CODE = 0x71
#: Deepest nesting of lists and maps accepted in either direction.
MAX_DEPTH = 512

_MAX_UINT = 1 << 64
_pack_head16 = struct.Struct(">BH").pack
_pack_head32 = struct.Struct(">BI").pack
_pack_head64 = struct.Struct(">BQ").pack
_pack_float = struct.Struct(">Bd").pack
_unpack_float = struct.Struct(">d").unpack_from
_CID_TAG = b"\xd8\x2a"
# smallest value that may use additional information 25 / 26 / 27
_SHORTEST = {25: 0x100, 26: 0x10000, 27: 0x100000000}


# -- encoding ------------------------------------------------------------------------


def _head(out: bytearray, major: int, n: int) -> None:
    mt = major << 5
    if n < 24:
        out.append(mt | n)
    elif n < 0x100:
        out.append(mt | 24)
        out.append(n)
    elif n < 0x10000:
        out += _pack_head16(mt | 25, n)
    elif n < 0x100000000:
        out += _pack_head32(mt | 26, n)
    else:
        out += _pack_head64(mt | 27, n)


def _key(k: object) -> bytes:
    if type(k) is not str and not isinstance(k, str):
        raise EncodeError(f"DAG-CBOR map keys must be strings, not {type(k).__name__}")
    return k.encode("utf-8")


def _encode(value: Any, out: bytearray, depth: int) -> None:
    t = type(value)
    if t is str:
        raw = value.encode("utf-8")
        _head(out, 3, len(raw))
        out += raw
    elif t is int:
        if value >= 0:
            if value >= _MAX_UINT:
                raise EncodeError(f"integer {value} is too large for DAG-CBOR")
            _head(out, 0, value)
        else:
            if value < -_MAX_UINT:
                raise EncodeError(f"integer {value} is too small for DAG-CBOR")
            _head(out, 1, -1 - value)
    elif t is dict:
        if depth >= MAX_DEPTH:
            raise EncodeError(f"nesting deeper than {MAX_DEPTH}")
        items = sorted(((_key(k), v) for k, v in value.items()), key=_sort_key)
        _head(out, 5, len(items))
        for kb, v in items:
            _head(out, 3, len(kb))
            out += kb
            _encode(v, out, depth + 1)
    elif t is list or t is tuple:
        if depth >= MAX_DEPTH:
            raise EncodeError(f"nesting deeper than {MAX_DEPTH}")
        _head(out, 4, len(value))
        for item in value:
            _encode(item, out, depth + 1)
    elif t is bytes or t is bytearray or t is memoryview:
        _head(out, 2, len(value))
        out += value
    elif t is CID:
        raw = value.bytes
        out += _CID_TAG
        _head(out, 2, len(raw) + 1)
        out.append(0)
        out += raw
    elif value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif t is float:
        if not math.isfinite(value):
            raise EncodeError(f"DAG-CBOR cannot encode {value}")
        out += _pack_float(0xFB, value)
    elif isinstance(value, Mapping):
        _encode(dict(value), out, depth)
    else:
        _encode(plain(value, "DAG-CBOR"), out, depth)


def _sort_key(item: tuple[bytes, Any]) -> tuple[int, bytes]:
    return len(item[0]), item[0]


def encode(value: Any) -> bytes:
    """Encode an IPLD data-model value as canonical DAG-CBOR.

    Accepts ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, lists
    (and tuples), mappings with string keys, and :class:`~ipfs_kit_py.cid.CID`.

    >>> encode({"b": 1, "a": [True, None]}).hex()
    'a2616182f5f6616201'
    """
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


# -- decoding ------------------------------------------------------------------------


def _fail(msg: str, pos: int) -> DecodeError:
    return DecodeError(f"invalid DAG-CBOR at byte {pos}: {msg}")


def _decode(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    end = len(data)
    if pos >= end:
        raise _fail("unexpected end of data", pos)
    start = pos
    ib = data[pos]
    major = ib >> 5
    ai = ib & 31
    pos += 1
    if ai < 24:
        n = ai
    elif ai == 24:
        if pos >= end:
            raise _fail("truncated header", start)
        n = data[pos]
        pos += 1
        if n < 24 and major != 7:
            raise _fail("integer or length not in its shortest form", start)
    elif ai == 25 or ai == 26 or ai == 27:
        size = 1 << (ai - 24)
        if pos + size > end:
            raise _fail("truncated header", start)
        if major == 7:
            if ai != 27:
                raise _fail("floats must be 64-bit", start)
            (f,) = _unpack_float(data, pos)
            if not math.isfinite(f):
                raise _fail(f"{f} is not allowed", start)
            return f, pos + 8
        n = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        if n < _SHORTEST[ai]:
            raise _fail("integer or length not in its shortest form", start)
    elif ai == 31:
        raise _fail("indefinite-length items are not allowed", start)
    else:
        raise _fail(f"reserved additional information {ai}", start)

    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major == 2 or major == 3:
        stop = pos + n
        if stop > end:
            raise _fail(f"string of {n} bytes runs past the end", start)
        if major == 2:
            return data[pos:stop], stop
        try:
            return data[pos:stop].decode("utf-8"), stop
        except UnicodeDecodeError:
            raise _fail("text string is not valid UTF-8", start) from None
    if major == 4:
        if n > end - pos:
            raise _fail(f"list of {n} items runs past the end", start)
        if depth >= MAX_DEPTH:
            raise _fail(f"nesting deeper than {MAX_DEPTH}", start)
        items: list[Any] = []
        append = items.append
        for _ in range(n):
            item, pos = _decode(data, pos, depth + 1)
            append(item)
        return items, pos
    if major == 5:
        if 2 * n > end - pos:
            raise _fail(f"map of {n} entries runs past the end", start)
        if depth >= MAX_DEPTH:
            raise _fail(f"nesting deeper than {MAX_DEPTH}", start)
        result: dict[str, Any] = {}
        prev: bytes | None = None
        for _ in range(n):
            kpos = pos
            if pos >= end:
                raise _fail("unexpected end of data", pos)
            if data[pos] >> 5 != 3:
                raise _fail("map keys must be text strings", pos)
            key, pos = _decode(data, pos, depth + 1)
            raw = data[kpos:pos]  # header + UTF-8; canonical order compares these
            if prev is not None and (
                len(raw) < len(prev) or (len(raw) == len(prev) and raw <= prev)
            ):
                if raw == prev:
                    raise _fail(f"duplicate map key {key!r}", kpos)
                raise _fail(f"map key {key!r} is out of canonical order", kpos)
            prev = raw
            result[key], pos = _decode(data, pos, depth + 1)
        return result, pos
    if major == 6:
        if n != 42:
            raise _fail(f"tag {n} is not allowed (only 42, for CIDs)", start)
        if pos >= end or data[pos] >> 5 != 2:
            raise _fail("tag 42 must wrap a byte string", pos)
        raw, pos = _decode(data, pos, depth + 1)
        if not raw or raw[0] != 0:
            raise _fail("CID bytes must start with the 0x00 multibase prefix", start)
        try:
            return CID.decode(raw[1:]), pos
        except InvalidCIDError as err:
            raise _fail(f"bad CID in tag 42: {err}", start) from err
    # major 7 with a one-byte value
    if ai == 20:
        return False, pos
    if ai == 21:
        return True, pos
    if ai == 22:
        return None, pos
    if ai == 23:
        raise _fail("undefined is not allowed", start)
    raise _fail(f"simple value {n} is not allowed", start)


def decode(data: bytes | bytearray | memoryview) -> Any:
    """Decode one DAG-CBOR item, rejecting anything non-canonical.

    Raises :class:`~ipfs_kit_py.errors.DecodeError` with the byte offset of the
    first problem.
    """
    if type(data) is not bytes:
        data = bytes(data)
    try:
        value, pos = _decode(data, 0, 0)
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps us below the limit
        raise DecodeError("invalid DAG-CBOR: nested too deeply") from None
    if pos != len(data):
        raise _fail(f"{len(data) - pos} trailing bytes after the item", pos)
    return value


def links(data: bytes | bytearray | memoryview) -> Iterator[CID]:
    """The CIDs in a DAG-CBOR block, in encoded order."""
    stack = [decode(data)]
    while stack:
        value = stack.pop()
        if type(value) is CID:
            yield value
        elif type(value) is dict:
            stack.extend(reversed(list(value.values())))
        elif type(value) is list:
            stack.extend(reversed(value))
