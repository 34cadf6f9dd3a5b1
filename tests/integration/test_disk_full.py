"""A full disk: a clean StorageError (exit 8 from the CLI), nothing half-written, and a
repo that works again once space is freed.

The disk is a real 8 MiB tmpfs, mounted inside a user + mount namespace
(``unshare -rm``) so that no privilege is needed and nothing outside sees it. The
test re-runs this file inside that namespace as a script; :func:`scenario` is the
test body there, and reports failure through its exit status. Where namespaces are
unavailable the test is skipped, saying why. (``RLIMIT_FSIZE`` would be no substitute:
it caps each file, not the filesystem, and fails with ``EFBIG`` and ``SIGXFSZ``, not
``ENOSPC``.)
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_shard
from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import StorageError
from ipfs_kit_py.node import init_repo

SIZE = "8m"
MOUNT = 'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"'
DONE = "disk-full scenario: ok"
#: The most free pages the CLI step tries before an add must fit.
PAGES = 128


def _namespace_problem(mnt: Path) -> str | None:
    """Why a tmpfs cannot be mounted in a user + mount namespace here, or ``None``."""
    if not sys.platform.startswith("linux"):
        return f"user and mount namespaces are Linux only (this is {sys.platform})"
    if shutil.which("unshare") is None:
        return "no unshare(1) on PATH"
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", MOUNT.format(size="1m"), str(mnt), "true"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode:
        return f"cannot mount a tmpfs in a user namespace: {probe.stderr.strip()}"
    return None


@pytest.mark.slow
def test_disk_full_on_a_real_tmpfs(tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    problem = _namespace_problem(mnt)
    if problem is not None:
        pytest.skip(problem)
    outside = tmp_path / "sources"  # the files the CLI adds live off the small disk
    outside.mkdir()
    command = [sys.executable, "-W", "error", __file__, str(mnt), str(outside)]
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", MOUNT.format(size=SIZE), str(mnt), *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert DONE in result.stdout
    assert os.listdir(mnt) == []  # the tmpfs was the namespace's alone


# -- the scenario, run inside the namespace ------------------------------------------------


def scenario(mnt: Path, outside: Path) -> None:
    """Fill ``mnt`` (an 8 MiB tmpfs) through adds, check, free space, check again.

    ``outside`` (another filesystem) holds the files given to ``ipfs-kit add``.
    """
    fs = os.statvfs(mnt)
    assert fs.f_blocks * fs.f_frsize <= 16 << 20, f"{mnt} is not the small tmpfs"
    repo = init_repo(mnt / "repo")
    rng = random.Random(8)
    big = outside / "big.bin"
    big.write_bytes(rng.randbytes(1 << 20))
    kept: dict[CID, bytes] = {}
    with IPFSSimpleAPI(repo, create=False) as api:
        for i in range(3):
            data = rng.randbytes(200_000 + i)
            kept[api.add(data, name=f"kept-{i}").cid] = data
        fills = []
        try:
            for i in range(100):
                fills.append(api.add(rng.randbytes(1 << 20), name=f"fill-{i}").cid)
            raise AssertionError("8 MiB took 100 MiB of adds")
        except StorageError as err:  # anything else propagates: a failure
            full = err
        assert full.errno == errno.ENOSPC, repr(full)
        assert "No space left on device" in str(full), str(full)
        assert fills, "not even one add fitted"
        _check_intact(api, kept, pinned=len(kept) + len(fills))
        loose = api.add(b"pinned later" * 10, pin=False).cid  # a few bytes still fit

        # Not one byte left. A pin may still commit in pages SQLite's WAL already
        # holds, or fail cleanly; the pin exists exactly when the call returned.
        filler = mnt / "filler"
        _fill(filler)
        try:
            api.pin(loose)
            pinned_on_full = True
        except StorageError:
            pinned_on_full = False
        assert (api.node.pins.get(loose) is not None) == pinned_on_full
        _check_intact(api, kept, pinned=len(kept) + len(fills) + pinned_on_full)
    _fill(filler)  # what closing the repo released

    # The CLI on a brim-full disk, then with one more free page at a time until an add
    # fits: at every step where it stops (the pin database's setup, a block write, the
    # pin's commit) it exits 8 with one line, and the repo is left intact. (Even a
    # read fails on a brim-full disk: SQLite cannot make its WAL's shared memory.)
    _cli_fails_cleanly(repo, ["cat", str(next(iter(kept)))])
    pinned = len(kept) + len(fills) + pinned_on_full
    stops: list[str] = []
    for pages in range(PAGES):
        src = outside / f"step-{pages}.bin"
        src.write_bytes(rng.randbytes(20_000))
        _fill(filler)
        os.truncate(filler, max(0, filler.stat().st_size - pages * 4096))
        result = _cli(repo, ["add", "-Q", str(src)])
        filler.unlink()
        if result.returncode == 0:
            break
        stops.append(_one_clean_line(result, ["add", f"{pages} pages free"]))
        with IPFSSimpleAPI(repo, create=False) as api:
            _check_intact(api, kept, pinned=pinned)
    else:
        raise AssertionError(f"no add fitted in {PAGES} free pages: {stops}")
    assert any("No space left on device" in stop for stop in stops), stops
    print(f"add fitted with {pages} free pages; before, it stopped with:")
    for stop in dict.fromkeys(stops):
        print(f"  {stops.count(stop)} x {stop}")
    with IPFSSimpleAPI(repo, create=False) as api:
        kept[CID.parse(result.stdout.strip())] = src.read_bytes()
        pinned += 1
        _check_intact(api, kept, pinned=pinned)

    # Space freed: unpin the fills and collect; the repo is fully usable again.
    with IPFSSimpleAPI(repo, create=False) as api:
        for cid in fills:
            api.unpin(cid)
        report = api.gc()
        assert report.ok
        assert report.bytes_freed >= len(fills) << 20
        fresh = rng.randbytes(3 << 20)
        cid = api.add(fresh, name="after").cid
        assert api.cat(cid) == fresh
        kept[cid] = fresh
        _check_intact(api, kept, pinned=pinned - len(fills) + 1)
    added = _cli(repo, ["add", "-Q", str(big)])
    assert added.returncode == 0, added.stderr
    cat = _cli(repo, ["cat", added.stdout.strip()], text=False)
    assert cat.stdout == big.read_bytes()
    print(DONE)


def _check_intact(api: IPFSSimpleAPI, kept: dict[CID, bytes], *, pinned: int) -> None:
    """No partial block, no staged file, a sound pin database, and every kept object."""
    blocks = api.node.path / "blocks"
    assert os.listdir(blocks / ".temp") == [], "a staged write was left behind"
    files = [p for p in blocks.rglob("*.data") if p.parent.name != ".temp"]
    assert all(flatfs_shard(p.stem) == p.parent.name for p in files)
    report = api.repo_verify()
    assert report.ok, f"corrupt blocks: {report.corrupt}"
    assert report.checked == len(files), "a .data file that is not a block"
    pins = api.pins("recursive")
    assert len(pins) == pinned, f"{len(pins)} pins, expected {pinned}"
    assert all(r.ok for r in api.node.pins.verify(api.node.blocks))
    db = sqlite3.connect(f"file:{api.node.path / 'pins.sqlite'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
    for cid, data in kept.items():
        assert api.cat(cid) == data, f"{cid} reads back wrong"


def _fill(path: Path) -> None:
    """Append to ``path`` until the filesystem has not one byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, 4096, 1):
            assert _write_until_error(fd, bytes(size)) == errno.ENOSPC
    finally:
        os.close(fd)


def _write_until_error(fd: int, data: bytes) -> int:
    """Write ``data`` to ``fd`` again and again; the errno that stops it."""
    try:
        while True:
            os.write(fd, data)
    except OSError as err:
        return err.errno


def _cli(repo: Path, args: list[str], *, text: bool = True) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        [sys.executable, "-m", "ipfs_kit_py", *args, "--repo-dir", str(repo)],
        capture_output=True,
        text=text,
        timeout=60,
        check=False,
    )


def _cli_fails_cleanly(repo: Path, args: list[str]) -> str:
    """Run the CLI, which must fail with a storage error; its one line of stderr."""
    return _one_clean_line(_cli(repo, args), args)


def _one_clean_line(result: subprocess.CompletedProcess[Any], what: object) -> str:
    assert result.returncode == 8, (what, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


if __name__ == "__main__":
    scenario(Path(sys.argv[1]), Path(sys.argv[2]))
