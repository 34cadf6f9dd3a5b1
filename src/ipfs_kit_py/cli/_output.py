"""Printing results as text or JSON, and turning errors into exit codes."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import EXIT_STATUS, IPFSKitError

P = ParamSpec("P")
R = TypeVar("R")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON, one object per line."
)


def to_jsonable(value: Any) -> Any:
    """Dataclasses become dicts, CIDs strings, bytes hex; recursively."""
    if isinstance(value, CID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def emit_json(value: Any) -> None:
    """Print one JSON object on its own line."""
    click.echo(json.dumps(to_jsonable(value), ensure_ascii=False))


def fail(err: IPFSKitError, as_json: bool) -> int:
    """Report ``err`` on stderr (Kubo's error shape with ``--json``); return its exit status."""
    if as_json:
        body = {"Message": err.message, "Code": err.code, "Type": "error"}
        click.echo(json.dumps(body), err=True)
    else:
        click.echo(f"Error: {err.message}", err=True)
    return EXIT_STATUS.get(err.code, 1)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Exit with the status of an :class:`IPFSKitError` instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except IPFSKitError as err:
            sys.exit(fail(err, bool(kwargs.get("as_json"))))

    return wrapper


def write_table(table: Any, output: Path) -> None:
    """Write an Arrow table to ``output``: CSV, JSON lines (``.jsonl``, ``.ndjson``,
    ``.json``) or, for any other suffix, Parquet. CSV has no lists: they are joined
    with ``;``."""
    suffix = output.suffix.lower()
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(_flat(table), output)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        with open(output, "w", encoding="utf-8") as fp:
            for row in table.to_pylist():
                fp.write(json.dumps(to_jsonable(row), ensure_ascii=False, default=str) + "\n")
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, output)


def _flat(table: Any) -> Any:
    import pyarrow as pa

    columns = []
    for column in table.columns:
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            column = pa.array([";".join(map(str, v)) if v else "" for v in column.to_pylist()])
        columns.append(column)
    return pa.table(columns, names=table.column_names)
