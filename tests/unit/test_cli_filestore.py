"""``ipfs-kit add --nocopy`` and ``ipfs-kit filestore ls|verify|dups``, in process."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ipfs_kit_py.cli import cli
from ipfs_kit_py.node import init_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo", blockstore__sync=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "weights.bin"
    path.write_bytes(random.Random(5).randbytes(2 * 1024 * 1024 + 100))
    return path


def kit(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--repo-dir", str(repo)], catch_exceptions=False)


def test_add_nocopy_ls_verify_dups(repo: Path, data: Path, tmp_path: Path) -> None:
    added = kit(repo, "add", "-Q", "--nocopy", str(data))
    assert added.exit_code == 0, added.output
    root = added.output.strip()
    other = init_repo(tmp_path / "other", blockstore__sync=False)
    assert kit(other, "add", "-Q", "--raw-leaves", str(data)).output.strip() == root

    lines = kit(repo, "filestore", "ls").output.splitlines()
    assert [line.split()[1:] for line in lines] == [
        ["1048576", str(data), "0"],
        ["1048576", str(data), "1048576"],
        ["100", str(data), "2097152"],
    ]
    rows = [json.loads(line) for line in kit(repo, "filestore", "ls", "--json").output.splitlines()]
    assert [r["offset"] for r in rows] == [0, 1048576, 2097152]
    assert rows[0]["cid"] == lines[0].split()[0]

    verified = kit(repo, "filestore", "verify")
    assert verified.exit_code == 0
    assert [line.split()[0] for line in verified.output.splitlines()] == ["ok"] * 3
    assert kit(repo, "cat", root).stdout_bytes == data.read_bytes()

    assert kit(repo, "filestore", "dups").output == ""
    tail = data.read_bytes()[2097152:]  # the last leaf, copied in as a block as well
    copied = CliRunner().invoke(cli, ["block", "put", "--repo-dir", str(repo)], input=tail)
    assert copied.output.strip() == lines[2].split()[0]
    assert kit(repo, "filestore", "dups").output.split() == [copied.output.strip()]
    assert json.loads(kit(repo, "filestore", "dups", "--json").output)["Ref"] == lines[2].split()[0]


def test_verify_reports_changes_with_exit_status_5(repo: Path, data: Path) -> None:
    root = kit(repo, "add", "-Q", "--nocopy", str(data)).output.strip()
    with data.open("r+b") as f:
        f.seek(5)
        f.write(b"\x00\x01")
    verified = kit(repo, "filestore", "verify")
    assert verified.exit_code == 5
    assert [line.split()[0] for line in verified.output.splitlines()] == ["changed", "ok", "ok"]
    as_json = kit(repo, "filestore", "verify", "--json")
    assert as_json.exit_code == 5
    first = json.loads(as_json.output.splitlines()[0])
    assert first["status"] == "changed"
    assert first["entry"]["path"] == str(data)
    assert "changed since it was added" in first["message"]
    assert kit(repo, "repo", "verify").exit_code == 5
    cat = kit(repo, "cat", root)
    assert cat.exit_code == 5
    assert str(data) in cat.output

    data.unlink()
    assert {line.split()[0] for line in kit(repo, "filestore", "verify").output.splitlines()} == {
        "no-file"
    }
    failed = kit(repo, "cat", root)
    assert failed.exit_code == 5
    assert "is gone" in failed.output


def test_nocopy_refuses_no_raw_leaves(repo: Path, data: Path) -> None:
    result = kit(repo, "add", "--nocopy", "--no-raw-leaves", str(data))
    assert result.exit_code == 2
    assert "raw leaves" in result.output
