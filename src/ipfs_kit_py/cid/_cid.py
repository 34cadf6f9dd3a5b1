"""The CID value type.

A CID is ``version || codec || multihash`` (CIDv1) or a bare sha2-256 multihash
(CIDv0). Its identity is its binary form: two CIDs are equal exactly when their
bytes are, so a CIDv0 and its CIDv1 twin are different CIDs (as in Kubo and
Helia); use :meth:`CID.to_v1` to compare across versions.

Hand-written rather than built on ``multiformats.CID`` because CIDs are parsed
by the million while reading CARs and dag-pb nodes; this class is a few slots,
parses with a handful of varint reads and is several times faster (see
``bench/cid.py``). Rare multibases still go through ``multiformats``.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn

from ipfs_kit_py.cid import _multibase, _multihash
from ipfs_kit_py.cid._multicodec import DAG_PB, IDENTITY, SHA2_256, name_of
from ipfs_kit_py.cid._varint import decode_varint, encode_varint
from ipfs_kit_py.errors import InvalidCIDError, InvalidMultihashError

__all__ = ["CID"]

_V0_PREFIX: Final = b"\x12\x20"
_V1: Final = b"\x01"


class CID:
    """An immutable, hashable content identifier.

    Build one with :meth:`parse` (string or bytes), :meth:`decode` (binary),
    :meth:`from_data` (hash some bytes) or the constructor from parts.

    >>> cid = CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")
    >>> str(cid.to_v1())
    'bafybeiaaxm3ajuxm2odce4ahyvecjfjb7o42hfhb4jsgaci5bjusrchhgy'
    """

    __slots__ = ("_bytes", "_codec", "_mh", "_str", "_version")

    _version: int
    _codec: int
    _mh: bytes
    _bytes: bytes
    _str: str | None

    def __init__(self, version: int, codec: int, multihash: bytes) -> None:
        if version == 0:
            if codec != DAG_PB:
                raise InvalidCIDError(f"CIDv0 must use dag-pb, not {name_of(codec)}")
            if len(multihash) != 34 or multihash[:2] != _V0_PREFIX:
                raise InvalidCIDError("CIDv0 must be a 32-byte sha2-256 multihash")
        elif version == 1:
            try:
                _, _, end = _multihash.decode(multihash)
            except InvalidMultihashError as err:
                raise InvalidCIDError(f"invalid multihash in CID: {err}") from err
            if end != len(multihash):
                raise InvalidCIDError(f"{len(multihash) - end} trailing bytes after multihash")
            if codec < 0:
                raise InvalidCIDError(f"negative codec {codec}")
        else:
            raise InvalidCIDError(f"unsupported CID version {version}")
        mh = bytes(multihash)
        self._init(version, codec, mh, mh if version == 0 else _V1 + encode_varint(codec) + mh)

    def _init(self, version: int, codec: int, mh: bytes, raw: bytes) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_version", version)
        setattr_(self, "_codec", codec)
        setattr_(self, "_mh", mh)
        setattr_(self, "_bytes", raw)
        setattr_(self, "_str", None)

    @classmethod
    def _new(cls, version: int, codec: int, mh: bytes, raw: bytes) -> CID:
        self = object.__new__(cls)
        self._init(version, codec, mh, raw)
        return self

    # -- construction -------------------------------------------------------------

    @classmethod
    def parse(cls, value: str | bytes | bytearray | memoryview | CID) -> CID:
        """Parse a CID from its string form or its binary form."""
        if isinstance(value, CID):
            return value
        if isinstance(value, str):
            return cls._parse_str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return cls.decode(value)
        raise InvalidCIDError(f"cannot parse a CID from {type(value).__name__}")

    @classmethod
    def _parse_str(cls, text: str) -> CID:
        if not text:
            raise InvalidCIDError("empty string is not a CID")
        try:
            if len(text) == 46 and text.startswith("Qm"):
                return cls.decode(_multibase.decode("z" + text)[1])
            raw = _multibase.decode(text)[1]
            if raw[:2] == _V0_PREFIX:
                raise InvalidCIDError("CIDv0 must be written in base58btc without a prefix")
            return cls.decode(raw)
        except InvalidCIDError as err:
            raise InvalidCIDError(f"invalid CID {_clip(text)}: {err}") from err

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> CID:
        """Decode a binary CID; every byte must belong to it."""
        cid, end = cls.decode_prefix(data)
        if end != len(data):
            raise InvalidCIDError(f"{len(data) - end} trailing bytes after CID")
        return cid

    @classmethod
    def decode_prefix(
        cls, data: bytes | bytearray | memoryview, offset: int = 0
    ) -> tuple[CID, int]:
        """Decode the binary CID that starts at ``data[offset:]``.

        Returns the CID and the offset just past it, so CIDs can be read out of a
        larger buffer (a CAR section, a dag-pb link).
        """
        n = len(data)
        if offset >= n:
            raise InvalidCIDError("truncated CID: no bytes")
        first = data[offset]
        if first == 0x12 and offset + 1 < n and data[offset + 1] == 0x20:
            end = offset + 34
            if end > n:
                raise InvalidCIDError(
                    f"truncated CIDv0: sha2-256 digest needs 32 bytes, {n - offset - 2} present"
                )
            raw = bytes(data[offset:end])
            return cls._new(0, DAG_PB, raw, raw), end
        version, i = decode_varint(data, offset, what="CID version")
        if version != 1:
            if version == 0:
                _fail("CIDv0 must not carry an explicit version varint")
            if version in (2, 3):
                _fail(f"CID version {version} is reserved")
            if first == 0x12:
                _fail("not a CIDv0: sha2-256 multihash must have a 32-byte digest")
            _fail(f"unsupported CID version {version}")
        codec, i = decode_varint(data, i, what="CID codec")
        mh_start = i
        try:
            _, _, end = _multihash.decode(data, i)
        except InvalidMultihashError as err:
            raise InvalidCIDError(f"invalid multihash in CID: {err}") from err
        return cls._new(1, codec, bytes(data[mh_start:end]), bytes(data[offset:end])), end

    @classmethod
    def from_data(
        cls,
        data: bytes | bytearray | memoryview,
        codec: int,
        *,
        version: int = 1,
        hash_code: int = SHA2_256,
    ) -> CID:
        """The CID of ``data`` under ``codec`` (hashing it with ``hash_code``)."""
        return cls(version, codec, _multihash.digest(data, hash_code))

    # -- parts ----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """0 or 1."""
        return self._version

    @property
    def codec(self) -> int:
        """Multicodec code of the content (``0x70`` dag-pb, ``0x55`` raw, ...)."""
        return self._codec

    @property
    def codec_name(self) -> str:
        """Multicodec name of the content, e.g. ``"dag-pb"``."""
        return name_of(self._codec)

    @property
    def multihash(self) -> bytes:
        """The full multihash (code, length, digest)."""
        return self._mh

    @property
    def hash_code(self) -> int:
        """Multicodec code of the hash function."""
        return _multihash.decode(self._mh)[0]

    @property
    def digest(self) -> bytes:
        """The raw digest, without the multihash prefix."""
        return _multihash.decode(self._mh)[1]

    @property
    def is_identity(self) -> bool:
        """Whether the content is inlined in the CID (identity multihash)."""
        return self._mh[0] == IDENTITY

    @property
    def prefix(self) -> str:
        """Kubo's prefix string, e.g. ``cidv1-raw-sha2-256-32``."""
        code, dig, _ = _multihash.decode(self._mh)
        return f"cidv{self._version}-{self.codec_name}-{name_of(code)}-{len(dig)}"

    def __bytes__(self) -> bytes:
        return self._bytes

    @property
    def bytes(self) -> bytes:
        """The binary CID."""
        return self._bytes

    # -- conversion -------------------------------------------------------------------

    def to_v0(self) -> CID:
        """This CID as CIDv0 (only dag-pb with a 32-byte sha2-256 hash can be)."""
        if self._version == 0:
            return self
        return CID(0, self._codec, self._mh)

    def to_v1(self) -> CID:
        """This CID as CIDv1."""
        if self._version == 1:
            return self
        return CID._new(1, self._codec, self._mh, _V1 + encode_varint(self._codec) + self._mh)

    def encode(self, base: str | None = None) -> str:
        """The string form: base58btc for v0, else ``base`` (default base32)."""
        if self._version == 0:
            if base not in (None, "base58btc"):
                raise InvalidCIDError(f"CIDv0 can only be written in base58btc, not {base}")
            return _multibase.encode(self._bytes, "base58btc")[1:]
        if base is None or base == "base32":
            s = self._str
            if s is None:
                s = _multibase.encode(self._bytes, "base32")
                object.__setattr__(self, "_str", s)
            return s
        return _multibase.encode(self._bytes, base)

    def __str__(self) -> str:
        if self._version == 0:
            s = self._str
            if s is None:
                s = _multibase.encode(self._bytes, "base58btc")[1:]
                object.__setattr__(self, "_str", s)
            return s
        return self.encode()

    def __repr__(self) -> str:
        return f"CID({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CID):
            return self._bytes == other._bytes
        return NotImplemented

    def __lt__(self, other: CID) -> bool:
        if isinstance(other, CID):
            return self._bytes < other._bytes
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("CID is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("CID is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (CID.decode, (self._bytes,))

    def __copy__(self) -> CID:
        return self

    def __deepcopy__(self, memo: object) -> CID:
        return self


def _clip(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _fail(message: str) -> NoReturn:
    raise InvalidCIDError(message)
