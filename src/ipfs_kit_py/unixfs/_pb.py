"""The UnixFS ``Data`` protobuf carried in a dag-pb node's Data field.

::

    message Data {
      required DataType Type = 1;        // Raw, Directory, File, Metadata, Symlink, HAMTShard
      optional bytes    Data = 2;
      optional uint64   filesize = 3;
      repeated uint64   blocksizes = 4;  // not packed
      optional uint64   hashType = 5;
      optional uint64   fanout = 6;
      optional uint32   mode = 7;
      optional UnixTime mtime = 8;       // { int64 Seconds = 1; fixed32 FractionalNanos = 2; }
    }

Fields are written in field-number order, each only when set, which is how
Kubo (go-unixfs) and the JS importer write them. Written by hand: nine fields,
and a protobuf runtime would be the heaviest dependency of the package.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from enum import IntEnum

from ipfs_kit_py.cid._varint import decode_leb128, encode_leb128
from ipfs_kit_py.errors import DecodeError

__all__ = ["NO_METADATA", "DataType", "Metadata", "UnixFSData", "UnixTime"]

_MAX_U64 = (1 << 64) - 1


class DataType(IntEnum):
    """The UnixFS node kinds."""

    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True, slots=True)
class UnixTime:
    """Seconds since the epoch and optional nanoseconds (1..999_999_999)."""

    seconds: int
    nanos: int | None = None


#: The modes the UnixFS spec assumes when none is stored; a stored mode equal to the
#: default is left out, as the JS importer does.
DEFAULT_FILE_MODE = 0o644
DEFAULT_DIRECTORY_MODE = 0o755


@dataclass(frozen=True, slots=True)
class Metadata:
    """The optional ``mode`` and ``mtime`` of a file, directory or symlink node.

    >>> Metadata.from_stat(os.stat_result((0o100600,) + (0,) * 9), mode=True, mtime=False)
    Metadata(mode=384, mtime=None)
    """

    mode: int | None = None
    mtime: UnixTime | None = None

    def __bool__(self) -> bool:
        return self.mode is not None or self.mtime is not None

    @classmethod
    def from_stat(cls, st: os.stat_result, *, mode: bool, mtime: bool) -> Metadata:
        """What ``--preserve-mode`` / ``--preserve-mtime`` record for a stat result.

        The mode is the permission bits (``0o7777``), left out when it is the
        spec's default for the node type; the mtime has nanoseconds only when
        they are not zero.
        """
        recorded_mode = None
        if mode:
            bits = st.st_mode & 0o7777
            default = DEFAULT_DIRECTORY_MODE if stat.S_ISDIR(st.st_mode) else DEFAULT_FILE_MODE
            recorded_mode = None if bits == default else bits
        recorded_mtime = None
        if mtime:
            seconds, nanos = divmod(st.st_mtime_ns, 1_000_000_000)
            recorded_mtime = UnixTime(seconds, nanos or None)
        return cls(recorded_mode, recorded_mtime)


NO_METADATA = Metadata()


@dataclass(frozen=True, slots=True)
class UnixFSData:
    """A decoded UnixFS ``Data`` message; ``None`` means absent on the wire."""

    type: DataType
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = ()
    hash_type: int | None = None
    fanout: int | None = None
    mode: int | None = None
    mtime: UnixTime | None = None

    def encode(self) -> bytes:
        """Serialise in field order, writing only the fields that are set."""
        out = bytearray(b"\x08")
        out += encode_leb128(int(self.type))
        if self.data is not None:
            out += b"\x12"
            out += encode_leb128(len(self.data))
            out += self.data
        if self.filesize is not None:
            out += b"\x18"
            out += encode_leb128(self.filesize)
        for size in self.blocksizes:
            out += b"\x20"
            out += encode_leb128(size)
        if self.hash_type is not None:
            out += b"\x28"
            out += encode_leb128(self.hash_type)
        if self.fanout is not None:
            out += b"\x30"
            out += encode_leb128(self.fanout)
        if self.mode is not None:
            out += b"\x38"
            out += encode_leb128(self.mode)
        if self.mtime is not None:
            body = b"\x08" + encode_leb128(self.mtime.seconds & _MAX_U64)
            if self.mtime.nanos is not None:
                body += b"\x15" + struct.pack("<I", self.mtime.nanos)
            out += b"\x42"
            out += encode_leb128(len(body))
            out += body
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> UnixFSData:
        """Parse a ``Data`` message; :class:`DecodeError` if it is malformed."""
        ints: dict[int, int] = {}  # varint fields by number, blocksizes aside
        sizes: list[int] = []
        data: bytes | None = None
        mtime: UnixTime | None = None
        pos, end = 0, len(raw)
        while pos < end:
            tag, pos = _varint(raw, pos)
            field, wire = tag >> 3, tag & 7
            if wire == 0 and field in (1, 3, 5, 6, 7):
                ints[field], pos = _varint(raw, pos)
            elif wire == 0 and field == 4:
                size, pos = _varint(raw, pos)
                sizes.append(size)
            elif wire == 2 and field in (2, 4, 8):
                length, pos = _varint(raw, pos)
                stop = pos + length
                if stop > end:
                    raise DecodeError("invalid UnixFS data: field runs past the end")
                if field == 2:
                    data = raw[pos:stop]
                elif field == 4:  # packed blocksizes, as some writers emit them
                    p = pos
                    while p < stop:
                        size, p = _varint(raw, p, stop)
                        sizes.append(size)
                else:
                    mtime = _decode_time(raw[pos:stop])
                pos = stop
            else:
                raise DecodeError(
                    f"invalid UnixFS data: unexpected field {field} (wire type {wire})"
                )
        if 1 not in ints:
            raise DecodeError("invalid UnixFS data: no Type")
        try:
            kind = DataType(ints[1])
        except ValueError:
            raise DecodeError(f"invalid UnixFS data: unknown Type {ints[1]}") from None
        return cls(
            kind,
            data=data,
            filesize=ints.get(3),
            blocksizes=tuple(sizes),
            hash_type=ints.get(5),
            fanout=ints.get(6),
            mode=ints.get(7),
            mtime=mtime,
        )


def _varint(buf: bytes, pos: int, end: int | None = None) -> tuple[int, int]:
    return decode_leb128(buf, pos, len(buf) if end is None else end, "invalid UnixFS data")


def _decode_time(raw: bytes) -> UnixTime:
    seconds: int | None = None
    nanos: int | None = None
    pos = 0
    while pos < len(raw):
        tag, pos = _varint(raw, pos)
        if tag == 0x08:
            value, pos = _varint(raw, pos)
            seconds = value - (1 << 64) if value >= 1 << 63 else value
        elif tag == 0x15 and pos + 4 <= len(raw):
            nanos = struct.unpack_from("<I", raw, pos)[0]
            pos += 4
        else:
            raise DecodeError("invalid UnixFS mtime")
    if seconds is None:
        raise DecodeError("invalid UnixFS mtime: no Seconds")
    return UnixTime(seconds, nanos)
