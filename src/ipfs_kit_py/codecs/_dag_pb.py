"""DAG-PB: the protobuf codec under UnixFS.

Protobuf libraries accept any field order, duplicates and unknown fields, all
of which the DAG-PB spec forbids, so the codec is written by hand against it:

* a node is zero or more ``Links`` (field 2) followed by at most one ``Data``
  (field 1); nothing else, in no other order;
* a link is ``Hash`` (field 1, required, a binary CID), then optional ``Name``
  (field 2) and ``Tsize`` (field 3), each at most once, in that order;
* varints are at most 64 bits (like Go and JS, non-minimal varints are read;
  the spec does not forbid them and the CID covers the original bytes).

Encoding writes exactly the fields that are present, in that order, so a link
built the way Kubo builds it (``Name`` and ``Tsize`` always set, even to ``""``
and ``0``) encodes to Kubo's bytes. Links must be sorted by ``Name`` bytes;
:meth:`PBNode.create` sorts them (stably) as Kubo does, while :func:`encode`
refuses unsorted input rather than silently changing it.

Names are decoded with ``surrogateescape`` so that a node whose names are not
valid UTF-8 still round-trips byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._varint import decode_leb128, encode_leb128
from ipfs_kit_py.errors import DecodeError, EncodeError, InvalidCIDError

__all__ = ["CODE", "NAME", "PBLink", "PBNode", "decode", "decode_node", "encode", "links"]

NAME = "dag-pb"
CODE = 0x70
_MAX_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class PBLink:
    """A link of a dag-pb node. ``None`` means the field is absent on the wire."""

    cid: CID
    name: str | None = None
    tsize: int | None = None

    def name_bytes(self) -> bytes:
        """The sort key: the UTF-8 bytes of the name (empty when absent)."""
        return self.name.encode("utf-8", "surrogateescape") if self.name else b""


@dataclass(frozen=True, slots=True)
class PBNode:
    """A dag-pb node: links (sorted by name bytes) and optional data."""

    links: tuple[PBLink, ...] = ()
    data: bytes | None = None

    @classmethod
    def create(cls, links: Iterable[PBLink] = (), data: bytes | None = None) -> PBNode:
        """Build a node with its links stably sorted by name bytes, as Kubo does."""
        return cls(tuple(sorted(links, key=PBLink.name_bytes)), data)

    def to_ipld(self) -> dict[str, Any]:
        """The IPLD data-model form: ``{"Data"?: bytes, "Links": [...]}``."""
        out: dict[str, Any] = {}
        if self.data is not None:
            out["Data"] = self.data
        lst = []
        for link in self.links:
            d: dict[str, Any] = {"Hash": link.cid}
            if link.name is not None:
                d["Name"] = link.name
            if link.tsize is not None:
                d["Tsize"] = link.tsize
            lst.append(d)
        out["Links"] = lst
        return out

    @classmethod
    def from_ipld(cls, value: Any) -> PBNode:
        """Validate an IPLD data-model value as a dag-pb node (strictly)."""
        if not isinstance(value, Mapping):
            raise EncodeError("Invalid DAG-PB form: a node must be a map")
        extra = set(value) - {"Data", "Links"}
        if extra:
            raise EncodeError(f"Invalid DAG-PB form (extraneous properties: {sorted(extra)})")
        data = value.get("Data")
        if "Data" in value and not isinstance(data, bytes | bytearray | memoryview):
            raise EncodeError("Invalid DAG-PB form (Data must be bytes)")
        raw_links = value.get("Links")
        if not isinstance(raw_links, list | tuple):
            raise EncodeError("Invalid DAG-PB form (Links must be a list)")
        return cls(
            tuple(_link_from_ipld(x) for x in raw_links), None if data is None else bytes(data)
        )


def _link_from_ipld(value: Any) -> PBLink:
    if not isinstance(value, Mapping):
        raise EncodeError("Invalid DAG-PB form (bad link)")
    if "Hash" not in value:
        raise EncodeError("Invalid DAG-PB form (link must have a Hash)")
    extra = set(value) - {"Hash", "Name", "Tsize"}
    if extra:
        raise EncodeError(f"Invalid DAG-PB form (extraneous properties on link: {sorted(extra)})")
    cid = value["Hash"]
    if not isinstance(cid, CID):
        raise EncodeError("Invalid DAG-PB form (link Hash must be a CID)")
    name = value.get("Name")
    if "Name" in value and not isinstance(name, str):
        raise EncodeError("Invalid DAG-PB form (link Name must be a string)")
    tsize = value.get("Tsize")
    if "Tsize" in value:
        if type(tsize) is not int:
            raise EncodeError("Invalid DAG-PB form (link Tsize must be an integer)")
        if tsize < 0:
            raise EncodeError("Invalid DAG-PB form (link Tsize cannot be negative)")
    return PBLink(cid, name, tsize)


# -- encoding ------------------------------------------------------------------------


def _encode_link(link: PBLink) -> bytes:
    raw = link.cid.bytes
    parts = [b"\x0a", encode_leb128(len(raw)), raw]
    if link.name is not None:
        name = link.name.encode("utf-8", "surrogateescape")
        parts += (b"\x12", encode_leb128(len(name)), name)
    if link.tsize is not None:
        if not 0 <= link.tsize <= _MAX_U64:
            raise EncodeError(f"Invalid DAG-PB form (link Tsize {link.tsize} out of range)")
        parts += (b"\x18", encode_leb128(link.tsize))
    return b"".join(parts)


def encode(node: PBNode | Mapping[str, Any]) -> bytes:
    """Encode a :class:`PBNode` (or its IPLD form) to dag-pb bytes.

    Raises :class:`~ipfs_kit_py.errors.EncodeError` if the links are not sorted
    by name bytes; build the node with :meth:`PBNode.create` to sort them.
    """
    if not isinstance(node, PBNode):
        node = PBNode.from_ipld(node)
    parts: list[bytes] = []
    prev = b""
    for link in node.links:
        key = link.name_bytes()
        if key < prev:
            raise EncodeError("Invalid DAG-PB form (links must be sorted by Name bytes)")
        prev = key
        body = _encode_link(link)
        parts += (b"\x12", encode_leb128(len(body)), body)
    if node.data is not None:
        parts += (b"\x0a", encode_leb128(len(node.data)), node.data)
    return b"".join(parts)


# -- decoding ------------------------------------------------------------------------


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    return decode_leb128(buf, pos, end, "invalid DAG-PB")


def _bytes_field(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    length, pos = _varint(buf, pos, end)
    stop = pos + length
    if stop > end:
        raise DecodeError(f"invalid DAG-PB: field of {length} bytes runs past the end")
    return pos, stop


def _decode_link(buf: bytes, pos: int, end: int) -> PBLink:
    cid: CID | None = None
    name: str | None = None
    tsize: int | None = None
    last = 0
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if field <= last:
            raise DecodeError(f"invalid DAG-PB: link field {field} out of order or repeated")
        last = field
        if field == 1 and wire == 2:
            start, pos = _bytes_field(buf, pos, end)
            try:
                cid = CID.decode(buf[start:pos])
            except InvalidCIDError as err:
                raise DecodeError(
                    f"Invalid Hash field found in link, expected CID ({err})"
                ) from err
        elif field == 2 and wire == 2:
            if cid is None:
                break
            start, pos = _bytes_field(buf, pos, end)
            name = buf[start:pos].decode("utf-8", "surrogateescape")
        elif field == 3 and wire == 0:
            if cid is None:
                break
            tsize, pos = _varint(buf, pos, end)
        else:
            raise DecodeError(f"invalid DAG-PB: unexpected link field {field} (wire type {wire})")
    if cid is None:
        raise DecodeError("Invalid Hash field found in link, expected CID")
    return PBLink(cid, name, tsize)


def decode_node(data: bytes | bytearray | memoryview) -> PBNode:
    """Decode dag-pb bytes into a :class:`PBNode`, strictly."""
    buf = data if type(data) is bytes else bytes(data)
    end = len(buf)
    pos = 0
    links_: list[PBLink] = []
    node_data: bytes | None = None
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        if tag == 0x12:  # Links
            if node_data is not None:
                raise DecodeError("invalid DAG-PB: duplicate Links section (Links after Data)")
            start, pos = _bytes_field(buf, pos, end)
            links_.append(_decode_link(buf, start, pos))
        elif tag == 0x0A:  # Data
            if node_data is not None:
                raise DecodeError("invalid DAG-PB: duplicate Data section")
            start, pos = _bytes_field(buf, pos, end)
            node_data = buf[start:pos]
        else:
            raise DecodeError(f"invalid DAG-PB: unexpected field {tag >> 3} (wire type {tag & 7})")
    return PBNode(tuple(links_), node_data)


def decode(data: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Decode dag-pb bytes into the IPLD data-model form."""
    return decode_node(data).to_ipld()


def links(data: bytes | bytearray | memoryview) -> Iterator[CID]:
    """The CIDs a dag-pb node links to, in order."""
    for link in decode_node(data).links:
        yield link.cid
