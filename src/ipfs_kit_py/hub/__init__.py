"""Model and dataset registries: ML artifacts by CID, loaded straight into ML libraries.

Design note
-----------
A registered version is a *record*: one dag-cbor block linking the artifact's UnixFS
tree (its root CID is what ``ipfs add -r`` of the directory gives) and listing every
file with its size, sha256 and CID — plus, per kind, what loaders need: a tensor
index for safetensors weights (name, dtype, shape, byte range), Parquet shards and
splits for datasets. Records are immutable; names, versions and movable aliases
live in a :class:`~ipfs_kit_py.hub._catalogue.Catalogue`, itself one pinned
dag-cbor block, so the catalogue pin keeps every listed version from GC.

Invariants: every byte handed to a loader was verified against its CID (block by
block) and, for whole files, against the record's sha256; nothing is written under
a name taken from a record without checking it is a plain relative path; pickle
weight files are refused unless the caller passes ``allow_pickle=True``.

Trade-offs: records hold only what a loader or an auditor needs; heavy libraries
(torch, transformers, datasets, pandas) are imported only by the calls that hand
objects to them.
"""

from __future__ import annotations

from ipfs_kit_py.hub._catalogue import Entry, Ref
from ipfs_kit_py.hub._datasets import DatasetRecord, DatasetRegistry, Shard
from ipfs_kit_py.hub._files import FileRecord
from ipfs_kit_py.hub._models import DedupReport, ModelFile, ModelRecord, ModelRegistry, TensorRead

__all__ = [
    "DatasetRecord",
    "DatasetRegistry",
    "DedupReport",
    "Entry",
    "FileRecord",
    "ModelFile",
    "ModelRecord",
    "ModelRegistry",
    "Ref",
    "Shard",
    "TensorRead",
]
