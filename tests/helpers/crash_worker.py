"""A child process for the crash-safety test, which kills it with SIGKILL mid-work.

Run as ``python crash_worker.py KIND REPO SEED SCRATCH [--no-sync] [--pause-at=PHASE]``;
``KIND`` is

* ``large``: add :func:`large_bytes` of ``SEED`` (one file, the repo's profile), pinned
  as ``trial-SEED``;
* ``many``: write :func:`tree_files` of ``SEED`` under ``SCRATCH/tree-SEED`` and add
  the tree (``ipfs add -r``), which pins its root as ``tree-SEED``;
* ``nocopy``: the same with ``add --nocopy`` (the leaves become filestore references
  to the files, which the parent keeps);
* ``gc``: add some unpinned bytes, unpin every pin not named ``seed-*``, collect.

Before each phase it prints ``phase NAME T`` (``T``: ``time.monotonic()``) and flushes,
so the last line the parent reads after the kill names the phase the kill landed in:
``opening`` (the repo), ``ready`` (open, about to work), ``write`` (blocks being
stored), ``pin`` (a pin being walked and committed), ``index`` (the metadata index
recording the add), ``unpin``, ``plan`` (the collection marking), ``delete`` (the
collection sweeping), ``gc-index`` (the index recording it), ``closing`` (the repo),
``done``. With ``--pause-at=PHASE`` it waits, once that is announced, for a byte on
stdin before entering it, so that the parent's kill delay counts from the phase's
real start, not from when the parent got round to reading.

Its disk is slow: every ``os.write`` (the block store's) writes at most
:data:`WRITE_PIECE` bytes and then pauses, as a short write may. A block's bytes then
take long next to its fsync and rename, so that a kill in the ``write`` phase often
lands while a block is half written: where a store exposed partial writes, that is
when they would show.

Importing this module does nothing: the test imports the generators to know what
each pin must read back as.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

#: Bytes in one ``large`` add: a few tens of MB, still quick with ``sync`` on.
LARGE_SIZE: Final = 24 << 20
#: Files in one ``many`` add.
TREE_FILES: Final = 200
#: Unpinned bytes a ``gc`` run adds first, so that every collection has work.
GARBAGE_SIZE: Final = 2 << 20
#: The most one ``os.write`` writes in the worker, and the pause after it (seconds).
WRITE_PIECE: Final = 64 << 10
WRITE_PAUSE: Final = 0.0002


def large_bytes(seed: int, size: int = LARGE_SIZE) -> bytes:
    """The seeded content of a ``large`` add.

    >>> large_bytes(7, 8) == large_bytes(7, 8) != large_bytes(8, 8)
    True
    """
    return random.Random(seed).randbytes(size)


def tree_files(seed: int, count: int = TREE_FILES) -> dict[str, bytes]:
    """The seeded files (``relative/path`` -> bytes) of a ``many`` add: small, nested.

    >>> files = tree_files(3, 5)
    >>> len(files), files == tree_files(3, 5)
    (5, True)
    """
    rng = random.Random(seed)
    files = {}
    for i in range(count):
        parent = f"d{rng.randrange(12)}/e{rng.randrange(4)}"
        files[f"{parent}/f{i}.bin"] = rng.randbytes(rng.choice((0, 1, 100, 1000, 4000)))
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` under ``root``; ``root``."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` as ``relative/path`` -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


class _Phases:
    """Prints ``phase NAME T`` when the phase changes (once per change, flushed)."""

    def __init__(self, pause_at: str) -> None:
        self.current = ""
        self.pause_at = pause_at

    def __call__(self, name: str) -> None:
        if name != self.current:
            self.current = name
            sys.stdout.write(f"phase {name} {time.monotonic():.6f}\n")
            sys.stdout.flush()
            if name == self.pause_at:
                sys.stdin.buffer.read(1)  # the parent's go: its kill clock starts now

    def hook(self, obj: Any, attr: str, name: str) -> None:
        """Announce ``name`` whenever ``obj.attr`` is called (an instance attribute wraps it)."""
        inner: Callable[..., Any] = getattr(obj, attr)

        def announced(*args: Any, **kwargs: Any) -> Any:
            self(name)
            return inner(*args, **kwargs)

        setattr(obj, attr, announced)


def _slow_disk() -> None:
    """Make ``os.write`` short and slow: :data:`WRITE_PIECE` bytes, then a pause."""
    write = os.write

    def short_write(fd: int, data: Any) -> int:
        written = write(fd, memoryview(data)[:WRITE_PIECE])
        time.sleep(WRITE_PAUSE)
        return written

    os.write = short_write


def main(argv: list[str]) -> None:
    from ipfs_kit_py.api import IPFSSimpleAPI

    _slow_disk()
    kind, repo, seed, scratch = argv[0], Path(argv[1]), int(argv[2]), Path(argv[3])
    flags = argv[4:]
    sync = "--no-sync" not in flags
    pause = [f.partition("=")[2] for f in flags if f.startswith("--pause-at=")]
    phase = _Phases(pause[0] if pause else "")
    tree = None
    if kind == "large":
        data = large_bytes(seed)
    elif kind in ("many", "nocopy"):
        tree = write_tree(scratch / f"tree-{seed}", tree_files(seed))
    elif kind == "gc":
        data = large_bytes(seed, GARBAGE_SIZE)
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    phase("opening")
    api = IPFSSimpleAPI(repo, create=False, blockstore__sync=sync)
    phase("ready")
    for attr in ("put", "put_many", "put_ref"):
        phase.hook(api.node.blocks, attr, "write")
    phase.hook(api.node.blocks, "delete", "delete")
    phase.hook(api.node.pins, "add", "pin")
    phase.hook(api.node.keeper, "added", "index")
    phase.hook(api.node.keeper, "collected", "gc-index")
    if kind == "large":
        api.add(data, name=f"trial-{seed}")
    elif tree is not None:
        api.add_path(tree, nocopy=kind == "nocopy")
    else:
        api.add(data, pin=False)
        phase("unpin")
        for pin in api.pins("recursive"):
            if not (pin.name or "").startswith("seed-"):
                api.unpin(pin.cid)
        phase("plan")
        api.gc()
    phase("closing")
    api.close()
    phase("done")


if __name__ == "__main__":
    main(sys.argv[1:])
