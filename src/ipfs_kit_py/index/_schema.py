"""The index's Arrow schema: one row per stored root object, and what each column means."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import name_of

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["COLUMNS", "LOCAL", "default_row", "schema"]

#: The storage location name of this node's own repo.
LOCAL: Final = "local"

#: Column name -> (Arrow type name, meaning). The order is the table's column order.
COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "cid": ("string", "the root CID as it was added or pinned (CIDv0 stays Qm...)"),
    "cid_version": ("int8", "0 or 1"),
    "codec": ("string", "multicodec of the root block: dag-pb, raw, dag-cbor, dag-json"),
    "multihash_type": ("string", "hash function: sha2-256, blake3, ..."),
    "multihash": ("string", "the root's multihash in hex: joins a CIDv0 with its CIDv1"),
    "size_bytes": (
        "int64",
        "bytes of the object: a file's length, a directory's files' total, "
        "else the DAG's block bytes",
    ),
    "blocks": ("int64", "distinct blocks in the DAG, root included"),
    "links": ("int64", "links of the root block"),
    "mime_type": ("string", "from the name, else the first bytes; inode/directory for one"),
    "local": ("bool", "every block is in this repo"),
    "pinned": ("bool", "kept from garbage collection (any pin type)"),
    "pin_types": ("list<string>", "recursive, direct, indirect (as `pin ls` would say)"),
    "replication": ("int32", "how many nodes should hold it (config `replication`)"),
    "created_at": ("timestamp", "when this node first stored it (UTC)"),
    "last_accessed": ("timestamp", "last read through the API, CLI or a server (UTC)"),
    "access_count": ("int64", "reads through the API, CLI or a server"),
    "storage_locations": ("list<string>", "where copies are: 'local', later peers and tiers"),
    "name": ("string", "the file or directory name it was added under, or the pin's name"),
    "tags": ("list<string>", "free-form labels"),
    "profile": ("string", "the UnixFS import profile, for adds"),
}


def schema() -> pa.Schema:
    """The Arrow schema of :data:`COLUMNS` (pyarrow is imported here, not at import time)."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "int8": pa.int8(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema(
        [pa.field(name, types[kind], nullable=name != "cid") for name, (kind, _) in COLUMNS.items()]
    )


def default_row(cid: str, now: dt.datetime, fields: Mapping[str, Any] = {}) -> dict[str, Any]:
    """A complete row for ``cid``: what the CID says, defaults, then ``fields``.

    >>> import datetime as dt
    >>> row = default_row("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o",
    ...                   dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> row["cid_version"], row["codec"], row["multihash_type"], row["multihash"][:4]
    (0, 'dag-pb', 'sha2-256', '1220')
    """
    parsed = CID.parse(cid)
    row: dict[str, Any] = {
        "cid": cid,
        "cid_version": parsed.version,
        "codec": parsed.codec_name,
        "multihash_type": name_of(parsed.hash_code),
        "multihash": parsed.multihash.hex(),
        "size_bytes": 0,
        "blocks": 0,
        "links": 0,
        "mime_type": None,
        "local": True,
        "pinned": False,
        "pin_types": [],
        "replication": 1,
        "created_at": now,
        "last_accessed": None,
        "access_count": 0,
        "storage_locations": [LOCAL],
        "name": None,
        "tags": [],
        "profile": None,
    }
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise KeyError(f"unknown index columns: {', '.join(sorted(unknown))}")
    row.update(fields)
    return row
