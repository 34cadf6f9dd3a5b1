"""``ipfs-kit cat|ls|get``: read UnixFS content, as Kubo's verbs do.

Blocks come from the repo, or from a CAR file given with ``--car``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ipfs_kit_py.car import IndexedCar
from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.cli._progress import Bar, progress_bar, progress_option
from ipfs_kit_py.cli._repo import open_api, repo_dir_option
from ipfs_kit_py.unixfs import Exporter

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

_car_option = click.option(
    "--car",
    "car",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read blocks from this CAR file (v1 or v2) instead of the repo.",
)


class _CarReader:
    """The reading half of the API over a CAR file (which verifies every block it returns)."""

    def __init__(self, car: IndexedCar) -> None:
        self.exporter = Exporter(car.get, verify=False)
        self.stat, self.ls = self.exporter.stat, self.exporter.ls

    def stream(self, path: str, *, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        return self.exporter.cat(path, offset, length)

    def get(self, path: str, target: Path, *, progress: Bar | None = None) -> Path:
        return self.exporter.export(path, target, progress=progress)


@contextmanager
def _reader(car: Path | None, repo_dir: Path | None) -> Iterator[IPFSSimpleAPI | _CarReader]:
    """The repo's API (reads are counted in its index), or a CAR file's blocks."""
    if car is None:
        with open_api(repo_dir) as api:
            yield api
        return
    with IndexedCar(car) as source:
        yield _CarReader(source)


@click.command("cat")
@click.argument("path")
@click.option("-o", "--offset", type=click.IntRange(min=0), default=0, help="Byte to start at.")
@click.option("-l", "--length", type=click.IntRange(min=0), help="Most bytes to print.")
@_car_option
@repo_dir_option
@handle_errors
def cat_command(
    path: str, offset: int, length: int | None, car: Path | None, repo_dir: Path | None
) -> None:
    """Print the bytes of the file at PATH (CID[/sub/path])."""
    out = sys.stdout.buffer
    with _reader(car, repo_dir) as reader:
        for chunk in reader.stream(path, offset=offset, length=length):
            out.write(chunk)
    out.flush()


@click.command("ls")
@click.argument("path")
@_car_option
@repo_dir_option
@json_option
@handle_errors
def ls_command(path: str, car: Path | None, repo_dir: Path | None, as_json: bool) -> None:
    """List the directory at PATH: CID, size and name, as ``ipfs ls`` prints them."""
    with _reader(car, repo_dir) as reader:
        for entry in reader.ls(path):
            info = reader.stat(entry.cid)
            is_dir = info.kind == "directory"
            if as_json:
                kind = {"directory": 1, "file": 2, "raw": 2, "symlink": 4}[info.kind]
                emit_json({"Name": entry.name, "Hash": entry.cid, "Size": info.size, "Type": kind})
            else:
                size = "-" if is_dir else str(info.size)
                click.echo(f"{entry.cid} {size} {entry.name}{'/' if is_dir else ''}")


@click.command("get")
@click.argument("path")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Where to write (must not exist)."
)
@_car_option
@progress_option
@repo_dir_option
@json_option
@handle_errors
def get_command(
    path: str,
    output: Path | None,
    car: Path | None,
    progress: bool | None,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Write the file or directory at PATH to disk, verifying every block."""
    with _reader(car, repo_dir) as reader:
        target = output or Path(path.rstrip("/").rsplit("/", 1)[-1])
        with progress_bar(progress, None, label="get") as bar:
            if bar is not None:
                info = reader.stat(path)
                if info.kind != "directory":
                    bar.set_total(info.size)
            reader.get(path, target, progress=bar)
    if as_json:
        emit_json({"Path": str(path), "Output": str(target)})
    else:
        click.echo(f"Saving file(s) to {target}")
