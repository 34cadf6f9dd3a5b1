"""``MetadataIndex``: an Arrow table persisted as a Parquet snapshot plus a JSON-lines journal.

Every change (a new row, a read, a pin, a garbage collection) is one line appended
to ``journal.jsonl``: cheap enough to do on every ``cat``, and durable without
rewriting the Parquet file. The table is built lazily, when someone reads it, by
applying the pending journal entries to the snapshot; once the journal is long
enough the table is written back as a new snapshot (temp file, fsync, rename) and
the journal starts again.

Crash safety: the snapshot records the journal *generation* it contains and each
journal starts with its generation, so a crash between writing a snapshot and
starting a new journal never applies an entry twice (a read counted twice). A torn
last journal line (a crash mid-append) is dropped; anything else unreadable raises
:class:`~ipfs_kit_py.errors.IndexCorruptError`, and :meth:`MetadataIndex.reset`
plus a rebuild from the pins recovers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import IndexCorruptError, InvalidInputError, StorageError
from ipfs_kit_py.index._schema import COLUMNS, LOCAL, default_row, schema

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["MetadataIndex"]

JOURNAL: Final = "journal.jsonl"
_SNAPSHOT = re.compile(r"objects-(\d{8})\.parquet")
_TIMES: Final = ("created_at", "last_accessed")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _micros(value: dt.datetime) -> int:
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def _from_micros(value: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value)


class MetadataIndex:
    """One row per stored root object (see :data:`~ipfs_kit_py.index.COLUMNS`), queryable.

    >>> import tempfile
    >>> idx = MetadataIndex(tempfile.mkdtemp())
    >>> idx.upsert("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    ...            size_bytes=12, name="hello.txt", tags=["demo"])
    >>> idx.touch("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    >>> idx.query("SELECT name, size_bytes, access_count FROM objects").to_pylist()
    [{'name': 'hello.txt', 'size_bytes': 12, 'access_count': 1}]
    >>> idx.close()

    Thread-safe. Only one process may write an index (the repo lock sees to that).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        sync: bool = False,
        compact_after: int = 10_000,
    ) -> None:
        """Open (creating it if needed) the index kept in ``directory``.

        Args:
            sync: fsync each journal line (and snapshots always) before returning.
            compact_after: journal lines after which the table is written as a new snapshot.
        """
        self.directory = Path(directory)
        self.sync = sync
        self.compact_after = compact_after
        self._lock = threading.RLock()
        self._table: pa.Table | None = None  # the snapshot with every applied entry
        self._pending: list[dict[str, Any]] = []  # journal entries not yet in _table
        self._journal_lines = 0
        self._generation = 0
        self._journal: Any = None  # the open journal file (opened at the first change)
        self._journal_fresh = True  # whether it must be started anew
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(
                f"cannot create the index directory {self.directory}: {err}"
            ) from err
        self._recover()

    # -- opening ---------------------------------------------------------------------------

    def _recover(self) -> None:
        """Read the snapshot's generation and replay the journal (if it is that generation)."""
        generations = sorted(
            int(m.group(1)) for p in self.directory.iterdir() if (m := _SNAPSHOT.fullmatch(p.name))
        )
        self._generation = generations[-1] if generations else 0
        for stale in generations[:-1]:  # superseded snapshots a crash left behind
            with contextlib.suppress(OSError):
                self._snapshot_path(stale).unlink()
        path = self.directory / JOURNAL
        entries: list[dict[str, Any]] = []
        generation = None
        if path.exists():
            data = path.read_bytes()
            # A line without its newline is an append a crash cut short: drop it.
            lines = data[: data.rfind(b"\n") + 1].splitlines()
            try:
                generation = json.loads(lines[0])["generation"] if lines else None
            except (ValueError, KeyError, TypeError):
                generation = None
            if generation == self._generation:
                for number, line in enumerate(lines[1:], start=2):
                    try:
                        entries.append(json.loads(line))
                    except ValueError as err:
                        raise IndexCorruptError(f"{path} line {number} is not JSON") from err
        self._pending = entries
        self._journal_lines = len(entries)
        # Opened at the first change, so that reading never writes (a full disk, say).
        self._journal_fresh = generation != self._generation

    def _open_journal(self, *, fresh: bool) -> None:
        path = self.directory / JOURNAL
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        try:
            if fresh:
                tmp = path.with_suffix(".tmp")
                with open(tmp, "wb") as f:
                    f.write(json.dumps({"generation": self._generation}).encode() + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
                self._journal_lines = 0
            else:  # drop a torn tail so that the next line starts on its own
                data = path.read_bytes()
                if not data.endswith(b"\n"):
                    with open(path, "r+b") as f:
                        f.truncate(data.rfind(b"\n") + 1)
            self._journal = open(path, "ab")  # noqa: SIM115 - held open while the index is
            self._journal_fresh = False
        except OSError as err:
            raise StorageError(f"cannot write the index journal {path}: {err}") from err

    # -- changes ---------------------------------------------------------------------------

    def _append(self, entries: list[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in entries)
        with self._lock:
            if self._journal is None:
                self._open_journal(fresh=self._journal_fresh)
            try:
                self._journal.write(data)
                self._journal.flush()
                if self.sync:
                    os.fsync(self._journal.fileno())
            except OSError as err:
                raise StorageError(f"cannot append to the index journal: {err}") from err
            self._pending.extend(entries)
            self._journal_lines += len(entries)
            if self._journal_lines >= self.compact_after:
                self.flush()

    def upsert(self, cid: str | CID, **fields: Any) -> None:
        """Create the row for ``cid`` (with defaults) or change some of its columns."""
        self.upsert_many([{"cid": str(cid), **fields}])

    def upsert_many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """:meth:`upsert` several rows; big batches go straight to a new snapshot.

        >>> import tempfile
        >>> idx = MetadataIndex(tempfile.mkdtemp())
        >>> idx.upsert_many({"cid": CID.from_data(bytes([i]), 0x55), "size_bytes": i}
        ...                 for i in range(3))
        >>> idx.table().num_rows, idx.query("SELECT max(size_bytes) m FROM objects")["m"][0]
        (3, <pyarrow.Int64Scalar: 2>)
        >>> idx.close()
        """
        entries = [_put_entry(row) for row in rows]
        if len(entries) < self.compact_after:
            self._append(entries)
            return
        with self._lock:  # too many for the journal: apply, then write a snapshot
            self._materialise()
            self._pending = entries
            self._materialise()
            self._write_snapshot()

    def touch(self, cid: str | CID, when: dt.datetime | None = None) -> None:
        """Count one read of ``cid``'s row (any row with its multihash: v0 and v1 alike)."""
        mh = CID.parse(cid).multihash.hex()
        self._append([{"op": "touch", "mh": mh, "t": _micros(when or _now())}])

    def remove(self, cids: Iterable[str | CID]) -> None:
        """Forget rows entirely."""
        self._append([{"op": "del", "cid": str(c)} for c in cids])

    def blocks_removed(self, multihashes: Iterable[bytes]) -> None:
        """Blocks left this repo: rows whose root is among them are no longer ``local``."""
        hexes = sorted({mh.hex() for mh in multihashes})
        if hexes:
            self._append([{"op": "gone", "mh": hexes}])

    def set_pins(self, pins: Mapping[str, list[str]]) -> None:
        """Replace every row's pin columns: ``pins`` maps a root multihash (hex) to its types.

        Rows whose multihash is missing from ``pins`` become unpinned. Only rows whose
        pin state changes get journal entries.
        """
        with self._lock:
            table = self._materialise()
            entries = []
            for cid, mh, types in zip(
                table.column("cid").to_pylist(),
                table.column("multihash").to_pylist(),
                table.column("pin_types").to_pylist(),
                strict=True,
            ):
                new = pins.get(mh, [])
                if (types or []) != new:
                    entries.append(_put_entry({"cid": cid, "pin_types": new, "pinned": bool(new)}))
            if entries:
                self._append(entries)

    # -- reading ---------------------------------------------------------------------------

    def table(self) -> pa.Table:
        """The whole index as an Arrow table: the held table itself, not a copy."""
        with self._lock:
            return self._materialise()

    def get(self, cid: str | CID) -> dict[str, Any] | None:
        """One row as a dict, or ``None``.

        The pending journal entries are applied to this one row only: a lookup
        between writes (every ``block put`` makes one) never rebuilds the table.
        """
        import pyarrow.compute as pc

        key = str(cid)
        with self._lock:
            table = self._load()
            hits = table.filter(pc.equal(table.column("cid"), key))
            rows = {key: hits.to_pylist()[0]} if hits.num_rows else {}
            for entry in self._pending:
                if entry["op"] in ("put", "del") and entry["cid"] != key:
                    continue
                _apply(rows, entry)
        return rows.get(key)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run read-only duckdb SQL over the index, which is the table ``objects``.

        The duckdb connection is fresh and sandboxed: no file or network access, no
        extensions, so a query can read the index and nothing else.
        """
        import duckdb

        if not sql.strip():
            raise InvalidInputError("index query failed: the query is empty")
        table = self.table()
        con = duckdb.connect(config={"enable_external_access": False, "lock_configuration": True})
        try:
            con.register("objects", table)
            return con.sql(sql, params=dict(params) if params else None).to_arrow_table()
        except duckdb.Error as err:
            raise InvalidInputError(f"index query failed: {err}") from err
        finally:
            con.close()

    def __len__(self) -> int:
        return int(self.table().num_rows)

    # -- persistence -----------------------------------------------------------------------

    def flush(self) -> None:
        """Write the table as a new snapshot now and start a new journal."""
        with self._lock:
            self._materialise()
            if self._journal_lines or not self.snapshot_path.exists():
                self._write_snapshot()

    def _write_snapshot(self) -> None:
        import pyarrow.parquet as pq

        assert self._table is not None
        generation = self._generation + 1
        path = self._snapshot_path(generation)
        tmp = path.with_suffix(".tmp")
        try:
            pq.write_table(self._table, tmp, compression="zstd")
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StorageError(f"cannot write the index snapshot {path}: {err}") from err
        old, self._generation = self._generation, generation
        self._open_journal(fresh=True)  # the old journal's entries are all in the snapshot
        with contextlib.suppress(OSError):
            self._snapshot_path(old).unlink()

    def _snapshot_path(self, generation: int) -> Path:
        return self.directory / f"objects-{generation:08d}.parquet"

    @property
    def snapshot_path(self) -> Path:
        """The current Parquet snapshot (the journal holds what came after it)."""
        return self._snapshot_path(self._generation)

    def reset(self) -> None:
        """Drop every row (before a rebuild): an empty snapshot and a new journal."""
        with self._lock:
            self._table = schema().empty_table()
            self._pending = []
            self._write_snapshot()

    def close(self) -> None:
        """Close the journal (what it holds is already durable; no snapshot is written)."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    def __enter__(self) -> MetadataIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- applying the journal --------------------------------------------------------------

    def _load(self) -> pa.Table:
        if self._table is None:
            snap = self.snapshot_path
            if snap.exists():
                import pyarrow.parquet as pq

                try:
                    table = pq.read_table(snap, memory_map=True)
                except Exception as err:
                    raise IndexCorruptError(f"index snapshot {snap} is unreadable: {err}") from err
                if table.schema.remove_metadata() != schema().remove_metadata():
                    raise IndexCorruptError(f"index snapshot {snap} has another schema")
                self._table = table
            else:
                self._table = schema().empty_table()
        return self._table

    def _materialise(self) -> pa.Table:
        """Apply the pending entries to the table (rows they touch are rebuilt in Python)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        table = self._load()
        if not self._pending:
            return table
        cids = {e["cid"] for e in self._pending if "cid" in e}
        hashes = {mh for e in self._pending if e["op"] == "gone" for mh in e["mh"]}
        hashes |= {e["mh"] for e in self._pending if e["op"] == "touch"}
        mask = pc.is_in(table.column("cid"), pa.array(sorted(cids), pa.string()))
        if hashes:
            mask = pc.or_(mask, pc.is_in(table.column("multihash"), pa.array(sorted(hashes))))
        rows = {row["cid"]: row for row in table.filter(mask).to_pylist()}
        for entry in self._pending:
            _apply(rows, entry)
        patched = pa.Table.from_pylist(list(rows.values()), schema=table.schema)
        merged = pa.concat_tables([table.filter(pc.invert(mask)), patched])
        if merged.column("cid").num_chunks > 64:  # many small writes: keep scans fast
            merged = merged.combine_chunks()
        self._table = merged
        self._pending = []
        return self._table


def _put_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """A journal entry that sets columns of one row (timestamps as microseconds)."""
    fields = dict(row)
    try:
        cid = str(CID.parse(fields.pop("cid")))
    except KeyError:
        raise InvalidInputError("an index row needs a cid") from None
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise InvalidInputError(f"unknown index columns: {', '.join(sorted(unknown))}")
    for key in _TIMES:
        if isinstance(fields.get(key), dt.datetime):
            fields[key] = _micros(fields[key])
    return {"op": "put", "cid": cid, "t": _micros(_now()), "set": fields}


def _apply(rows: dict[str, dict[str, Any]], entry: Mapping[str, Any]) -> None:
    op = entry["op"]
    if op == "put":
        fields = dict(entry["set"])
        for key in _TIMES:
            if isinstance(fields.get(key), int):
                fields[key] = _from_micros(fields[key])
        row = rows.get(entry["cid"])
        if row is None:
            rows[entry["cid"]] = default_row(entry["cid"], _from_micros(entry["t"]), fields)
        else:
            row.update(fields)
    elif op == "touch":
        for row in rows.values():
            if row["multihash"] == entry["mh"]:
                row["access_count"] += 1
                row["last_accessed"] = _from_micros(entry["t"])
    elif op == "del":
        rows.pop(entry["cid"], None)
    elif op == "gone":
        gone = set(entry["mh"])
        for row in rows.values():
            if row["multihash"] in gone:
                row["local"] = False
                row["storage_locations"] = [s for s in row["storage_locations"] if s != LOCAL]
    else:
        raise IndexCorruptError(f"unknown index journal entry {op!r}")
