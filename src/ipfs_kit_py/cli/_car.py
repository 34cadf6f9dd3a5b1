"""``ipfs-kit car ...``: inspect, verify and index CAR files (go-car's verbs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipfs_kit_py.car import CarReader, index_car, verify_car
from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.errors import EXIT_STATUS, CARError, IntegrityError

_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@click.group("car")
def car_group() -> None:
    """Read, verify and index CAR files."""


@car_group.command("roots")
@json_option
@_file
@handle_errors
def roots_command(as_json: bool, file: Path) -> None:
    """Print the root CIDs of a CAR."""
    with CarReader.open(file) as reader:
        if as_json:
            emit_json({"Roots": list(reader.roots), "Version": reader.version})
        else:
            for root in reader.roots:
                click.echo(str(root))


@car_group.command("ls")
@json_option
@_file
@handle_errors
def ls_command(as_json: bool, file: Path) -> None:
    """Print the CID of every block in a CAR, one per line, in file order."""
    with CarReader.open(file) as reader:
        for section in reader.sections():
            block = section.block
            if as_json:
                emit_json({"Cid": block.cid, "Size": len(block.data), "Offset": section.offset})
            else:
                click.echo(str(block.cid))


@car_group.command("verify")
@json_option
@_file
@handle_errors
def verify_command(as_json: bool, file: Path) -> None:
    """Check that every block hashes to its CID and every root is present.

    Exits 0 only if the CAR is whole and intact; otherwise prints the first
    offending CID and exits non-zero.
    """
    report = verify_car(file)
    if as_json:
        emit_json(report)
    elif report.ok:
        click.echo(f"ok: {report.blocks} blocks, {report.bytes} bytes, {len(report.roots)} roots")
    elif report.bad_cid is not None:
        click.echo(f"corrupt block: {report.bad_cid}", err=True)
    elif report.missing_roots:
        click.echo(f"missing root: {report.missing_roots[0]}", err=True)
    else:
        click.echo(f"Error: {report.error}", err=True)
    if not report.ok:
        code = IntegrityError.code if report.bad_cid or report.missing_roots else CARError.code
        sys.exit(EXIT_STATUS[code])


@car_group.command("index")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@json_option
@_file
@handle_errors
def index_command(output: Path, as_json: bool, file: Path) -> None:
    """Write FILE as a CARv2 with a MultihashIndexSorted index (blocks verified)."""
    count = index_car(file, output)
    if as_json:
        emit_json({"Output": str(output), "Blocks": count})
    else:
        click.echo(f"wrote {count} blocks to {output}")
