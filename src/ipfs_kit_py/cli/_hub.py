"""``ipfs-kit model add|ls|show|snapshot|tensor|alias|rm`` and ``ipfs-kit dataset add|ls|load``.

Thin wrappers over :class:`~ipfs_kit_py.hub.ModelRegistry` and
:class:`~ipfs_kit_py.hub.DatasetRegistry`. The registries need the repo itself (they
keep their catalogue beside it), so while a daemon owns the repo these commands stop
with the repo-locked error rather than go through RPC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ipfs_kit_py.cli._output import (
    emit_json,
    handle_errors,
    json_option,
    to_jsonable,
    write_table,
)
from ipfs_kit_py.cli._repo import repo_dir_option

if TYPE_CHECKING:
    from ipfs_kit_py.hub import DatasetRegistry, ModelRegistry

__all__ = ["dataset_group", "model_group"]


@contextmanager
def _models(repo_dir: Path | None) -> Iterator[ModelRegistry]:
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.hub import ModelRegistry

    with IPFSSimpleAPI(repo_dir, create=False) as api, ModelRegistry(api) as models:
        yield models


@contextmanager
def _datasets(repo_dir: Path | None) -> Iterator[DatasetRegistry]:
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.hub import DatasetRegistry

    with IPFSSimpleAPI(repo_dir, create=False) as api, DatasetRegistry(api) as datasets:
        yield datasets


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def _summary(record: Any) -> dict[str, Any]:
    """The fields ``ls`` prints: identity, size and what it points at."""
    return {
        "Ref": record.ref,
        "Record": str(record.cid),
        "Root": str(record.root),
        "Aliases": list(record.aliases),
        "Size": sum(f.size for f in record.files),
        "Created": record.created,
    }


# -- models ---------------------------------------------------------------------------------


@click.group("model")
def model_group() -> None:
    """The model registry: versions by CID, verified snapshots, single tensors."""


@model_group.command("add")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", required=True, help="Model name, e.g. org/model.")
@click.option("--version", "version", help="Version (default: the next integer).")
@click.option("--alias", "aliases", multiple=True, help="Movable alias, e.g. prod (repeatable).")
@click.option("--base-model", help="The model version this one derives from (a reference).")
@click.option("--tag", "tags", multiple=True, help="Tag in the metadata index (repeatable).")
@repo_dir_option
@json_option
@handle_errors
def model_add(
    path: Path,
    name: str,
    version: str | None,
    aliases: tuple[str, ...],
    base_model: str | None,
    tags: tuple[str, ...],
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Register the model directory PATH (or a Hugging Face cache snapshot)."""
    with _models(repo_dir) as models:
        record = models.add(
            path, name=name, version=version, aliases=aliases, base_model=base_model, tags=tags
        )
    if as_json:
        emit_json(_summary(record))
    else:
        click.echo(f"added {record.ref} record {record.cid} root {record.root}")


@model_group.command("ls")
@click.argument("name", required=False)
@repo_dir_option
@json_option
@handle_errors
def model_ls(name: str | None, repo_dir: Path | None, as_json: bool) -> None:
    """List registered versions (of NAME), oldest first."""
    with _models(repo_dir) as models:
        records = models.list(name)
    for record in records:
        if as_json:
            emit_json(_summary(record))
        else:
            aliases = f" ({', '.join(record.aliases)})" if record.aliases else ""
            click.echo(f"{record.ref}{aliases}\t{record.cid}\t{_size(record.size)}")


@model_group.command("show")
@click.argument("ref")
@click.option("--tensors", "with_tensors", is_flag=True, help="List each safetensors tensor.")
@repo_dir_option
@json_option
@handle_errors
def model_show(ref: str, with_tensors: bool, repo_dir: Path | None, as_json: bool) -> None:
    """Show REF's record: files with size, sha256 and CID; lineage; tensors."""
    with _models(repo_dir) as models:
        record = models.get(ref)
        lineage = [r.ref for r in models.lineage(record.cid)[1:]]
        tensors = {
            f.path: models.tensors(record, f.path)
            for f in record.files
            if f.tensors and with_tensors
        }
    if as_json:
        body = to_jsonable(record)
        body["lineage"] = lineage
        if with_tensors:
            body["tensor_index"] = {
                path: [to_jsonable(t) for t in index.tensors] for path, index in tensors.items()
            }
        emit_json(body)
        return
    click.echo(f"{record.ref}  record {record.cid}")
    click.echo(f"root       {record.root}")
    if record.aliases:
        click.echo(f"aliases    {', '.join(record.aliases)}")
    if record.model_type or record.architectures:
        click.echo(f"model      {record.model_type or '?'} {' '.join(record.architectures)}")
    if lineage:
        click.echo(f"lineage    {' <- '.join(lineage)}")
    click.echo(f"created    {record.created}")
    for f in record.files:
        click.echo(f"  {f.cid}  {f.sha256[:16]}  {_size(f.size):>9}  {f.format:<11} {f.path}")
        index = tensors.get(f.path)
        for t in index.tensors if index is not None else ():
            shape = "x".join(map(str, t.shape)) or "scalar"
            click.echo(f"      {t.dtype:<5} {shape:<14} [{t.begin}, {t.end})  {t.name}")


@model_group.command("snapshot")
@click.argument("ref")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--allow-pickle", is_flag=True, help="Also write pickle weights (.bin, .pt, ...).")
@click.option("--include", "allow", multiple=True, help="Only files matching (fnmatch).")
@click.option("--exclude", "ignore", multiple=True, help="Skip files matching (fnmatch).")
@click.option(
    "--layout",
    type=click.Choice(["plain", "hf-cache"]),
    default="plain",
    show_default=True,
    help="A model directory, or a Hugging Face cache (DIRECTORY is the cache_dir).",
)
@repo_dir_option
@json_option
@handle_errors
def model_snapshot(
    ref: str,
    directory: Path,
    allow_pickle: bool,
    allow: tuple[str, ...],
    ignore: tuple[str, ...],
    layout: str,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Write REF's files, each verified by CID and sha256, to DIRECTORY."""
    with _models(repo_dir) as models:
        record = models.get(ref)
        out = models.snapshot(
            record,
            directory,
            allow_pickle=allow_pickle,
            allow_patterns=list(allow) or None,
            ignore_patterns=list(ignore) or None,
            layout=layout,
        )
    if as_json:
        emit_json({"Ref": record.ref, "Record": str(record.cid), "Path": str(out)})
    else:
        click.echo(f"{record.ref} -> {out}")


@model_group.command("tensor")
@click.argument("ref")
@click.argument("file")
@click.argument("tensor")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the tensor as .npy.",
)
@repo_dir_option
@json_option
@handle_errors
def model_tensor(
    ref: str,
    file: str,
    tensor: str,
    output: Path | None,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Read one TENSOR of the safetensors FILE of REF, fetching only its bytes."""
    with _models(repo_dir) as models:
        record = models.get(ref)
        read = models.read_tensor(record, file, tensor)
        size = record.file(file).size
        array = _array(read) if output is not None else None
    info = read.tensor
    body = {
        "Name": info.name,
        "Dtype": info.dtype,
        "Shape": list(info.shape),
        "Begin": info.begin,
        "End": info.end,
        "BytesFetched": read.bytes_fetched,
        "BlocksFetched": read.blocks_fetched,
        "FileSize": size,
    }
    if array is not None and output is not None:
        import numpy as np

        np.save(output, array)
        body["Output"] = str(output)
    if as_json:
        emit_json(body)
    else:
        shape = "x".join(map(str, info.shape)) or "scalar"
        click.echo(
            f"{info.name} {info.dtype} {shape}: fetched {read.bytes_fetched} bytes in "
            f"{read.blocks_fetched} blocks of a {size}-byte file"
            + (f"; saved to {output}" if output else "")
        )


def _array(read: Any) -> Any:
    from ipfs_kit_py.hub._safetensors import to_numpy

    return to_numpy(read.tensor, read.data)


@model_group.command("alias")
@click.argument("ref")
@click.argument("alias")
@repo_dir_option
@json_option
@handle_errors
def model_alias(ref: str, alias: str, repo_dir: Path | None, as_json: bool) -> None:
    """Point NAME@ALIAS at the version REF names."""
    with _models(repo_dir) as models:
        record = models.alias(ref, alias)
    if as_json:
        emit_json(_summary(record))
    else:
        click.echo(f"{record.name}@{alias} -> {record.ref}")


@model_group.command("rm")
@click.argument("ref")
@repo_dir_option
@json_option
@handle_errors
def model_rm(ref: str, repo_dir: Path | None, as_json: bool) -> None:
    """Unlist the version REF names (``repo gc`` then reclaims what nothing else holds)."""
    with _models(repo_dir) as models:
        record = models.remove(ref)
    if as_json:
        emit_json(_summary(record))
    else:
        click.echo(f"removed {record.ref} ({record.cid})")


# -- datasets -------------------------------------------------------------------------------


@click.group("dataset")
def dataset_group() -> None:
    """The dataset registry: tables as sharded Parquet by CID, loaded back verified."""


@dataset_group.command("add")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--name", required=True, help="Dataset name, e.g. org/dataset.")
@click.option("--version", "version", help="Version (default: the next integer).")
@click.option("--alias", "aliases", multiple=True, help="Movable alias (repeatable).")
@click.option("--split", help="The split these files are (default: train, or by file name).")
@click.option("--description", help="One line for the record and the dataset card.")
@click.option("--license", "license_", help="License identifier, e.g. cc-by-4.0.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@click.option("--rows-per-shard", type=click.IntRange(min=1), help="Cut shards at N rows.")
@repo_dir_option
@json_option
@handle_errors
def dataset_add(
    sources: tuple[Path, ...],
    name: str,
    version: str | None,
    aliases: tuple[str, ...],
    split: str | None,
    description: str | None,
    license_: str | None,
    tags: tuple[str, ...],
    rows_per_shard: int | None,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Register Parquet, Arrow, CSV or JSON-lines SOURCES (files or directories)."""
    source: Any = sources[0] if len(sources) == 1 else list(sources)
    with _datasets(repo_dir) as datasets:
        record = datasets.add(
            source,
            name=name,
            version=version,
            aliases=aliases,
            split=split,
            description=description,
            license=license_,
            tags=tags,
            rows_per_shard=rows_per_shard,
        )
    if as_json:
        emit_json({**_summary(record), "Rows": record.num_rows})
    else:
        rows = ", ".join(f"{s}={n}" for s, n in record.num_rows.items())
        click.echo(f"added {record.ref} record {record.cid} root {record.root} rows {rows}")


@dataset_group.command("ls")
@click.argument("name", required=False)
@repo_dir_option
@json_option
@handle_errors
def dataset_ls(name: str | None, repo_dir: Path | None, as_json: bool) -> None:
    """List registered versions (of NAME), oldest first."""
    with _datasets(repo_dir) as datasets:
        records = datasets.list(name)
    for record in records:
        if as_json:
            emit_json({**_summary(record), "Rows": record.num_rows})
        else:
            aliases = f" ({', '.join(record.aliases)})" if record.aliases else ""
            rows = ", ".join(f"{s}={n}" for s, n in record.num_rows.items())
            click.echo(f"{record.ref}{aliases}\t{record.cid}\t{rows}")


@dataset_group.command("show")
@click.argument("ref")
@repo_dir_option
@json_option
@handle_errors
def dataset_show(ref: str, repo_dir: Path | None, as_json: bool) -> None:
    """Show REF's record: splits, shards, schema."""
    with _datasets(repo_dir) as datasets:
        record = datasets.get(ref)
    if as_json:
        emit_json(
            {
                **_summary(record),
                "Rows": record.num_rows,
                "Splits": {
                    split: [to_jsonable(s) for s in shards]
                    for split, shards in record.splits.items()
                },
                "Schema": str(record.schema),
            }
        )
        return
    click.echo(f"{record.ref}  record {record.cid}")
    click.echo(f"root       {record.root}")
    for split, shards in record.splits.items():
        click.echo(f"split {split}: {sum(s.rows for s in shards)} rows")
        for s in shards:
            click.echo(f"  {s.cid}  {s.rows:>9} rows  {_size(s.size):>9}  {s.path}")
    click.echo("schema:")
    for field in record.schema:
        click.echo(f"  {field.name}: {field.type}")


@dataset_group.command("load")
@click.argument("ref")
@click.option("--split", help="The split to read (default: the only one).")
@click.option("--column", "columns", multiple=True, help="Read only these columns.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rows to a Parquet, CSV or JSON-lines file (by suffix).",
)
@click.option("--head", type=click.IntRange(min=0), default=10, show_default=True)
@repo_dir_option
@json_option
@handle_errors
def dataset_load(
    ref: str,
    split: str | None,
    columns: tuple[str, ...],
    output: Path | None,
    head: int,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Read REF's rows, verified; print the first --head rows or write them all to -o."""
    with _datasets(repo_dir) as datasets:
        record = datasets.get(ref)
        if split is None:
            split = next(iter(record.splits))
        table = datasets.load(record, split=split, columns=list(columns) or None)
    if output is not None:
        write_table(table, output)
        click.echo(f"{table.num_rows} rows of {record.ref} [{split}] -> {output}")
    elif as_json:
        for row in table.slice(0, head).to_pylist():
            emit_json(row)
    else:
        click.echo(table.slice(0, head).to_pandas().to_string())
