"""The ``ipfs-kit`` command line, with Kubo's verb names.

Design note
-----------
Command bodies are a few lines that call the library; no logic lives here.
Every command takes ``--json``; errors print to stderr (Kubo's
``{"Message", "Code", "Type"}`` shape with ``--json``) and exit with the
status that :data:`ipfs_kit_py.errors.EXIT_STATUS` gives their class.
"""

from __future__ import annotations

import click

from ipfs_kit_py import __version__
from ipfs_kit_py.cli._add import add_command
from ipfs_kit_py.cli._car import car_group
from ipfs_kit_py.cli._cid import cid_group
from ipfs_kit_py.cli._daemon import daemon_command
from ipfs_kit_py.cli._files import cat_command, get_command, ls_command
from ipfs_kit_py.cli._filestore import filestore_group
from ipfs_kit_py.cli._hub import dataset_group, model_group
from ipfs_kit_py.cli._index import index_group
from ipfs_kit_py.cli._repo import (
    block_group,
    dag_group,
    init_command,
    pin_group,
    refs_command,
    repo_group,
)

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ipfs-kit")
def cli() -> None:
    """ipfs-kit: content-addressed ML artifacts on IPFS."""


cli.add_command(add_command)
cli.add_command(cid_group)
cli.add_command(car_group)
cli.add_command(cat_command)
cli.add_command(daemon_command)
cli.add_command(get_command)
cli.add_command(ls_command)
cli.add_command(index_group)
cli.add_command(filestore_group)
cli.add_command(model_group)
cli.add_command(dataset_group)
for _command in (init_command, pin_group, repo_group, block_group, dag_group, refs_command):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ipfs-kit")
