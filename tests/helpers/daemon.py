"""Run ``ipfs-kit daemon`` as a real subprocess on port 0 and find where it listens."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 60

_LINE = re.compile(r"(RPC API|Gateway) server listening on /ip[46]/([^/]+)/tcp/(\d+)")


@dataclass
class RunningDaemon:
    """A daemon started by :func:`running_daemon`."""

    proc: subprocess.Popen[str]
    repo: Path
    rpc_url: str
    gateway_url: str | None
    output: list[str] = field(default_factory=list)

    @property
    def api_file(self) -> Path:
        return self.repo / "api"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal the daemon and wait for it; return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


def daemon_argv(repo: Path, *args: str) -> list[str]:
    """The command line of a daemon on port 0 (RPC and gateway) over ``repo``."""
    return [
        sys.executable, "-m", "ipfs_kit_py", "daemon", "--repo-dir", str(repo),
        "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0", *args,
    ]  # fmt: skip


@contextmanager
def running_daemon(
    repo: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Iterator[RunningDaemon]:
    """Start a daemon over ``repo`` (``--init`` it if needed); stop it on exit.

    ``args`` are extra daemon options; ``prefix`` wraps the command (e.g. a network
    namespace). Fails if the daemon is not ready within a minute.
    """
    argv = [*prefix, *daemon_argv(repo, "--init", *args)]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env
    )
    output: list[str] = []
    found: dict[str, str] = {}
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            match = _LINE.search(line)
            if match:
                found[match[1]] = f"http://{match[2]}:{match[3]}"
            if line.startswith("Daemon is ready"):
                ready.set()
        ready.set()  # the daemon ended

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if not ready.wait(READY_TIMEOUT_S) or "RPC API" not in found:
            raise RuntimeError("daemon did not start:\n" + "".join(output))
        daemon = RunningDaemon(proc, repo, found["RPC API"], found.get("Gateway"), output)
        yield daemon
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(10)
        if proc.stdout is not None:
            proc.stdout.close()
