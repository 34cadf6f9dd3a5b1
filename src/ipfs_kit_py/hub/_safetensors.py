"""Safetensors headers, parsed by hand and checked hostilely, and tensors decoded from bytes.

A safetensors file is ``N`` (8 bytes, little-endian u64), ``N`` bytes of JSON (tensor
name → ``{"dtype", "shape", "data_offsets": [begin, end]}`` plus an optional
``__metadata__`` map of strings), then the data buffer, which the tensors must cover
exactly: sorted by offset, each starting where the previous ended, no holes, no
overlaps, the last ending at the end of the file (the format's own rule, which also
keeps polyglot files out). We check all of it, and that each byte range holds
``prod(shape)`` elements of its dtype, before anything is stored.

The registry keeps the parsed header as a :class:`SafetensorsIndex`, one dag-cbor
block per weight file, with offsets made absolute (from the start of the file), so
loading one tensor is one ranged read of exactly its bytes; the header itself is
never read again. An index from another node is re-checked the same way against the
file size its record gives.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeGuard

from ipfs_kit_py.errors import DecodeError, InvalidInputError, UnsupportedError

__all__ = [
    "DTYPE_BITS",
    "MAX_HEADER",
    "SafetensorsIndex",
    "TensorInfo",
    "read_index",
    "to_numpy",
    "to_torch",
]

INDEX_SCHEMA = "ipfs-kit/safetensors-index/1"
#: The largest JSON header accepted (the ``safetensors`` library's own limit).
MAX_HEADER = 100_000_000
#: Bits per element of each safetensors dtype (the ``safetensors`` 0.8 set).
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}
# safetensors data is little-endian; numpy has no bfloat16 or float8
_NUMPY = {
    "BOOL": "?",
    "U8": "u1",
    "I8": "i1",
    "I16": "<i2",
    "U16": "<u2",
    "F16": "<f2",
    "I32": "<i4",
    "U32": "<u4",
    "F32": "<f4",
    "C64": "<c8",
    "F64": "<f8",
    "I64": "<i8",
    "U64": "<u8",
}
_TORCH = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "I16": "int16",
    "U16": "uint16",
    "F16": "float16",
    "BF16": "bfloat16",
    "I32": "int32",
    "U32": "uint32",
    "F32": "float32",
    "C64": "complex64",
    "F64": "float64",
    "I64": "int64",
    "U64": "uint64",
    "F8_E5M2": "float8_e5m2",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E8M0": "float8_e8m0fnu",
}


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor: name, dtype (safetensors spelling), shape, byte range ``[begin, end)``.

    ``begin`` and ``end`` count from the start of the file, header included.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        """The length of the tensor's data."""
        return self.end - self.begin

    def to_ipld(self) -> dict[str, Any]:
        """The index form (a dag-cbor map)."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "begin": self.begin,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class SafetensorsIndex:
    """A safetensors file's header: its tensors (by offset) and ``__metadata__``.

    >>> import struct
    >>> head = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    >>> data = struct.pack("<Q", len(head)) + head + bytes(8)
    >>> index = SafetensorsIndex.parse(data, len(data))
    >>> index["w"].shape, index["w"].begin, index.header_size
    ((2,), 62, 62)
    """

    header_size: int
    file_size: int
    tensors: tuple[TensorInfo, ...]
    metadata: dict[str, str] | None = field(default=None, hash=False)

    def __getitem__(self, name: str) -> TensorInfo:
        for info in self.tensors:
            if info.name == name:
                return info
        raise KeyError(name)

    def __iter__(self) -> Iterator[TensorInfo]:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def keys(self) -> list[str]:
        """Tensor names, sorted (as ``safe_open(...).keys()`` gives them)."""
        return sorted(info.name for info in self.tensors)

    @classmethod
    def parse(cls, head: bytes | memoryview, file_size: int) -> SafetensorsIndex:
        """Check and parse a header; ``head`` holds at least the first ``8 + N`` bytes.

        Raises :class:`~ipfs_kit_py.errors.DecodeError` for a truncated file, a header
        length out of range, bad JSON, an unknown dtype, a byte range that does not
        fit its shape, or ranges that overlap, leave holes or leave the file.
        """
        n = header_length(head[:8], file_size)
        if len(head) < 8 + n:
            raise DecodeError(f"safetensors header truncated: {len(head) - 8} of {n} bytes")
        raw = bytes(head[8 : 8 + n])
        if not raw.startswith(b"{"):
            raise DecodeError("safetensors header is not a JSON object")
        try:
            doc = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, ValueError) as err:
            raise DecodeError(f"safetensors header is not valid JSON: {err}") from err
        if not isinstance(doc, dict):
            raise DecodeError("safetensors header is not a JSON object")
        metadata = doc.pop("__metadata__", None)
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
        ):
            raise DecodeError("safetensors __metadata__ must map strings to strings")
        start = 8 + n
        tensors = []
        for name, spec in doc.items():
            if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
                raise DecodeError(f"tensor {name!r}: want exactly dtype, shape and data_offsets")
            offsets = spec["data_offsets"]
            if not (
                isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_uint, offsets))
            ):
                raise DecodeError(f"tensor {name!r}: data_offsets must be two integers >= 0")
            dtype, shape = _dtype_shape(name, spec["dtype"], spec["shape"])
            tensors.append(TensorInfo(name, dtype, shape, start + offsets[0], start + offsets[1]))
        return cls(start, file_size, _check_layout(tensors, start, file_size), metadata)

    def to_ipld(self) -> dict[str, Any]:
        """The index block (dag-cbor): schema, header size, metadata, tensors by offset."""
        return {
            "schema": INDEX_SCHEMA,
            "header_size": self.header_size,
            "metadata": self.metadata,
            "tensors": [info.to_ipld() for info in self.tensors],
        }

    @classmethod
    def from_ipld(cls, value: Any, file_size: int) -> SafetensorsIndex:
        """Parse and re-check an index block for a file of ``file_size`` bytes."""
        if not isinstance(value, dict) or value.get("schema") != INDEX_SCHEMA:
            raise DecodeError("not a safetensors index block")
        header_size, metadata, items = (
            value.get("header_size"),
            value.get("metadata"),
            value.get("tensors"),
        )
        if not _is_uint(header_size) or not 8 <= header_size <= min(8 + MAX_HEADER, file_size):
            raise DecodeError(f"safetensors index: bad header_size {header_size!r}")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
        ):
            raise DecodeError("safetensors index: metadata must map strings to strings")
        if not isinstance(items, list):
            raise DecodeError("safetensors index: tensors must be a list")
        tensors = []
        names: set[str] = set()
        for item in items:
            if not isinstance(item, dict) or set(item) != {
                "name",
                "dtype",
                "shape",
                "begin",
                "end",
            }:
                raise DecodeError(f"safetensors index: malformed tensor {item!r:.120}")
            name, begin, end = item["name"], item["begin"], item["end"]
            if not isinstance(name, str) or name in names or name == "__metadata__":
                raise DecodeError(f"safetensors index: bad or repeated tensor name {name!r:.80}")
            names.add(name)
            if not (_is_uint(begin) and _is_uint(end)):
                raise DecodeError(f"tensor {name!r}: begin and end must be integers >= 0")
            dtype, shape = _dtype_shape(name, item["dtype"], item["shape"])
            tensors.append(TensorInfo(name, dtype, shape, begin, end))
        return cls(header_size, file_size, _check_layout(tensors, header_size, file_size), metadata)


def header_length(first8: bytes | memoryview, file_size: int) -> int:
    """``N``, the JSON header's length, from the file's first 8 bytes; checked for sense."""
    if file_size < 8 or len(first8) < 8:
        raise DecodeError(f"not a safetensors file: {file_size} bytes, fewer than 8")
    (n,) = struct.unpack("<Q", first8[:8])
    if n < 2 or n > MAX_HEADER:
        raise DecodeError(f"safetensors header length {n} is out of range (2..{MAX_HEADER})")
    if 8 + n > file_size:
        raise DecodeError(f"safetensors header length {n} runs past the {file_size}-byte file")
    return int(n)


def read_index(fp: BinaryIO, file_size: int) -> tuple[SafetensorsIndex, bytes]:
    """Parse the header of an open safetensors file; the index and the raw header bytes."""
    first8 = fp.read(8)
    n = header_length(first8, file_size)
    head = first8 + fp.read(n)
    return SafetensorsIndex.parse(head, file_size), head


def to_numpy(info: TensorInfo, data: bytearray | bytes) -> Any:
    """``data`` (the tensor's bytes) as a numpy array of ``info``'s dtype and shape."""
    import numpy as np

    code = _NUMPY.get(info.dtype)
    if code is None:
        raise UnsupportedError(
            f"tensor {info.name!r} is {info.dtype}, which numpy has no dtype for: "
            'load it with framework="pt" (torch)'
        )
    return np.frombuffer(data, dtype=np.dtype(code)).reshape(info.shape)


def to_torch(info: TensorInfo, data: bytearray | bytes) -> Any:
    """``data`` (the tensor's bytes) as a torch tensor of ``info``'s dtype and shape."""
    import torch

    name = _TORCH.get(info.dtype)
    dtype = getattr(torch, name, None) if name is not None else None
    if dtype is None:
        raise UnsupportedError(f"tensor {info.name!r} is {info.dtype}: this torch cannot hold it")
    if not data:
        return torch.empty(info.shape, dtype=dtype)
    buffer = data if isinstance(data, bytearray) else bytearray(data)  # torch wants writable
    return torch.frombuffer(buffer, dtype=dtype).reshape(info.shape)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DecodeError(f"safetensors header repeats the key {key!r}")
        out[key] = value
    return out


def _is_uint(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _dtype_shape(name: str, dtype: Any, shape: Any) -> tuple[str, tuple[int, ...]]:
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise DecodeError(f"tensor {name!r}: unknown dtype {dtype!r:.40}")
    if not (isinstance(shape, list) and all(map(_is_uint, shape))):
        raise DecodeError(f"tensor {name!r}: shape must be a list of integers >= 0")
    return dtype, tuple(shape)


def _check_layout(tensors: list[TensorInfo], start: int, file_size: int) -> tuple[TensorInfo, ...]:
    """Sort by offset and check the ranges tile ``[start, file_size)`` exactly."""
    tensors.sort(key=lambda t: (t.begin, t.end))
    pos = start
    for info in tensors:
        bits = math.prod(info.shape) * DTYPE_BITS[info.dtype]
        if info.end < info.begin:
            raise DecodeError(f"tensor {info.name!r}: range [{info.begin}, {info.end}) is reversed")
        if info.end > file_size:
            raise DecodeError(
                f"tensor {info.name!r}: range [{info.begin}, {info.end}) runs past the "
                f"{file_size}-byte file (truncated?)"
            )
        if info.begin < pos:
            raise DecodeError(
                f"tensor {info.name!r}: range starts at {info.begin}, inside "
                f"the previous tensor (which ends at {pos}): overlapping offsets"
            )
        if info.begin > pos:
            raise DecodeError(f"tensor {info.name!r}: hole of {info.begin - pos} bytes before it")
        if bits % 8 or bits // 8 != info.nbytes:
            raise DecodeError(
                f"tensor {info.name!r}: {info.dtype}{list(info.shape)} needs {bits / 8:g} bytes, "
                f"its range has {info.nbytes}"
            )
        pos = info.end
    if pos != file_size:
        raise DecodeError(
            f"safetensors data ends at {pos} but the file has {file_size} bytes "
            "(trailing bytes no tensor covers)"
        )
    return tuple(tensors)


def check_framework(framework: str) -> str:
    """``"numpy"`` or ``"pt"`` for the spellings we accept; else raise."""
    if framework in ("numpy", "np"):
        return "numpy"
    if framework in ("pt", "torch"):
        return "pt"
    raise InvalidInputError(f"unknown framework {framework!r}: use 'numpy' or 'pt'")
