"""``ipfs-kit cid ...``: inspect and convert CIDs, as ``ipfs cid`` does."""

from __future__ import annotations

import sys

import click

from ipfs_kit_py.cid import CID, multibase, multicodec
from ipfs_kit_py.cid.format import format_cid
from ipfs_kit_py.cli._output import emit_json, fail, json_option
from ipfs_kit_py.errors import InvalidInputError, IPFSKitError


@click.group("cid")
def cid_group() -> None:
    """Convert and inspect CIDs."""


def _convert(text: str, fmt: str, version: str | None, base: str | None) -> str:
    cid = CID.parse(text.strip())
    if version is None and base is not None and base != "base58btc":
        version = "1"  # as Kubo: a non-base58 base implies CIDv1
    if version == "0":
        if base not in (None, "base58btc"):
            raise InvalidInputError("CIDv0 can only be written in base58btc")
        cid = cid.to_v0()
    elif version == "1":
        cid = cid.to_v1()
    if base is None:
        base = "base58btc" if cid.version == 0 else _input_base(text)
    return format_cid(cid, fmt, base)


def _input_base(text: str) -> str:
    if len(text) == 46 and text.startswith("Qm"):
        return "base32"
    return multibase.base_name(text[0])


def _run(
    cids: tuple[str, ...], fmt: str, version: str | None, base: str | None, as_json: bool
) -> None:
    status = 0
    for text in cids:
        try:
            out = _convert(text, fmt, version, base)
        except IPFSKitError as err:
            if as_json:
                emit_json({"CidStr": text, "Formatted": "", "ErrorMsg": err.message})
            status = status or fail(err, False)
            continue
        if as_json:
            emit_json({"CidStr": text, "Formatted": out, "ErrorMsg": ""})
        else:
            click.echo(out)
    sys.exit(status)


@cid_group.command("format")
@click.option("-f", "fmt", default="%s", show_default=True, help="Printf-style format (see below).")
@click.option("-v", "version", type=click.Choice(["0", "1"]), help="CID version to convert to.")
@click.option("-b", "base", type=click.Choice(list(multibase.BASES)), help="Multibase to print in.")
@json_option
@click.argument("cids", nargs=-1, required=True)
def format_command(
    fmt: str, version: str | None, base: str | None, as_json: bool, cids: tuple[str, ...]
) -> None:
    """Format and convert CIDs.

    \b
    %s  the CID            %S  the CID without multibase prefix
    %b  base name          %B  base prefix
    %v  version (cidv1)    %V  version number
    %c  codec name         %C  codec code
    %h  hash name          %H  hash code       %L  digest length
    %m  multihash          %M  multihash without prefix
    %d  digest             %D  digest without prefix
    %P  prefix, e.g. cidv1-raw-sha2-256-32     %%  a literal %
    """
    _run(cids, fmt, version, base, as_json)


@cid_group.command("base32")
@json_option
@click.argument("cids", nargs=-1, required=True)
def base32_command(as_json: bool, cids: tuple[str, ...]) -> None:
    """Convert CIDs to CIDv1 in base32."""
    _run(cids, "%s", "1", "base32", as_json)


@cid_group.command("bases")
@json_option
def bases_command(as_json: bool) -> None:
    """List the multibases we can read and write."""
    for name in multibase.BASES:
        prefix = multibase.prefix_of(name)
        if as_json:
            emit_json({"Prefix": prefix, "Name": name})
        else:
            click.echo(f"{prefix}  {name}")


@cid_group.command("codecs")
@json_option
def codecs_command(as_json: bool) -> None:
    """List the IPLD codecs we implement."""
    from ipfs_kit_py.codecs import CODECS

    for code, codec in CODECS.items():
        if as_json:
            emit_json({"Code": code, "Name": codec.name})
        else:
            click.echo(f"{code:>5}  {codec.name}")


@cid_group.command("hashes")
@json_option
def hashes_command(as_json: bool) -> None:
    """List the hash functions we can compute."""
    from ipfs_kit_py.cid import multihash

    for code in sorted(c for c in range(0x10000) if multihash.is_supported(c)):
        name = multicodec.name_of(code)
        if as_json:
            emit_json({"Code": code, "Name": name})
        else:
            click.echo(f"{code:>5}  {name}")
