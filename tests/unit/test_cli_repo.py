"""The repo verbs end to end through the real ``ipfs-kit`` process, on a fresh repo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import run_kit


@pytest.fixture
def kit(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return run_kit(*args, repo=tmp_path / "repo", stdin=stdin)

    return run


def test_a_session(kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert kit("add", str(tmp_path)).returncode == 7  # no repo yet: run init
    assert b"initialized" in kit("init", "--role", "worker").stdout
    assert kit("init").returncode == 7  # already there
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_bytes(b"alpha\n")
    (tmp_path / "d" / "b.bin").write_bytes(os.urandom(300_000))
    added = kit("add", "-r", str(tmp_path / "d")).stdout.decode().splitlines()
    root = added[-1].split()[1]
    assert kit("cat", f"{root}/a.txt").stdout == b"alpha\n"
    assert kit("ls", root).stdout.decode().split("\n")[0].endswith(" a.txt")
    pins = kit("pin", "ls", "--type", "recursive", "-q").stdout.decode().split()
    assert pins == [root]
    stray = kit("add", "-Q", "--no-pin", str(tmp_path / "d" / "b.bin")).stdout.decode().strip()
    removed = kit("repo", "gc").stdout.decode()
    assert f"removed {stray}" not in removed  # it is still referenced by the pinned tree
    blk = kit("block", "put", stdin=b"just bytes").stdout.decode().strip()
    assert kit("block", "get", blk).stdout == b"just bytes"
    assert json.loads(kit("block", "stat", "--json", blk).stdout)["Size"] == 10
    assert f"removed {blk}" in kit("repo", "gc").stdout.decode()  # unpinned: collected
    stat = json.loads(kit("repo", "stat", "--json").stdout)
    assert stat["NumObjects"] >= 3
    assert kit("repo", "verify").returncode == 0
    node = kit("dag", "put", stdin=b'{"model": "x", "weights": {"/": "' + root.encode() + b'"}}')
    dag = node.stdout.decode().strip()
    assert json.loads(kit("dag", "get", dag).stdout)["model"] == "x"
    assert kit("refs", dag).stdout.decode().split() == [root]
    car = tmp_path / "out.car"
    assert kit("dag", "export", dag, "-o", str(car)).returncode == 0
    other = {**os.environ, "IPFS_KIT_PATH": str(tmp_path / "repo2")}
    cmd = [sys.executable, "-m", "ipfs_kit_py"]
    subprocess.run([*cmd, "init"], env=other, check=True, capture_output=True)
    imported = subprocess.run(
        [*cmd, "dag", "import", str(car)], env=other, check=True, capture_output=True
    )
    assert imported.stdout.decode().strip() == f"pinned root {dag} success"
    again = subprocess.run([*cmd, "cat", f"{root}/a.txt"], env=other, capture_output=True)
    assert again.stdout == b"alpha\n"


def test_errors_exit_with_their_class(kit) -> None:  # type: ignore[no-untyped-def]
    kit("init")
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    assert kit("block", "get", missing).returncode == 6  # not found
    assert kit("cat", "not-a-cid").returncode == 3  # bad input
    assert kit("pin", "rm", missing).returncode != 0


def test_progress_bars_on_get_gc_and_verify(kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kit("init")
    data = tmp_path / "big.bin"
    data.write_bytes(os.urandom(3_000_000))
    root = kit("add", "-Q", "-p", str(data)).stdout.decode().strip()
    got = kit("get", "-p", root, "-o", str(tmp_path / "out"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "out").read_bytes() == data.read_bytes()
    verified = kit("repo", "verify", "-p")
    assert (verified.returncode, verified.stdout) == (0, b"verified 4 blocks: 0 corrupt\n")
    kit("pin", "rm", root)
    collected = kit("repo", "gc", "-p", "--json")
    assert collected.returncode == 0, collected.stderr
    assert len(collected.stdout.splitlines()) == 4  # the bar went to stderr, not into the JSON
