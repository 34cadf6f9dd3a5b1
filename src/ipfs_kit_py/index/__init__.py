"""The Arrow metadata index: one row per stored root object, queryable with SQL.

Design note
-----------
Every object a node stores by adding, importing or pinning gets one row
(:data:`COLUMNS`: CID, sizes, media type, pin state, access statistics, where
copies live, name, tags, import profile). The table lives in memory as Arrow and
on disk as a Parquet snapshot plus a JSON-lines journal of the changes since
(:class:`MetadataIndex`), so recording a read costs one appended line and a crash
loses at most the line being written. :class:`IndexKeeper` turns node events into
rows; :meth:`MetadataIndex.query` runs duckdb SQL over the table ``objects`` in a
sandboxed connection (no file, network or extension access).

The index is derived data: the blocks and pins are the truth, and
``ipfs-kit index rebuild`` recreates it from them (read counts and tags are lost).
pyarrow and duckdb are imported when the index is first used, never by
``import ipfs_kit_py``.
"""

from ipfs_kit_py.index._keeper import DagRecorder, IndexKeeper
from ipfs_kit_py.index._schema import COLUMNS, LOCAL, default_row, schema
from ipfs_kit_py.index._store import MetadataIndex

__all__ = [
    "COLUMNS",
    "LOCAL",
    "DagRecorder",
    "IndexKeeper",
    "MetadataIndex",
    "default_row",
    "schema",
]
