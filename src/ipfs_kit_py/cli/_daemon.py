"""``ipfs-kit daemon``: serve the RPC API and the gateway until interrupted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ipfs_kit_py.cli._output import handle_errors
from ipfs_kit_py.cli._repo import repo_dir_option


@click.command("daemon")
@click.option("--api", "rpc", help="RPC API address, host:port or /ip4/H/tcp/P [127.0.0.1:5001].")
@click.option("--gateway", help="Gateway address [127.0.0.1:8080]; an empty string: none.")
@click.option("--token", envvar="IPFS_KIT_SERVER_TOKEN", help="Bearer token the RPC API requires.")
@click.option("--init", "init", is_flag=True, help="Create the repo first if there is none.")
@repo_dir_option
@handle_errors
def daemon_command(
    rpc: str | None, gateway: str | None, token: str | None, init: bool, repo_dir: Path | None
) -> None:
    """Serve the Kubo-compatible RPC API and the IPFS gateway over the repo.

    While it runs, other ipfs-kit commands on this repo go through its RPC API.
    SIGINT or SIGTERM stops it gracefully.
    """
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.daemon import Daemon

    overrides: dict[str, Any] = {
        f"server__{key}": value
        for key, value in (("rpc", rpc), ("gateway", gateway), ("token", token))
        if value is not None
    }
    with IPFSSimpleAPI(repo_dir, create=init, **overrides) as api:
        daemon = Daemon(api)

        def ready(d: Daemon) -> None:
            assert d.rpc_address is not None
            click.echo(f"PeerID: {api.node.peer_id}")
            click.echo(f"RPC API server listening on {d.rpc_address.multiaddr}")
            if d.gateway_address is not None:
                click.echo(f"Gateway server listening on {d.gateway_address.multiaddr}")
            click.echo("Daemon is ready", nl=True)

        daemon.run(ready)
    click.echo("Received interrupt signal, shut down.", err=True)
