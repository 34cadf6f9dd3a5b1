"""``ipfs-kit add``: Kubo's ``ipfs add``, printing what Kubo prints."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import click

from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.cli._progress import Bar, progress_bar, progress_option
from ipfs_kit_py.cli._repo import open_api, repo_dir_option
from ipfs_kit_py.unixfs import PROFILES, AddedEntry, Importer, ImportOptions, resolve_options


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
@click.option("--preserve-mode", is_flag=True, help="Record file permissions in UnixFS.")
@click.option("--preserve-mtime", is_flag=True, help="Record modification times in UnixFS.")
@progress_option
@click.option("--pin/--no-pin", default=True, show_default=True, help="Pin what is added.")
@click.option("--tag", "tags", multiple=True, help="Label the added roots in the index.")
@click.option(
    "--nocopy",
    is_flag=True,
    help="Leave file bytes in place: store references (implies --raw-leaves).",
)
@repo_dir_option
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
    preserve_mode: bool,
    preserve_mtime: bool,
    progress: bool | None,
    pin: bool,
    tags: tuple[str, ...],
    nocopy: bool,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Import files and directories as UnixFS, store and pin them, and print their CIDs.

    With --only-hash nothing is stored and no repo is needed. With --nocopy the
    files' bytes are not copied into the repo (see ``ipfs-kit filestore``).
    """
    if nocopy:  # Kubo: --nocopy implies --raw-leaves and refuses --no-raw-leaves
        if raw_leaves is False:
            raise click.UsageError("--nocopy requires raw leaves; drop --no-raw-leaves")
        raw_leaves = True

    def options(default_profile: str | None) -> ImportOptions:
        return resolve_options(
            profile or (None if cid_version is not None else default_profile),
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
            preserve_mode=preserve_mode,
            preserve_mtime=preserve_mtime,
        )

    if progress is None:
        progress = sys.stderr.isatty()
    with ExitStack() as stack:
        if only_hash:
            opts = options(None)
            advance = stack.enter_context(_progress_bar(paths, progress))
            entries = Importer(opts, progress=advance).add_paths(paths, recursive=recursive)
        else:
            api = stack.enter_context(open_api(repo_dir))
            opts = options(api.profile)
            advance = stack.enter_context(_progress_bar(paths, progress))
            entries = iter(
                api.add_paths(
                    paths,
                    recursive=recursive,
                    pin=pin,
                    options=opts,
                    progress=advance,
                    nocopy=nocopy,
                    tags=tags,
                )
            )
        _print(entries, quiet=quiet, quieter=quieter, as_json=as_json)


def _print(entries: Iterator[AddedEntry], *, quiet: bool, quieter: bool, as_json: bool) -> None:
    last = None
    for entry in entries:
        last = entry
        if quieter:
            continue
        if as_json:
            emit_json({"Name": entry.path, "Hash": entry.cid, "Size": str(entry.dag_size)})
        elif quiet:
            click.echo(str(entry.cid))
        else:
            click.echo(f"added {entry.cid} {entry.path}".rstrip())
    if quieter and last is not None:
        if as_json:
            emit_json({"Name": last.path, "Hash": last.cid, "Size": str(last.dag_size)})
        else:
            click.echo(str(last.cid))


def _total_bytes(paths: Sequence[Path]) -> int:
    """Bytes of the regular files under ``paths`` (symlinks not followed), for the bar."""
    files: list[str] = []
    for path in map(str, paths):
        if not os.path.isdir(path) or os.path.islink(path):
            files.append(path)
            continue
        for parent, _, names in os.walk(path):
            files += (os.path.join(parent, name) for name in names)
    sizes = (os.lstat(f) for f in files)
    return sum(st.st_size for st in sizes if stat.S_ISREG(st.st_mode))


def _progress_bar(paths: Sequence[Path], show: bool) -> AbstractContextManager[Bar | None]:
    """The add bar: bytes read out of the total size of ``paths``."""
    return progress_bar(show, _total_bytes(paths) if show else None, label="add")
