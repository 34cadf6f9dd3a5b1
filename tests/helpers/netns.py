"""A loopback-only network namespace shared by a test's daemon and its real clients.

Real peers (Helia, libp2p code) must not be able to dial out even if a library ignores
its configuration, so they run in a network namespace whose only interface is ``lo``.
A client there cannot reach the host's ``127.0.0.1``, so the server it talks to must be
in the same namespace. :func:`loopback_netns` starts one small holder process in a new
user + network namespace (``unshare -rn``, no privileges needed) and hands out the
``nsenter`` prefix that puts any further command into it::

    with loopback_netns() as ns, running_daemon(repo, prefix=ns.prefix) as d:
        ns.run(["node", "helia-fetch.mjs", d.gateway_url, cid])

The holder is ``cat`` reading a pipe from this process, so the namespace also goes
away when the test process dies without cleaning up. The pytest process itself stays
outside: everything that talks to the daemon goes through :meth:`LoopbackNetns.run`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

#: New user namespace (uid 0 inside, mapped to us) + new network namespace, ``lo`` up.
UNSHARE_PREFIX: Final = ("unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh")


def netns_available() -> str | None:
    """``None`` when :func:`loopback_netns` works here, otherwise the reason it cannot."""
    for tool in ("unshare", "nsenter", "ip", "sh"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not on PATH (needed for a loopback-only network namespace)"
    try:
        probe = subprocess.run(
            [*UNSHARE_PREFIX, "ip", "-o", "link", "show"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"cannot create a network namespace: {err}"
    if probe.returncode != 0:
        return f"`unshare -rn` + `ip link set lo up` failed: {probe.stderr.strip()}"
    links = [line.split(":")[1].strip() for line in probe.stdout.splitlines() if ":" in line]
    if links != ["lo"]:
        return f"the new network namespace is not loopback-only: {links}"
    return None


@dataclass(frozen=True, slots=True)
class LoopbackNetns:
    """A live namespace: :attr:`prefix` runs a command inside it."""

    pid: int

    @property
    def prefix(self) -> tuple[str, ...]:
        """``nsenter`` into the holder's user and network namespaces (keeping our uid)."""
        return ("nsenter", "--preserve-credentials", "-U", "-n", "-t", str(self.pid))

    def run(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        timeout: float,
        input: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace; the exit status is not checked."""
        return subprocess.run(
            [*self.prefix, *(os.fspath(a) for a in argv)],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )


@contextmanager
def loopback_netns() -> Iterator[LoopbackNetns]:
    """Create a loopback-only namespace for the ``with`` block; raise if that fails."""
    holder = subprocess.Popen(
        [*UNSHARE_PREFIX, "sh", "-c", "echo ready && exec cat >/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        if holder.stdout.readline().strip() != "ready":
            holder.wait(30)
            raise RuntimeError(f"cannot create a network namespace: {holder.stderr.read()}")
        yield LoopbackNetns(holder.pid)
    finally:
        holder.stdin.close()  # EOF: `cat` exits and the namespace goes with it
        try:
            holder.wait(30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
        for stream in (holder.stdout, holder.stderr):
            stream.close()
