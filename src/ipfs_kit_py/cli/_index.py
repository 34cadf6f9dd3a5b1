"""``ipfs-kit index query|tag|export|rebuild``: the metadata index from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option, write_table
from ipfs_kit_py.cli._repo import open_api, repo_dir_option

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["index_group"]


@click.group("index")
def index_group() -> None:
    """The metadata index: one row per stored object, queried with SQL."""


@index_group.command("query")
@click.argument("sql")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result as Parquet (or CSV, by suffix) instead of printing it.",
)
@repo_dir_option
@json_option
@handle_errors
def index_query(sql: str, output: Path | None, repo_dir: Path | None, as_json: bool) -> None:
    """Run duckdb SQL over the table ``objects``, e.g.

    ipfs-kit index query "SELECT name, size_bytes FROM objects ORDER BY size_bytes DESC LIMIT 5"
    """
    with open_api(repo_dir) as api:
        result = api.index_query(sql)
    if output is not None:
        write_table(result, output)
    elif as_json:
        for row in result.to_pylist():
            emit_json({k: _plain(v) for k, v in row.items()})
    else:
        click.echo(_render(result), nl=False)


@index_group.command("tag")
@click.argument("cid")
@click.argument("tags", nargs=-1, required=True)
@click.option("--replace", is_flag=True, help="Set the tags instead of adding to them.")
@repo_dir_option
@json_option
@handle_errors
def index_tag(
    cid: str, tags: tuple[str, ...], replace: bool, repo_dir: Path | None, as_json: bool
) -> None:
    """Label a stored object."""
    with open_api(repo_dir) as api:
        now = api.tag(cid, *tags, replace=replace)
    if as_json:
        emit_json({"Cid": cid, "Tags": now})
    else:
        click.echo(f"{cid} {' '.join(now)}")


@index_group.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@repo_dir_option
@handle_errors
def index_export(output: Path, repo_dir: Path | None) -> None:
    """Write the whole index to OUTPUT (Parquet, or CSV by suffix)."""
    with open_api(repo_dir) as api:
        write_table(api.index(), output)


@index_group.command("rebuild")
@repo_dir_option
@json_option
@handle_errors
def index_rebuild(repo_dir: Path | None, as_json: bool) -> None:
    """Recreate the index from the pins (after damage; read counts and tags are lost)."""
    with open_api(repo_dir) as api:
        rows = api.index_rebuild()
    if as_json:
        emit_json({"Rows": rows})
    else:
        click.echo(f"rebuilt the index: {rows} rows")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _render(table: pa.Table) -> str:
    """An aligned text table, header first (empty results print the header alone)."""
    names = table.column_names
    rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = [names, *rows]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)
