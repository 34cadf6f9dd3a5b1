"""DAG-JSON: IPLD's JSON codec.

The decoder is the standard library's C-accelerated :mod:`json` parser with
hooks that add the IPLD rules; the encoder is by hand because IPLD fixes what
``json.dumps`` leaves open:

* compact output, map keys sorted bytewise by their UTF-8 bytes;
* CIDs as ``{"/": "<cid>"}`` and bytes as ``{"/": {"bytes": "<base64, no padding>"}}``;
  a map that would read back as one of these forms cannot be encoded;
* floats printed as JavaScript prints numbers (shortest round-trip digits,
  exponent only below 1e-6 or from 1e21), so the bytes, and therefore the CIDs,
  match the reference implementation; a float with an integral value keeps a
  ``.0`` so it reads back as a float;
* integers within [-2**64, 2**64 - 1]; no NaN or Infinity; duplicate keys rejected.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, cast

from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs._model import plain
from ipfs_kit_py.errors import DecodeError, EncodeError, InvalidCIDError

__all__ = ["CODE", "NAME", "decode", "encode", "links"]

NAME = "dag-json"
CODE = 0x0129
_MAX_UINT = 1 << 64
_MAX_DEPTH = 512
_quote = cast(Any, json.encoder).encode_basestring  # C implementation when available


def _js_float(x: float) -> str:
    """Format like ECMAScript ``Number.prototype.toString``."""
    if x == 0:
        return "0.0" if math.copysign(1.0, x) > 0 else "-0.0"
    r = repr(x)
    sign = "-" if r[0] == "-" else ""
    r = r.lstrip("-")
    mantissa, _, exp_text = r.partition("e")
    int_part, _, frac = mantissa.partition(".")
    digits = (int_part + frac).lstrip("0")
    # value = 0.<digits> * 10**point
    point = int(exp_text) if exp_text else 0
    if int_part == "0":  # repr gives "0.000ddd" only without an exponent
        point -= len(frac) - len(frac.lstrip("0"))
    else:
        point += len(int_part)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k) + ".0"
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    exp = f"e+{e}" if e >= 0 else f"e-{-e}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + exp


def _encode(value: Any, out: list[str], depth: int) -> None:
    t = type(value)
    if t is str:
        out.append(_quote(value))
    elif t is int:
        if not -_MAX_UINT <= value < _MAX_UINT:
            raise EncodeError(f"integer {value} is out of the 64-bit range")
        out.append(str(value))
    elif t is dict:
        if depth >= _MAX_DEPTH:
            raise EncodeError(f"nesting deeper than {_MAX_DEPTH}")
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise EncodeError(f"DAG-JSON map keys must be strings, not {type(k).__name__}")
            items.append((k.encode("utf-8", "surrogatepass"), k, v))
        items.sort(key=_first)
        if items and items[0][1] == "/" and _reserved(items[0][2]):
            raise EncodeError('a map whose first key is "/" would read back as a CID or bytes')
        out.append("{")
        for i, (_, k, v) in enumerate(items):
            if i:
                out.append(",")
            out.append(_quote(k))
            out.append(":")
            _encode(v, out, depth + 1)
        out.append("}")
    elif t is list or t is tuple:
        if depth >= _MAX_DEPTH:
            raise EncodeError(f"nesting deeper than {_MAX_DEPTH}")
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    elif t is CID:
        out.append('{"/":"')
        out.append(str(value))
        out.append('"}')
    elif t is bytes or t is bytearray or t is memoryview:
        out.append('{"/":{"bytes":"')
        out.append(base64.b64encode(value).decode("ascii").rstrip("="))
        out.append('"}}')
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif t is float:
        if not math.isfinite(value):
            raise EncodeError(f"DAG-JSON cannot encode {value}")
        out.append(_js_float(value))
    elif isinstance(value, Mapping):
        _encode(dict(value), out, depth)
    else:
        _encode(plain(value, "DAG-JSON"), out, depth)


def _first(item: tuple[bytes, str, Any]) -> bytes:
    return item[0]


def encode(value: Any) -> bytes:
    """Encode an IPLD data-model value as DAG-JSON (UTF-8 bytes).

    >>> encode({"b": b"\\x01", "a": 1.5})
    b'{"a":1.5,"b":{"/":{"bytes":"AQ"}}}'
    """
    out: list[str] = []
    _encode(value, out, 0)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as err:
        raise EncodeError(f"string is not valid Unicode: {err.reason}") from err


def _reserved(value: Any) -> bool:
    """Whether ``value`` under a leading "/" key is the CID or bytes form."""
    return isinstance(value, str | CID | bytes) or (
        isinstance(value, Mapping) and "bytes" in value and min(value) == "bytes"
    )


def _object(pairs: list[tuple[str, Any]]) -> Any:
    if len(pairs) > 1 and min(k for k, _ in pairs) == "/" and _reserved(dict(pairs)["/"]):
        raise DecodeError('invalid DAG-JSON: a CID or bytes form {"/": ...} with extra keys')
    if len(pairs) == 1 and pairs[0][0] == "/":
        inner = pairs[0][1]
        if isinstance(inner, str):
            try:
                return CID.parse(inner)
            except InvalidCIDError as err:
                raise DecodeError(f"invalid DAG-JSON link: {err}") from err
        if type(inner) is dict and len(inner) == 1 and "bytes" in inner:
            text = inner["bytes"]
            if not isinstance(text, str) or "=" in text:
                raise DecodeError("invalid DAG-JSON bytes: expected unpadded base64 text")
            try:
                return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
            except binascii.Error as err:
                raise DecodeError(f"invalid DAG-JSON bytes: {err}") from err
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise DecodeError(f"invalid DAG-JSON: duplicate map key {k!r}")
            seen.add(k)
    return result


def _int(text: str) -> int:
    value = int(text)
    if not -_MAX_UINT <= value < _MAX_UINT:
        raise DecodeError(f"invalid DAG-JSON: integer {text} is out of the 64-bit range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DecodeError(f"invalid DAG-JSON: number {text} is out of the float range")
    return value


def _constant(text: str) -> Any:
    raise DecodeError(f"invalid DAG-JSON: {text} is not allowed")


_decoder = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def decode(data: bytes | bytearray | memoryview) -> Any:
    """Decode DAG-JSON bytes into IPLD data-model values."""
    try:
        text = bytes(data).decode("utf-8")
        return _decoder.decode(text)
    except DecodeError:
        raise
    except UnicodeDecodeError as err:
        raise DecodeError(f"invalid DAG-JSON: not UTF-8 at byte {err.start}") from err
    except json.JSONDecodeError as err:
        raise DecodeError(f"invalid DAG-JSON: {err}") from err
    except RecursionError:
        raise DecodeError("invalid DAG-JSON: nested too deeply") from None


def links(data: bytes | bytearray | memoryview) -> Iterator[CID]:
    """The CIDs in a DAG-JSON block, in canonical (sorted-key) order."""
    stack = [decode(data)]
    while stack:
        value = stack.pop()
        if type(value) is CID:
            yield value
        elif type(value) is dict:
            stack.extend(value[k] for k in sorted(value, key=_utf8, reverse=True))
        elif type(value) is list:
            stack.extend(reversed(value))


def _utf8(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")
