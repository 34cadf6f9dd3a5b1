"""``ipfs-kit filestore ls|verify|dups``: the no-copy references, as Kubo lists them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.cli._repo import open_api, repo_dir_option

__all__ = ["filestore_group"]


@click.group("filestore")
def filestore_group() -> None:
    """Blocks added with --nocopy: references into your own files."""


@filestore_group.command("ls")
@repo_dir_option
@json_option
@handle_errors
def filestore_ls(repo_dir: Path | None, as_json: bool) -> None:
    """List references: <cid> <size> <path> <offset>, in file order."""
    with open_api(repo_dir) as api:
        for entry in api.filestore_ls():
            if as_json:
                emit_json(entry)
            else:
                click.echo(str(entry))


@filestore_group.command("verify")
@repo_dir_option
@json_option
@handle_errors
def filestore_verify(repo_dir: Path | None, as_json: bool) -> None:
    """Read back every reference: <status> <cid> <size> <path> <offset>.

    Status is ok, changed, no-file or error; exit status 5 if any is not ok.
    """
    bad = 0
    with open_api(repo_dir) as api:
        for check in api.filestore_verify():
            bad += not check.ok
            if as_json:
                emit_json(check)
            else:
                click.echo(str(check))
    if bad:
        sys.exit(5)


@filestore_group.command("dups")
@repo_dir_option
@json_option
@handle_errors
def filestore_dups(repo_dir: Path | None, as_json: bool) -> None:
    """List referenced blocks that are also copied into the block store."""
    with open_api(repo_dir) as api:
        for cid in api.filestore_dups():
            if as_json:
                emit_json({"Ref": str(cid), "Err": ""})
            else:
                click.echo(str(cid))
