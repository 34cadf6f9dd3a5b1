"""UnixFS: files and directories as dag-pb DAGs, byte-identical to Kubo and Helia.

Design note
-----------
The importer (:class:`Importer`) is driven by named profiles (IPIP-499): ``unixfs-v1-2025`` (the
default: CIDv1, raw leaves, 1 MiB chunks, 1024 links) and ``unixfs-v0-2015``
(Kubo's legacy ``ipfs add``: CIDv0, 256 KiB, 174 links). Kubo's flag names
override a profile (:func:`resolve_options`). CIDs must equal what Kubo and the
JS importer compute; the interop tests run both.

The exporter (:class:`Exporter`) streams and range-reads files fetching only
the blocks a range needs, lists plain and sharded directories, resolves
``CID/a/b`` paths and materialises trees without ever writing outside the
target; every block is verified and every size a node claims is checked.

Chunkers: ``size-N``, and Kubo's content-defined ``buzhash`` and
``rabin[-MIN-AVG-MAX]``, cut for cut (checked against Kubo itself). Layouts:
balanced and trickle; directories switch to HAMT shards (fanout 256,
murmur3-x64-64) past the profile's size estimate, per directory. Optional
mode and mtime (``preserve_mode`` / ``preserve_mtime``) as the JS importer
records them.

Trade-offs: hashing is parallel and streaming with bounded memory; blocks go to
an optional sink (``None`` hashes only); content-defined cut points are found
with numpy, a few vector passes per window instead of a Python loop per byte.
"""

from __future__ import annotations

from ipfs_kit_py.unixfs._exporter import (
    MAX_DEPTH,
    DirEntry,
    Exporter,
    NodeCache,
    Stat,
    safe_name,
)
from ipfs_kit_py.unixfs._importer import (
    AddedEntry,
    BlockSink,
    Importer,
    TreeEntry,
    add_bytes,
    add_path,
)
from ipfs_kit_py.unixfs._options import DEFAULT_PROFILE, PROFILES, ImportOptions, resolve_options
from ipfs_kit_py.unixfs._pb import DataType, Metadata, UnixFSData, UnixTime

__all__ = [
    "DEFAULT_PROFILE",
    "MAX_DEPTH",
    "PROFILES",
    "AddedEntry",
    "BlockSink",
    "DataType",
    "DirEntry",
    "Exporter",
    "ImportOptions",
    "Importer",
    "Metadata",
    "NodeCache",
    "Stat",
    "TreeEntry",
    "UnixFSData",
    "UnixTime",
    "add_bytes",
    "add_path",
    "resolve_options",
    "safe_name",
]
