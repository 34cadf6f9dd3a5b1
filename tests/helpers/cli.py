"""Run the real ``ipfs-kit`` command line (``python -m ipfs_kit_py``) in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["run_kit"]


def run_kit(
    *args: str,
    repo: Path | None = None,
    stdin: bytes | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``ipfs-kit ARGS`` with ``IPFS_KIT_PATH=repo``; the exit status is not checked.

    Output stays bytes (``cat`` and ``block get`` print binary); ``.stdout.decode()``
    for text. ``env`` adds to (or overrides) the environment.
    """
    full_env = {**os.environ, **(env or {})}
    if repo is not None:
        full_env["IPFS_KIT_PATH"] = str(repo)
    return subprocess.run(
        [sys.executable, "-m", "ipfs_kit_py", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
