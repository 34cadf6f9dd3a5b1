"""``DatasetRegistry``: tabular datasets as sharded Parquet by CID, loaded back verified.

An add converts its source (files, tables, DataFrames, ``datasets`` objects; see
:mod:`ipfs_kit_py.hub._tables`) to Parquet shards laid out as on the Hugging Face
Hub, writes a dataset card, stores the directory as one UnixFS tree and lists a
dag-cbor *record* (schema ``ipfs-kit/dataset/1``) in the dataset catalogue::

    {"schema": "ipfs-kit/dataset/1", "name": "org/reviews", "version": "1",
     "root": <UnixFS directory: README.md, data/train-00000-of-00002.parquet, ...>,
     "files": [{"path", "size", "sha256", "cid"}, ...],           # every file of root
     "splits": [{"name": "train", "shards": [{"path", "cid", "rows", "bytes"}, ...]}, ...],
     "arrow_schema": <bytes: the Arrow IPC schema message, metadata included>,
     "columns": [{"name": "text", "type": "string", "nullable": true}, ...],
     "rows": 12000, "tags": [...], "profile": "unixfs-v1-2025",
     "created": "2025-01-31T12:00:00Z", "description": "...", "license": "mit"}

Everything but ``created`` follows from the rows and the arguments: adding the same
data again gives the same shards, root and file CIDs.

Reading never trusts a record (paths, sizes, shard entries and schema are
re-checked; records can come from another node), and every byte is verified
against its CID as it is read. Parquet is read with ranged reads, so a column or
row-group subset fetches only the blocks that hold it. ``load(format="datasets")``
converts the verified rows once into an Arrow file in the ``datasets`` cache
(``$HF_DATASETS_CACHE/ipfs_kit``, named by the shards' CIDs and the columns) and
memory-maps it, as ``load_dataset`` does with its own cache; no network is used.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_PB
from ipfs_kit_py.errors import (
    DecodeError,
    IntegrityError,
    InvalidInputError,
)
from ipfs_kit_py.hub._card import hf_features, render_card
from ipfs_kit_py.hub._catalogue import Entry, check_name, check_tag
from ipfs_kit_py.hub._files import FileRecord, import_directory, materialise, scan_directory
from ipfs_kit_py.hub._registry import Registry
from ipfs_kit_py.hub._tables import (
    Input,
    ShardWriter,
    WrittenShard,
    check_schema,
    check_split,
    collect_inputs,
    conform,
)

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["DatasetRecord", "DatasetRegistry", "Shard"]

SCHEMA = "ipfs-kit/dataset/1"
#: Shards end after the row group that takes them to this many bytes.
MAX_SHARD_BYTES = 128 << 20
FORMATS = ("arrow", "pandas", "datasets")
_CACHE_VERSION = 1  # part of every datasets-cache file name


@dataclass(frozen=True, slots=True)
class Shard:
    """One Parquet shard of a split: its path in the dataset, CID, rows and bytes."""

    path: str
    cid: CID
    rows: int
    size: int

    def to_ipld(self) -> dict[str, Any]:
        """The record form (``bytes`` is the file size; the CID is a link)."""
        return {"path": self.path, "cid": self.cid, "rows": self.rows, "bytes": self.size}


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One registered dataset version, as its record says (``cid`` names the record).

    ``splits`` maps each split, in order, to its shards; ``schema`` is the
    ``pyarrow.Schema`` every shard has (with its metadata: pandas index, features).
    """

    name: str
    version: str
    cid: CID
    root: CID
    files: tuple[FileRecord, ...]
    splits: Mapping[str, tuple[Shard, ...]]
    schema: Any
    rows: int
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str | None = None
    license: str | None = None
    profile: str = ""
    created: str = ""

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @property
    def num_rows(self) -> dict[str, int]:
        """Rows per split."""
        return {split: sum(s.rows for s in shards) for split, shards in self.splits.items()}

    def shards(self, split: str) -> tuple[Shard, ...]:
        """The shards of ``split``; :class:`InvalidInputError` names the splits there are."""
        try:
            return self.splits[split]
        except KeyError:
            raise InvalidInputError(
                f"{self.ref} has no split {split!r} (splits: {', '.join(self.splits)})"
            ) from None


class DatasetRegistry(Registry[DatasetRecord]):
    """Register tabular datasets, resolve ``name[@version|@alias]``, load them back.

    >>> import tempfile, pyarrow as pa
    >>> tmp = Path(tempfile.mkdtemp())
    >>> table = pa.table({"text": ["good", "bad", "fine"], "label": [1, 0, 1]})
    >>> with DatasetRegistry(repo=tmp / "repo") as registry:
    ...     record = registry.add(table, name="demo/reviews", aliases=["latest"])
    ...     back = registry.load("demo/reviews@latest")
    ...     record.version, record.num_rows, back.equals(table)
    ('1', {'train': 3}, True)
    """

    kind = "dataset"

    def __init__(
        self, api: IPFSSimpleAPI | None = None, *, repo: str | os.PathLike[str] | None = None
    ) -> None:
        """Use ``api``'s node, or open (and own) ``IPFSSimpleAPI(repo)``."""
        super().__init__(api, repo=repo)
        self._fs: Any = None  # the ipfs:// file system shards are read through, made on use

    # -- registering ------------------------------------------------------------------------

    def add(
        self,
        source: Any,
        *,
        name: str,
        version: str | None = None,
        aliases: Sequence[str] = (),
        split: str | None = None,
        card: str | None = None,
        description: str | None = None,
        license: str | None = None,
        tags: Sequence[str] = (),
        rows_per_shard: int | None = None,
        max_shard_bytes: int = MAX_SHARD_BYTES,
        row_group_rows: int | None = None,
    ) -> DatasetRecord:
        """Store ``source`` as sharded Parquet under ``name@version`` and list it.

        Args:
            source: a Parquet, Arrow IPC (``.arrow``/``.feather``), CSV/TSV or JSON-lines
                file (text ones may be ``.gz``/``.bz2``/``.zst``); a directory or list of
                them; a mapping ``{split: source}``; a ``pyarrow.Table`` or
                ``RecordBatchReader``; a ``pandas.DataFrame``; a ``datasets.Dataset``
                or ``DatasetDict``.
            name: ``name`` or ``org/name``.
            version: defaults to one more than the highest integer version (``"1"``).
            aliases: movable names for this version (``latest``, ``prod``).
            split: the split a source without splits becomes (default ``train``).
                A directory whose files all name a split (``test-*.csv``) is split by
                them unless this is given.
            card: the dataset card's text (Markdown); its front matter, if any, is
                replaced by the generated one. Default: a directory source's
                README.md, else a short generated card.
            description, license, tags: kept in the record and the card.
            rows_per_shard: cut shards at exactly this many rows.
            max_shard_bytes: end a shard after the row group that reaches this size.
            row_group_rows: rows per Parquet row group (default: about 32 MiB of Arrow
                data, a power of two); the unit of a partial read.

        Every split must have one schema, and all splits the same (metadata aside);
        otherwise, and for unknown file types
        (:class:`~ipfs_kit_py.errors.UnsupportedError`) or files that do not parse
        (:class:`~ipfs_kit_py.errors.DecodeError`), nothing is registered.
        """
        check_name(name)
        if version is not None:
            check_tag(version)
            if self._taken(name, version):
                raise InvalidInputError(f"{name}@{version} is already registered")
        for text in (*aliases, *tags):
            check_tag(text, "alias or tag")
        inputs, readme = collect_inputs(source, split)
        hub = self.api.node.path / "hub"
        hub.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".dataset-", dir=hub) as tmp:
            root = Path(tmp)
            written, schema, nbytes = _write_splits(
                root,
                inputs,
                rows_per_shard=rows_per_shard,
                max_shard_bytes=max_shard_bytes,
                row_group_rows=row_group_rows,
            )
            text = render_card(
                name=name,
                splits={s: (sum(w.rows for w in ws), nbytes[s]) for s, ws in written.items()},
                download_size=sum(w.size for ws in written.values() for w in ws),
                features=hf_features(schema),
                description=description,
                license=license,
                tags=tags,
                body=card if card is not None else readme,
            )
            (root / "README.md").write_text(text, encoding="utf-8")
            files = scan_directory(root)
            api = self.api
            with api.node.gc_lock.shared():  # nothing stored can be collected before it is listed
                top, stored = import_directory(api, files, tags=tags)
                by_path = {f.path: f for f in stored}
                doc: dict[str, Any] = {
                    "schema": SCHEMA,
                    "name": name,
                    "root": top.cid,
                    "files": [f.to_ipld() for f in stored],
                    "splits": [  # a list: dag-cbor would sort a map's keys, not keep our order
                        {
                            "name": s,
                            "shards": [
                                Shard(w.path, by_path[w.path].cid, w.rows, w.size).to_ipld()
                                for w in ws
                            ],
                        }
                        for s, ws in written.items()
                    ],
                    "arrow_schema": schema.serialize().to_pybytes(),
                    "columns": [
                        {"name": f.name, "type": str(f.type), "nullable": f.nullable}
                        for f in schema
                    ],
                    "rows": sum(w.rows for ws in written.values() for w in ws),
                    "tags": list(tags),
                    "profile": api.profile,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
                if description is not None:
                    doc["description"] = description
                if license is not None:
                    doc["license"] = license
                entry = self._list(doc, name, version, aliases)
        return self._record(entry, doc)

    # -- reading records --------------------------------------------------------------------

    def _record(self, entry: Entry, doc: Any) -> DatasetRecord:
        """Check a record block as hostile input and build its :class:`DatasetRecord`."""
        return parse_record(entry, doc)

    # -- loading ----------------------------------------------------------------------------

    def load(
        self,
        ref: str | CID | DatasetRecord,
        *,
        split: str | None = None,
        format: str = "arrow",
        columns: Sequence[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Any:
        """Read ``ref``'s rows, verified, as a ``pyarrow.Table``, DataFrame or Dataset.

        Args:
            ref: a reference, record CID or record.
            split: one split; ``None`` reads every split and, when there are several,
                returns ``{split: table}`` (``format="datasets"``: a ``DatasetDict``).
            format: ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"``
                (``Table.to_pandas()``, the index and dtypes restored from the pandas
                metadata), or ``"datasets"`` (a memory-mapped ``datasets.Dataset``).
            columns: read only these columns (only their bytes are fetched).
            cache_dir: where ``format="datasets"`` keeps its Arrow files (default
                ``$HF_DATASETS_CACHE/ipfs_kit``). A file is named by the shards' CIDs
                and the columns, written once and reused.
        """
        if format not in FORMATS:
            raise InvalidInputError(f"unknown format {format!r}: use one of {FORMATS}")
        record = ref if isinstance(ref, DatasetRecord) else self.get(ref)
        names = [split] if split is not None else builtins.list(record.splits)
        cols = _check_columns(record, columns)
        if format == "datasets":
            return self._datasets(record, names, cols, cache_dir, split is None)
        out = {}
        for name in names:
            table = self._read_split(record, name, cols, pandas=format == "pandas")
            out[name] = table.to_pandas() if format == "pandas" else table
        return out[names[0]] if len(out) == 1 else out

    def _read_split(
        self, record: DatasetRecord, split: str, columns: builtins.list[str] | None, pandas: bool
    ) -> Any:
        import pyarrow as pa

        tables = []
        for shard in record.shards(split):
            with self._parquet(record, shard) as parquet:
                tables.append(
                    parquet.read(columns=columns, use_threads=False, use_pandas_metadata=pandas)
                )
        return pa.concat_tables(tables)

    def iter_batches(
        self,
        ref: str | CID | DatasetRecord,
        *,
        split: str | None = None,
        batch_size: int = 64 * 1024,
        columns: Sequence[str] | None = None,
    ) -> Iterator[Any]:
        """Stream ``split``'s rows as ``pyarrow.RecordBatch``es, shard by shard.

        One row group is read at a time (only its column chunks' byte ranges are
        fetched), so memory stays near one row group whatever the split's size.
        ``split`` may be left out when the dataset has one.
        """
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be at least 1, not {batch_size}")
        record = ref if isinstance(ref, DatasetRecord) else self.get(ref)
        if split is None:
            if len(record.splits) != 1:
                raise InvalidInputError(f"{record.ref} has several splits: pass split=")
            split = next(iter(record.splits))
        shards = record.shards(split)
        return self._batches(record, shards, _check_columns(record, columns), batch_size)

    def _batches(
        self,
        record: DatasetRecord,
        shards: Sequence[Shard],
        columns: builtins.list[str] | None,
        batch_size: int = 64 * 1024,
    ) -> Iterator[Any]:
        for shard in shards:
            with self._parquet(record, shard) as parquet:
                for group in range(parquet.num_row_groups):
                    yield from parquet.iter_batches(
                        batch_size, row_groups=[group], columns=columns, use_threads=False
                    )

    @contextlib.contextmanager
    def _parquet(self, record: DatasetRecord, shard: Shard) -> Iterator[Any]:
        """One shard as a ``pyarrow.parquet.ParquetFile``, checked against the record."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self._open(shard) as fp:
            try:
                parquet = pq.ParquetFile(fp)
            except pa.ArrowException as err:
                raise DecodeError(f"{record.ref}: {shard.path} is not Parquet ({err})") from err
            rows, schema = parquet.metadata.num_rows, parquet.schema_arrow
            if rows != shard.rows or not schema.equals(record.schema):
                raise DecodeError(
                    f"{record.ref}: {shard.path} does not hold the rows and schema its record says"
                )
            yield parquet

    def _open(self, shard: Shard) -> Any:
        """A seekable, verified reader of one shard, by its own CID (an ``ipfs://`` file).

        No read-ahead: pyarrow asks for exactly the byte ranges it needs (the footer,
        then column chunks), and each fetches only the blocks that overlap it.
        """
        if self._fs is None:
            from ipfs_kit_py.fs import IPFSFileSystem

            self._fs = IPFSFileSystem(api=self.api, skip_instance_cache=True)
        fp = self._fs.open(str(shard.cid), "rb", cache_type="none")
        if fp.size != shard.size:
            fp.close()
            raise IntegrityError(
                f"{shard.path}: {shard.cid} holds {fp.size} bytes, not {shard.size}"
            )
        return fp

    def _datasets(
        self,
        record: DatasetRecord,
        splits: Sequence[str],
        columns: builtins.list[str] | None,
        cache_dir: str | os.PathLike[str] | None,
        as_dict: bool,
    ) -> Any:
        import datasets  # type: ignore[import-untyped]

        cache = (
            Path(cache_dir)
            if cache_dir is not None
            else Path(datasets.config.HF_DATASETS_CACHE) / "ipfs_kit"
        )
        info = datasets.DatasetInfo(
            description=record.description or "", license=record.license or ""
        )
        out = {}
        for split in splits:
            path = self._arrow_file(record, split, columns, cache)
            out[split] = datasets.Dataset.from_file(
                str(path), info=info, split=datasets.NamedSplit(split)
            )
        if as_dict and len(out) > 1:
            return datasets.DatasetDict(out)
        return out[splits[0]]

    def _arrow_file(
        self, record: DatasetRecord, split: str, columns: builtins.list[str] | None, cache: Path
    ) -> Path:
        """The split as an Arrow IPC stream in ``cache`` (written once, from verified rows)."""
        import pyarrow as pa

        shards = record.shards(split)
        key = hashlib.sha256(record.schema.serialize().to_pybytes())
        key.update(json.dumps([_CACHE_VERSION, [str(s.cid) for s in shards], columns]).encode())
        path = cache / f"{key.hexdigest()[:40]}.arrow"
        if path.is_file():
            return path
        schema = record.schema
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
                for batch in self._batches(record, shards, columns):
                    arrays = [batch.column(field.name) for field in schema]
                    writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    def snapshot(self, ref: str | CID | DatasetRecord, directory: str | os.PathLike[str]) -> Path:
        """Write ``ref``'s files, verified, to ``directory``: ``load_dataset(directory)`` reads it.

        Every file is checked against its CID (block by block) and the record's size
        and sha256; one that disagrees raises :class:`~ipfs_kit_py.errors.IntegrityError`
        and is not left behind.
        """
        record = ref if isinstance(ref, DatasetRecord) else self.get(ref)
        return materialise(self.api, record.files, directory)


def _write_splits(
    root: Path,
    inputs: Mapping[str, Sequence[Input]],
    *,
    rows_per_shard: int | None,
    max_shard_bytes: int,
    row_group_rows: int | None,
) -> tuple[dict[str, list[WrittenShard]], Any, dict[str, int]]:
    """Write every split's shards under ``root``; their list, the schema and data bytes."""
    import pyarrow.parquet as pq

    written: dict[str, list[WrittenShard]] = {}
    nbytes: dict[str, int] = {}
    schema: Any = None
    for split, split_inputs in inputs.items():
        writer: ShardWriter | None = None
        try:
            for item in split_inputs:
                item_schema, batches = item.open()
                label = f"{item.label} (split {split!r})"
                try:
                    schema = item_schema if schema is None else schema
                    check_schema(item_schema, schema, label)
                    if writer is None:
                        writer = ShardWriter(
                            root,
                            split,
                            item_schema,
                            rows_per_shard=rows_per_shard,
                            max_shard_bytes=max_shard_bytes,
                            row_group_rows=row_group_rows,
                        )
                    for batch in batches:
                        writer.write(conform(batch, writer.schema, label))
                finally:
                    close = getattr(batches, "close", None)
                    if close is not None:
                        close()  # the input's file, also when its schema was refused
            assert writer is not None  # collect_inputs gives every split an input
            written[split] = writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        nbytes[split] = writer.nbytes
    # The schema readers will see: Parquet does not keep every Arrow type as it was given
    # (a dictionary of large_string comes back a dictionary of string).
    first = next(iter(written.values()))[0]
    return written, pq.read_schema(root / first.path), nbytes


def _check_columns(record: DatasetRecord, columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        raise InvalidInputError("columns must be a list of names, not one string")
    missing = [c for c in columns if c not in record.schema.names]
    if missing:
        raise InvalidInputError(
            f"{record.ref} has no column {missing[0]!r} (columns: {', '.join(record.schema.names)})"
        )
    return builtins.list(columns)


def parse_record(entry: Entry, doc: Any) -> DatasetRecord:
    """Check a dataset record block as hostile input and build its :class:`DatasetRecord`."""
    import pyarrow as pa

    where = str(entry.record)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise DecodeError(f"{where} is not a dataset record ({SCHEMA})")
    try:
        name, version = check_name(doc["name"]), check_tag(doc["version"])
        root, files, splits = doc["root"], doc["files"], doc["splits"]
        schema_bytes, rows, created = doc["arrow_schema"], doc["rows"], doc["created"]
        tags, profile = doc.get("tags", []), doc.get("profile", "")
        description, license = doc.get("description"), doc.get("license")
    except (KeyError, TypeError) as err:
        raise DecodeError(f"{where}: malformed dataset record ({err})") from err
    except InvalidInputError as err:
        raise DecodeError(f"{where}: malformed dataset record ({err})") from err
    if entry.name and (entry.name, entry.version) != (name, version):
        raise DecodeError(f"{where} says it is {name}@{version}, listed as {entry.ref}")
    if not isinstance(root, CID) or root.codec != DAG_PB:
        raise DecodeError(f"{where}: root must link a UnixFS directory")
    if not isinstance(files, list) or not files:
        raise DecodeError(f"{where}: files must be a non-empty list")
    parsed = tuple(FileRecord.from_ipld(f) for f in files)  # unsafe paths: InvalidInputError
    by_path = {f.path: f for f in parsed}
    if len(by_path) != len(parsed):
        raise DecodeError(f"{where}: a file is listed twice")
    for path in by_path:
        if any(path.startswith(other + "/") for other in by_path):
            raise DecodeError(f"{where}: {path!r} lies under another file")
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise DecodeError(f"{where}: tags must be strings")
    for text in (profile, created):
        if not isinstance(text, str):
            raise DecodeError(f"{where}: profile and created must be strings")
    for text in (description, license):
        if text is not None and not isinstance(text, str):
            raise DecodeError(f"{where}: description and license must be strings")
    if not isinstance(schema_bytes, bytes):
        raise DecodeError(f"{where}: arrow_schema must be bytes")
    try:
        schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
    except (pa.ArrowException, ValueError) as err:
        raise DecodeError(f"{where}: arrow_schema is not an Arrow schema ({err})") from err
    shards = _parse_splits(where, splits, by_path)
    total = sum(s.rows for ss in shards.values() for s in ss)
    if not isinstance(rows, int) or isinstance(rows, bool) or rows != total:
        raise DecodeError(f"{where}: rows ({rows!r}) is not the sum of the shards' ({total})")
    return DatasetRecord(
        name,
        version,
        entry.record,
        root,
        parsed,
        MappingProxyType(shards),
        schema,
        rows,
        entry.aliases,
        tuple(tags),
        description,
        license,
        profile,
        created,
    )


def _parse_splits(
    where: str, splits: Any, files: Mapping[str, FileRecord]
) -> dict[str, tuple[Shard, ...]]:
    if not isinstance(splits, list) or not splits:
        raise DecodeError(f"{where}: splits must be a non-empty list")
    out: dict[str, tuple[Shard, ...]] = {}
    claimed: set[str] = set()
    for entry in splits:
        try:
            split, items = entry["name"], entry["shards"]
        except (KeyError, TypeError) as err:
            raise DecodeError(f"{where}: malformed split entry") from err
        if not isinstance(split, str) or split in out:
            raise DecodeError(f"{where}: split names must be distinct strings")
        check_split(split)
        if not isinstance(items, list) or not items:
            raise DecodeError(f"{where}: split {split!r} must list its shards")
        shards = []
        for item in items:
            try:
                shard = Shard(item["path"], item["cid"], item["rows"], item["bytes"])
            except (KeyError, TypeError) as err:
                raise DecodeError(f"{where}: malformed shard in split {split!r}") from err
            listed = files.get(shard.path) if isinstance(shard.path, str) else None
            if listed is None or shard.path in claimed:
                raise DecodeError(f"{where}: shard {shard.path!r} is not one of the files")
            if not (
                shard.path.startswith("data/")
                and shard.path.endswith(".parquet")
                and isinstance(shard.rows, int)
                and not isinstance(shard.rows, bool)
                and shard.rows >= 0
                and shard.cid == listed.cid
                and shard.size == listed.size
            ):
                raise DecodeError(f"{where}: shard {shard.path!r} disagrees with its file entry")
            claimed.add(shard.path)
            shards.append(shard)
        out[split] = tuple(shards)
    return out
