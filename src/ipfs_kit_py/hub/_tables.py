"""Tabular sources in, sharded Parquet out: the dataset registry's conversion step.

Every source a dataset can come from (Parquet, Arrow IPC, CSV and JSON-lines files,
directories and lists of them, ``pyarrow`` tables and readers, ``pandas``
DataFrames, ``datasets`` Datasets) becomes, per split, a stream of Arrow record
batches with one schema; :class:`ShardWriter` cuts that stream into Parquet shards
named as on the Hugging Face Hub (``data/<split>-00000-of-00003.parquet``).

Memory stays bounded: files are read a block of rows at a time (Parquet by row
group, Arrow IPC memory-mapped, CSV and JSON by 4 MiB blocks) and at most one
row group is held before it is written. Output bytes depend only on the rows and
the options: batches are re-cut into row groups of a fixed number of rows and each
group is written from contiguous arrays, with fixed writer settings (pyarrow's
``created_by`` names its version; nothing records a time), so the same input gives
the same shards, and the same CIDs, on every add.

CSV and JSON types are inferred from the first 4 MiB block, as the streaming
readers of pyarrow do; a later value of another type raises
:class:`~ipfs_kit_py.errors.DecodeError` (convert such a file to Parquet first).
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipfs_kit_py.errors import DecodeError, InvalidInputError, UnsupportedError
from ipfs_kit_py.hub._files import scan_directory

__all__ = [
    "Input",
    "ShardWriter",
    "WrittenShard",
    "check_schema",
    "check_split",
    "collect_inputs",
    "conform",
]

#: Rows per record batch read from a source.
READ_ROWS = 64 * 1024
#: In-memory (Arrow) bytes a row group aims at when its row count is not given.
ROW_GROUP_BYTES = 32 << 20
#: Text formats are parsed (and their types inferred) a block of this many bytes at a time.
TEXT_BLOCK = 4 << 20
_MAX_SHARDS = 99_999  # five digits in ``-00000-of-00000``

_SPLIT = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_KINDS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}
# Hugging Face's split keywords (datasets.data_files), mapped to the canonical names.
_SPLIT_WORDS = {
    **dict.fromkeys(("train", "training"), "train"),
    **dict.fromkeys(("validation", "valid", "dev", "val"), "validation"),
    **dict.fromkeys(("test", "testing", "eval", "evaluation"), "test"),
}
_WORD = re.compile(r"([a-z]+)(?:[-._ 0-9]|$)")


def check_split(name: str) -> str:
    """``name`` if it can name a split (letters, digits, ``_``, inner dots); else raise."""
    if not _SPLIT.fullmatch(name) or len(name) > 64:
        raise InvalidInputError(f"bad split name {name!r}: use letters, digits, '_' and '.'")
    return name


@dataclass(frozen=True, slots=True)
class Input:
    """One source of rows for a split: a label for messages and how to read it.

    ``open`` returns the schema and an iterator of record batches; files are opened
    only then, so a directory of thousands of files never holds more than one open.
    """

    label: str
    open: Callable[[], tuple[Any, Iterator[Any]]]


def collect_inputs(source: Any, split: str | None) -> tuple[dict[str, list[Input]], str | None]:
    """Classify ``source`` into ``{split: [inputs]}``, plus the text of a README it holds.

    ``split`` names the split for a source that has none of its own (default
    ``train``); a directory whose every file names a split (``test-0.csv``,
    ``valid/a.parquet``) is grouped by them, as ``datasets`` does.
    """
    default = check_split(split) if split is not None else "train"
    datasets = sys.modules.get("datasets")
    if datasets is not None and isinstance(source, datasets.DatasetDict):  # a Mapping too
        if split is not None:
            if split not in source:
                raise InvalidInputError(f"the DatasetDict has no split {split!r}")
            return {default: [_dataset_input(source[default], default)]}, None
        return {check_split(k): [_dataset_input(v, k)] for k, v in source.items()}, None
    if isinstance(source, Mapping):
        if split is not None:
            raise InvalidInputError("pass either a mapping of splits or split=, not both")
        grouped: dict[str, list[Input]] = {}
        for name, value in source.items():
            if not isinstance(name, str):
                raise InvalidInputError(f"split names must be strings, not {name!r}")
            if isinstance(value, Mapping):
                raise InvalidInputError(f"split {name!r}: nested mappings are not sources")
            grouped[check_split(name)] = _flat_inputs(value)
        if not grouped:
            raise InvalidInputError("the mapping of splits is empty")
        return grouped, None
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        return _directory_inputs(Path(source), split, default)
    return {default: _flat_inputs(source)}, None


def _flat_inputs(source: Any) -> list[Input]:
    """The inputs of one split: a path, a list of paths, or one in-memory table."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return [_file_input(p) for _, p in _data_files(path)]
        return [_file_input(path)]
    if isinstance(source, Sequence) and not isinstance(source, (bytes, bytearray)):
        items = list(source)
        if not items:
            raise InvalidInputError("an empty list of files is not a dataset")
        return [inp for item in items for inp in _flat_inputs(item)]
    return [_object_input(source)]


def _directory_inputs(
    top: Path, split: str | None, default: str
) -> tuple[dict[str, list[Input]], str | None]:
    files = _data_files(top)
    if not files:
        raise InvalidInputError(f"{top} holds no data files")
    readme = top / "README.md"
    card = readme.read_text(encoding="utf-8") if readme.is_file() else None
    if split is None:
        named = [_split_of(rel) for rel, _ in files]
        if all(named):
            grouped: dict[str, list[Input]] = {}
            for name, (_, real) in zip(named, files, strict=True):
                grouped.setdefault(str(name), []).append(_file_input(real))
            order = ["train", "validation", "test"]
            return {s: grouped[s] for s in order if s in grouped}, card
    return {default: [_file_input(real) for _, real in files]}, card


def _data_files(top: Path) -> list[tuple[str, Path]]:
    """The files of a directory source, less dot-files and its top-level README.md."""
    return [
        (rel, real)
        for rel, real in scan_directory(top)
        if rel != "README.md" and not any(part.startswith(".") for part in rel.split("/"))
    ]


def _split_of(rel: str) -> str | None:
    """The split a file's path names (a directory, or the start of its file name)."""
    *dirs, name = rel.lower().split("/")
    for part in dirs:
        if part in _SPLIT_WORDS:
            return _SPLIT_WORDS[part]
    match = _WORD.match(name)
    return _SPLIT_WORDS.get(match.group(1)) if match else None


# -- reading ---------------------------------------------------------------------------------


def _file_kind(path: Path) -> tuple[str, str | None]:
    suffixes = [s.lower() for s in path.suffixes]
    compression = _COMPRESSED.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes.pop()
    kind = _KINDS.get(suffixes[-1]) if suffixes else None
    if kind is None or (compression is not None and kind in ("parquet", "arrow")):
        known = ", ".join(sorted(_KINDS))
        raise UnsupportedError(
            f"{path}: unsupported file type (known: {known}; CSV and JSON may be compressed)"
        )
    return kind, compression


def _file_input(path: Path) -> Input:
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    kind, compression = _file_kind(path)

    def open_file() -> tuple[Any, Iterator[Any]]:
        import pyarrow as pa

        try:
            if kind == "parquet":
                return _parquet(path)
            if kind == "arrow":
                return _ipc(path)
            return _text(path, kind, compression)
        except (pa.ArrowException, EOFError) as err:
            raise DecodeError(f"{path}: not a readable {kind} file: {err}") from err

    return Input(str(path), open_file)


def _parquet(path: Path) -> tuple[Any, Iterator[Any]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)

    def batches() -> Iterator[Any]:
        for group in range(parquet.num_row_groups):
            yield from parquet.iter_batches(READ_ROWS, row_groups=[group], use_threads=False)

    return parquet.schema_arrow, _Batches(batches(), parquet)


def _ipc(path: Path) -> tuple[Any, Iterator[Any]]:
    import pyarrow as pa

    source = pa.memory_map(str(path))
    try:
        try:
            reader: Any = pa.ipc.open_file(source)
            stream = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:  # not the file format: the stream format (datasets' cache)
            source.seek(0)
            reader = pa.ipc.open_stream(source)
            stream = iter(reader)
    except BaseException:
        source.close()
        raise

    def batches() -> Iterator[Any]:
        for batch in stream:
            for start in range(0, batch.num_rows, READ_ROWS):
                yield batch.slice(start, READ_ROWS)

    return reader.schema, _Batches(batches(), source)


def _text(path: Path, kind: str, compression: str | None) -> tuple[Any, Iterator[Any]]:
    import pyarrow as pa

    # A Python file, not pyarrow's own: pyarrow reads a native file ahead without bound
    # (a 600 MB CSV held 570 MiB); through Python it reads one block at a time.
    stream: Any = (
        open(path, "rb")  # noqa: SIM115 - closed with the batches
        if compression is None
        else _Blocking(pa.input_stream(str(path), compression=compression))
    )
    try:
        if kind == "json":
            from pyarrow import json as pj

            reader = pj.open_json(stream, read_options=pj.ReadOptions(block_size=TEXT_BLOCK))
        else:
            from pyarrow import csv as pc

            reader = pc.open_csv(
                stream,
                read_options=pc.ReadOptions(block_size=TEXT_BLOCK),
                parse_options=pc.ParseOptions(delimiter="\t" if kind == "tsv" else ","),
            )
    except BaseException:
        stream.close()
        raise

    def batches() -> Iterator[Any]:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowException as err:
                raise DecodeError(
                    f"{path}: {err} (column types are inferred from the first "
                    f"{TEXT_BLOCK:,} bytes; a later value of another type needs the "
                    "file converted to Parquet first)"
                ) from err
            for start in range(0, batch.num_rows, READ_ROWS):
                yield batch.slice(start, READ_ROWS)

    return reader.schema, _Batches(batches(), stream)


class _Batches:
    """Batches read from an open file; :meth:`close` releases it, read to the end or not."""

    def __init__(self, batches: Iterator[Any], resource: Any) -> None:
        self._batches = batches
        self._resource = resource

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def close(self) -> None:
        """Stop reading and close the file."""
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()
        self._resource.close()


class _Blocking(io.RawIOBase):
    """A pyarrow (decompressing) stream as a plain Python file: see :func:`_text`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data: bytes = self._stream.read() if size is None or size < 0 else self._stream.read(size)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _object_input(source: Any) -> Input:
    import pyarrow as pa

    if isinstance(source, pa.Table):
        return Input("pyarrow.Table", lambda: (source.schema, _table_batches(source)))
    if isinstance(source, pa.RecordBatchReader):
        return Input("pyarrow.RecordBatchReader", lambda: (source.schema, iter(source)))
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(source, pandas.DataFrame):
        table = pa.Table.from_pandas(source)  # index kept as df.to_parquet() keeps it
        return Input("pandas.DataFrame", lambda: (table.schema, _table_batches(table)))
    datasets = sys.modules.get("datasets")
    if datasets is not None and isinstance(source, datasets.Dataset):
        return _dataset_input(source, "datasets.Dataset")
    raise UnsupportedError(
        f"cannot make a dataset of a {type(source).__name__}: pass a file, directory, list "
        "or mapping of files, pyarrow.Table, pandas.DataFrame or datasets.Dataset(Dict)"
    )


def _dataset_input(dataset: Any, label: str) -> Input:
    datasets = sys.modules["datasets"]
    if not isinstance(dataset, datasets.Dataset):
        raise UnsupportedError(f"{label}: a {type(dataset).__name__} is not a datasets.Dataset")

    def open_dataset() -> tuple[Any, Iterator[Any]]:
        schema = dataset.features.arrow_schema  # carries the features (ClassLabel names, ...)
        tables = dataset.with_format("arrow").iter(batch_size=READ_ROWS)  # applies indices
        return schema, (batch for table in tables for batch in table.to_batches())

    return Input(f"datasets.Dataset {label}", open_dataset)


def _table_batches(table: Any) -> Iterator[Any]:
    yield from table.to_batches(max_chunksize=READ_ROWS)


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WrittenShard:
    """A Parquet shard on disk: its path relative to the dataset root, rows and bytes."""

    path: str
    rows: int
    size: int


class ShardWriter:
    """Cut one split's batches into Parquet shards under ``<root>/data``.

    A shard ends after the row group that takes it to ``max_shard_bytes`` (so it
    is at most one row group larger) or at exactly ``rows_per_shard`` rows. Row
    groups hold ``row_group_rows`` rows, by default the power of two at or under
    :data:`ROW_GROUP_BYTES` of data, as measured on the first :data:`READ_ROWS` rows.
    """

    def __init__(
        self,
        root: Path,
        split: str,
        schema: Any,
        *,
        rows_per_shard: int | None,
        max_shard_bytes: int,
        row_group_rows: int | None,
    ) -> None:
        for what, value in (("rows_per_shard", rows_per_shard), ("row_group_rows", row_group_rows)):
            if value is not None and value < 1:
                raise InvalidInputError(f"{what} must be at least 1, not {value}")
        if max_shard_bytes < 1:
            raise InvalidInputError(f"max_shard_bytes must be at least 1, not {max_shard_bytes}")
        self.root = root
        self.split = split
        self.schema = schema
        self.rows = 0
        #: the data's uncompressed size (Parquet's, not Arrow's: that one depends on slicing);
        #: the card's ``num_bytes``, which ``datasets`` reports but does not check
        self.nbytes = 0
        self._rows_per_shard = rows_per_shard
        self._max_bytes = max_shard_bytes
        self._group_rows = row_group_rows
        self._pending: list[Any] = []
        self._pending_rows = 0
        self._pending_bytes = 0  # until the row group size is chosen
        self._writer: Any = None
        self._sink: Any = None
        self._shard_rows = 0
        self._done: list[tuple[Path, int, int]] = []
        (root / "data").mkdir(parents=True, exist_ok=True)

    def write(self, batch: Any) -> None:
        """Take one record batch (its schema must equal the writer's, metadata aside)."""
        if batch.num_rows == 0:
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._group_rows is None:
            self._pending_bytes += batch.nbytes
            if self._pending_rows < READ_ROWS and self._pending_bytes < ROW_GROUP_BYTES:
                return
            self._choose_group_rows()
        self._drain()

    def _choose_group_rows(self) -> None:
        """Size row groups from the first rows, measured in one contiguous copy (so that
        how the input was chunked does not change the result)."""
        import pyarrow as pa

        table = pa.Table.from_batches(self._pending, schema=self.schema)
        sample = table.slice(0, READ_ROWS).combine_chunks()
        per_row = max(1, sample.nbytes // sample.num_rows)
        self._group_rows = 1 << max(0, (ROW_GROUP_BYTES // per_row).bit_length() - 1)

    def _drain(self) -> None:
        while self._pending_rows and self._pending_rows >= self._group_size():
            self._flush(self._group_size())

    def _group_size(self) -> int:
        assert self._group_rows is not None
        if self._rows_per_shard is None:
            return self._group_rows
        return min(self._group_rows, self._rows_per_shard - self._shard_rows)

    def _flush(self, rows: int) -> None:
        import pyarrow as pa

        table = pa.Table.from_batches(self._pending, schema=self.schema)
        rest = table.slice(rows)
        self._pending = rest.to_batches()
        self._pending_rows = rest.num_rows
        self._write_group(table.slice(0, rows))

    def _write_group(self, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            if len(self._done) >= _MAX_SHARDS:
                raise InvalidInputError(
                    f"split {self.split!r} needs more than {_MAX_SHARDS} shards"
                )
            path = self.root / "data" / f".{self.split}-{len(self._done):05d}.partial"
            self._sink = pa.OSFile(str(path), "wb")
            self._writer = pq.ParquetWriter(
                self._sink,
                self.schema,
                version="2.6",
                compression="snappy",
                use_dictionary=True,
                write_statistics=True,
                data_page_version="1.0",
                store_schema=True,
                write_page_index=False,
            )
            self._done.append((path, 0, 0))
        table = table.combine_chunks()  # bytes independent of how the input was chunked
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        self._shard_rows += table.num_rows
        self.rows += table.num_rows
        full = self._rows_per_shard is not None and self._shard_rows >= self._rows_per_shard
        if full or self._sink.tell() >= self._max_bytes:
            self._close_shard()

    def _close_shard(self) -> None:
        import pyarrow.parquet as pq

        self._writer.close()
        self._sink.close()
        path, _, _ = self._done[-1]
        meta = pq.read_metadata(path)
        self.nbytes += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        self._done[-1] = (path, self._shard_rows, path.stat().st_size)
        self._writer = self._sink = None
        self._shard_rows = 0

    def abort(self) -> None:
        """Close the shard being written, after a failure (its directory is thrown away)."""
        if self._sink is not None:
            self._sink.close()
        self._writer = self._sink = None

    def close(self) -> list[WrittenShard]:
        """Write what is buffered, end the last shard and give every shard its final name."""
        import pyarrow as pa

        if self._pending_rows and self._group_rows is None:
            self._choose_group_rows()
            self._drain()
        if self._pending_rows:
            self._write_group(pa.Table.from_batches(self._pending, schema=self.schema))
            self._pending, self._pending_rows = [], 0
        if self._writer is None and not self._done:  # an empty split is one empty shard
            self._write_group(self.schema.empty_table())
        if self._writer is not None:
            self._close_shard()
        total = len(self._done)
        shards = []
        for i, (partial, rows, size) in enumerate(self._done):
            rel = f"data/{self.split}-{i:05d}-of-{total:05d}.parquet"
            os.replace(partial, self.root / rel)
            shards.append(WrittenShard(rel, rows, size))
        return shards


def conform(batch: Any, schema: Any, label: str) -> Any:
    """``batch`` under ``schema`` (whose metadata wins); a different schema raises."""
    import pyarrow as pa

    check_schema(batch.schema, schema, label)
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def check_schema(schema: Any, expected: Any, label: str) -> None:
    """Raise :class:`InvalidInputError` if ``schema`` differs from ``expected`` (metadata aside)."""
    if not schema.equals(expected, check_metadata=False):
        raise InvalidInputError(
            f"{label}: its schema differs from the first input's\n"
            f"expected: {_describe(expected)}\n     got: {_describe(schema)}"
        )


def _describe(schema: Any) -> str:
    return ", ".join(f"{f.name}: {f.type}{'' if f.nullable else ' not null'}" for f in schema)
