"""``ipfs-kit init|pin|repo|block|dag|refs``: the repo verbs, with Kubo's names and output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import click

from ipfs_kit_py.cli._output import emit_json, handle_errors, json_option
from ipfs_kit_py.cli._progress import progress_bar, progress_option
from ipfs_kit_py.config import ROLES

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = [
    "block_group",
    "dag_group",
    "init_command",
    "open_api",
    "pin_group",
    "refs_command",
    "repo_dir_option",
    "repo_group",
]

repo_dir_option = click.option(
    "--repo-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="IPFS_KIT_PATH",
    help="The repo (default $IPFS_KIT_PATH, else ~/.ipfs-kit).",
)


@contextmanager
def open_api(repo_dir: Path | None) -> Iterator[IPFSSimpleAPI]:
    """The API over an existing repo (``ipfs-kit init`` makes one).

    While a daemon owns the repo, its RPC API instead: a :class:`RemoteAPI`, whose
    methods return what the local API's do (a stale ``api`` file, left by a daemon
    that crashed, is ignored because the repo lock is then free).
    """
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.config import default_repo_path
    from ipfs_kit_py.errors import RepoLockedError
    from ipfs_kit_py.rpc import RemoteAPI

    try:
        api = IPFSSimpleAPI(repo_dir, create=False)
    except RepoLockedError:
        remote = RemoteAPI.for_repo(repo_dir or default_repo_path())
        if remote is None:
            raise
        with remote:
            yield cast("IPFSSimpleAPI", remote)
        return
    with api:
        yield api


@click.command("init")
@click.option("--role", type=click.Choice(ROLES), default="master", show_default=True)
@click.option("--profile", default="unixfs-v1-2025", show_default=True, help="Import profile.")
@repo_dir_option
@json_option
@handle_errors
def init_command(role: str, profile: str, repo_dir: Path | None, as_json: bool) -> None:
    """Create a repo: config, version marker, empty block and pin stores."""
    from ipfs_kit_py.node import init_repo

    path = init_repo(repo_dir, role=role, profile=profile)
    if as_json:
        emit_json({"Path": str(path), "Role": role, "Profile": profile})
    else:
        click.echo(f"initialized ipfs-kit repo ({role}, {profile}) at {path}")


# -- pin -----------------------------------------------------------------------------------


@click.group("pin")
def pin_group() -> None:
    """Keep content from garbage collection."""


@pin_group.command("add")
@click.argument("cids", nargs=-1, required=True)
@click.option("-r/--direct", "--recursive", "recursive", default=True, help="Pin the whole DAG.")
@click.option("--name", help="A name for the pin.")
@repo_dir_option
@json_option
@handle_errors
def pin_add(
    cids: tuple[str, ...], recursive: bool, name: str | None, repo_dir: Path | None, as_json: bool
) -> None:
    """Pin CIDs (every block must be in the repo)."""
    with open_api(repo_dir) as api:
        pinned = [api.pin(c, recursive=recursive, name=name) for c in cids]
    if as_json:
        emit_json({"Pins": [str(p.cid) for p in pinned]})
    else:
        for p in pinned:
            click.echo(f"pinned {p.cid} {'recursively' if recursive else 'directly'}")


@pin_group.command("rm")
@click.argument("cids", nargs=-1, required=True)
@repo_dir_option
@json_option
@handle_errors
def pin_rm(cids: tuple[str, ...], repo_dir: Path | None, as_json: bool) -> None:
    """Remove pins."""
    with open_api(repo_dir) as api:
        for c in cids:
            api.unpin(c)
    if as_json:
        emit_json({"Pins": list(cids)})
    else:
        for c in cids:
            click.echo(f"unpinned {c}")


@pin_group.command("update")
@click.argument("old")
@click.argument("new")
@click.option("--unpin/--no-unpin", default=True, show_default=True, help="Remove the old pin.")
@repo_dir_option
@json_option
@handle_errors
def pin_update(old: str, new: str, unpin: bool, repo_dir: Path | None, as_json: bool) -> None:
    """Pin NEW recursively in place of OLD (keeping its name), as ``ipfs pin update``."""
    with open_api(repo_dir) as api:
        api.pin_update(old, new, unpin=unpin)
    if as_json:
        emit_json({"Pins": [old, new]})
    else:
        click.echo(f"updated {old} to {new}")


@pin_group.command("ls")
@click.option(
    "-t",
    "--type",
    "kind",
    default="all",
    type=click.Choice(["all", "recursive", "direct", "indirect"]),
    show_default=True,
)
@click.option("-q", "--quiet", is_flag=True, help="Print only CIDs.")
@repo_dir_option
@json_option
@handle_errors
def pin_ls(kind: str, quiet: bool, repo_dir: Path | None, as_json: bool) -> None:
    """List pins as ``ipfs pin ls`` does: CID and type."""
    with open_api(repo_dir) as api:
        for p in api.pins(kind):
            if as_json:
                emit_json(p)
            elif quiet:
                click.echo(str(p.cid))
            else:
                click.echo(f"{p.cid} {p.type}" + (f" {p.name}" if p.name else ""))


@pin_group.command("verify")
@repo_dir_option
@json_option
@handle_errors
def pin_verify(repo_dir: Path | None, as_json: bool) -> None:
    """Check that every pinned DAG is complete and intact."""
    with open_api(repo_dir) as api:
        results = api.pin_verify()
    bad = 0
    for result in results:
        bad += not result.ok
        if as_json:
            emit_json(result)
        elif not result.ok:
            click.echo(f"{result.cid} broken")
    if bad:
        sys.exit(5)


# -- repo ----------------------------------------------------------------------------------


@click.group("repo")
def repo_group() -> None:
    """Look after the repo."""


@repo_group.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
@progress_option
@repo_dir_option
@json_option
@handle_errors
def repo_gc(
    dry_run: bool, quiet: bool, progress: bool | None, repo_dir: Path | None, as_json: bool
) -> None:
    """Remove every block that no pin needs; print each removed CID as Kubo does."""
    with open_api(repo_dir) as api, progress_bar(progress, None, unit="blocks", label="gc") as bar:
        report = api.gc(dry_run=dry_run, progress=bar, planned=bar and bar.set_total)
    for cid in report.removed:
        if as_json:
            emit_json({"Key": {"/": str(cid)}})
        elif not quiet:
            click.echo(f"{'would remove' if dry_run else 'removed'} {cid}")


@repo_group.command("stat")
@repo_dir_option
@json_option
@handle_errors
def repo_stat(repo_dir: Path | None, as_json: bool) -> None:
    """Number of blocks and bytes stored."""
    with open_api(repo_dir) as api:
        stat = api.repo_stat()
    if as_json:
        emit_json(
            {
                "NumObjects": stat.num_objects,
                "RepoSize": stat.repo_size,
                "RepoPath": stat.path,
                "Version": f"ipfs-kit-repo@{stat.version}",
            }
        )
    else:
        click.echo(
            f"NumObjects: {stat.num_objects}\nRepoSize:   {stat.repo_size}\n"
            f"RepoPath:   {stat.path}\nVersion:    ipfs-kit-repo@{stat.version}"
        )


@repo_group.command("verify")
@progress_option
@repo_dir_option
@json_option
@handle_errors
def repo_verify(progress: bool | None, repo_dir: Path | None, as_json: bool) -> None:
    """Re-hash every block; name the corrupt ones (exit status 5 if any)."""
    with (
        open_api(repo_dir) as api,
        progress_bar(progress, None, unit="blocks", label="verify") as bar,
    ):
        report = api.repo_verify(progress=bar, planned=bar and bar.set_total)
    if as_json:
        emit_json(report)
    else:
        for cid in report.corrupt:
            click.echo(f"block {cid} is corrupt")
        for cid in report.unreadable:
            click.echo(f"block {cid} could not be read")
        click.echo(
            f"verified {report.checked} blocks: {len(report.corrupt)} corrupt"
            + (f", {len(report.unreadable)} unreadable" if report.unreadable else "")
        )
    if not report.ok:
        sys.exit(5)


# -- block ---------------------------------------------------------------------------------


@click.group("block")
def block_group() -> None:
    """Raw blocks."""


@block_group.command("put")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--cid-codec", default="raw", show_default=True)
@click.option("--mhtype", default="sha2-256", show_default=True)
@repo_dir_option
@json_option
@handle_errors
def block_put(
    file: BinaryIO, cid_codec: str, mhtype: str, repo_dir: Path | None, as_json: bool
) -> None:
    """Store the bytes of FILE (or stdin) as one block; print its CID."""
    data = file.read()
    with open_api(repo_dir) as api:
        stat = api.block_put(data, codec=cid_codec, hash=mhtype)
    if as_json:
        emit_json({"Key": str(stat.cid), "Size": stat.size})
    else:
        click.echo(str(stat.cid))


@block_group.command("get")
@click.argument("cid")
@repo_dir_option
@handle_errors
def block_get(cid: str, repo_dir: Path | None) -> None:
    """Print the verified bytes of one block."""
    with open_api(repo_dir) as api:
        sys.stdout.buffer.write(api.block_get(cid))
    sys.stdout.buffer.flush()


@block_group.command("stat")
@click.argument("cid")
@repo_dir_option
@json_option
@handle_errors
def block_stat(cid: str, repo_dir: Path | None, as_json: bool) -> None:
    """CID and size of one block."""
    with open_api(repo_dir) as api:
        stat = api.block_stat(cid)
    if as_json:
        emit_json({"Key": str(stat.cid), "Size": stat.size})
    else:
        click.echo(f"Key: {stat.cid}\nSize: {stat.size}")


@block_group.command("rm")
@click.argument("cids", nargs=-1, required=True)
@repo_dir_option
@json_option
@handle_errors
def block_rm(cids: tuple[str, ...], repo_dir: Path | None, as_json: bool) -> None:
    """Delete blocks (refused for pinned ones)."""
    with open_api(repo_dir) as api:
        for c in cids:
            api.block_rm(c)
            if as_json:
                emit_json({"Hash": c})
            else:
                click.echo(f"removed {c}")


# -- dag -----------------------------------------------------------------------------------


@click.group("dag")
def dag_group() -> None:
    """IPLD DAGs: put, get, export and import CARs."""


@dag_group.command("put")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--store-codec", default="dag-cbor", show_default=True)
@click.option("--input-codec", default="dag-json", show_default=True)
@click.option("--pin/--no-pin", default=True, show_default=True)
@repo_dir_option
@json_option
@handle_errors
def dag_put(
    file: BinaryIO,
    store_codec: str,
    input_codec: str,
    pin: bool,
    repo_dir: Path | None,
    as_json: bool,
) -> None:
    """Read one IPLD value (dag-json by default) and store it in STORE_CODEC."""
    from ipfs_kit_py.codecs import get_codec

    value = get_codec(input_codec).decode(file.read())
    with open_api(repo_dir) as api:
        cid = api.dag_put(value, codec=store_codec, pin=pin)
    if as_json:
        emit_json({"Cid": {"/": str(cid)}})
    else:
        click.echo(str(cid))


@dag_group.command("get")
@click.argument("cid")
@click.option("--output-codec", default="dag-json", show_default=True)
@repo_dir_option
@handle_errors
def dag_get(cid: str, output_codec: str, repo_dir: Path | None) -> None:
    """Print one block decoded and re-encoded (dag-json by default)."""
    from ipfs_kit_py.codecs import get_codec

    with open_api(repo_dir) as api:
        value = api.dag_get(cid)
    sys.stdout.buffer.write(get_codec(output_codec).encode(value))
    sys.stdout.buffer.flush()


@dag_group.command("export")
@click.argument("cid")
@click.option(
    "-o", "--output", type=click.File("wb"), default="-", help="CAR file (default stdout)."
)
@repo_dir_option
@handle_errors
def dag_export(cid: str, output: BinaryIO, repo_dir: Path | None) -> None:
    """Write the DAG under CID as a CARv1."""
    with open_api(repo_dir) as api:
        api.dag_export(cid, output)


@dag_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.File("rb"))
@click.option("--pin-roots/--no-pin-roots", default=True, show_default=True)
@repo_dir_option
@json_option
@handle_errors
def dag_import(
    files: tuple[BinaryIO, ...], pin_roots: bool, repo_dir: Path | None, as_json: bool
) -> None:
    """Store every block of CAR files (verified) and pin their roots."""
    with open_api(repo_dir) as api:
        for f in files:
            for root in api.dag_import(f, pin_roots=pin_roots):
                if as_json:
                    emit_json({"Root": {"Cid": {"/": str(root)}, "PinErrorMsg": ""}})
                else:
                    click.echo(f"pinned root {root} success" if pin_roots else str(root))


@click.command("refs")
@click.argument("cid")
@click.option("-r", "--recursive", is_flag=True, help="The whole DAG, not just direct links.")
@click.option("-u", "--unique", is_flag=True, help="Each CID once.")
@repo_dir_option
@json_option
@handle_errors
def refs_command(
    cid: str, recursive: bool, unique: bool, repo_dir: Path | None, as_json: bool
) -> None:
    """List the CIDs that CID links to."""
    with open_api(repo_dir) as api:
        for ref in api.refs(cid, recursive=recursive, unique=unique):
            if as_json:
                emit_json({"Ref": str(ref), "Err": ""})
            else:
                click.echo(str(ref))
