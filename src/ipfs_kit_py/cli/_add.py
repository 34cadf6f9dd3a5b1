"""``ipfs-kit add``: Kubo's ``ipfs add``, printing what Kubo prints."""

from __future__ import annotations

from pathlib import Path

import click

from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs import PROFILES, Importer, resolve_options


@click.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-r", "--recursive", is_flag=True, help="Add directory paths recursively.")
@click.option("-q", "--quiet", is_flag=True, help="Print only CIDs.")
@click.option("-Q", "--quieter", is_flag=True, help="Print only the final root CID.")
@click.option("-n", "--only-hash", is_flag=True, help="Only compute CIDs; store nothing.")
@click.option("--profile", type=click.Choice(list(PROFILES)), help="Import profile (IPIP-499).")
@click.option("--cid-version", type=click.IntRange(0, 1), help="CID version (Kubo semantics).")
@click.option("--raw-leaves/--no-raw-leaves", default=None, help="Use raw blocks for leaves.")
@click.option("-s", "--chunker", help="Chunking algorithm, e.g. size-262144.")
@click.option("--max-links", type=int, help="Most children per file node.")
@click.option("-t", "--trickle", is_flag=True, default=None, help="Trickle layout.")
@click.option("--hash", "hash_name", help="Hash function, e.g. sha2-256, blake3.")
@click.option("--inline", is_flag=True, help="Inline small blocks into identity CIDs.")
@click.option("--inline-limit", type=int, default=32, show_default=True)
@click.option("-H/--no-hidden", "--hidden", "hidden", default=True, help="Include dotfiles.")
@click.option("-w", "--wrap-with-directory", is_flag=True, help="Wrap everything in a directory.")
@json_option
@handle_errors
def add_command(
    paths: tuple[Path, ...],
    recursive: bool,
    quiet: bool,
    quieter: bool,
    only_hash: bool,
    profile: str | None,
    cid_version: int | None,
    raw_leaves: bool | None,
    chunker: str | None,
    max_links: int | None,
    trickle: bool | None,
    hash_name: str | None,
    inline: bool,
    inline_limit: int,
    hidden: bool,
    wrap_with_directory: bool,
    as_json: bool,
) -> None:
    """Import files and directories as UnixFS and print their CIDs.

    Until the embedded repo lands, only --only-hash is available.
    """
    if not only_hash:
        raise InvalidInputError("storing needs a repo, which is not there yet: use --only-hash")
    options = resolve_options(
        profile,
        cid_version=cid_version,
        raw_leaves=raw_leaves,
        chunker=chunker,
        max_links=max_links,
        trickle=trickle,
        hash=hash_name,
        inline=inline,
        inline_limit=inline_limit,
        hidden=hidden,
        wrap_with_directory=wrap_with_directory,
    )
    last = None
    with Importer(options) as importer:
        for entry in importer.add_paths(paths, recursive=recursive):
            last = entry
            if quieter:
                continue
            if as_json:
                emit_json({"Name": entry.path, "Hash": entry.cid, "Size": str(entry.size)})
            elif quiet:
                click.echo(str(entry.cid))
            else:
                click.echo(f"added {entry.cid} {entry.path}".rstrip())
    if quieter and last is not None:
        if as_json:
            emit_json({"Name": last.path, "Hash": last.cid, "Size": str(last.size)})
        else:
            click.echo(str(last.cid))
