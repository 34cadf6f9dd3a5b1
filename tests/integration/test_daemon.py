"""``ipfs-kit daemon`` as a real process: ports, the ``api`` file, signals, and the CLI
going through its RPC API while it owns the repo.

The CLI's answers through the daemon are compared with its answers over the same repo
without one (the local API is the reference the remote path must reproduce), and the
content added through the daemon is read back after it stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import httpx
import pytest

from helpers.cli import run_kit
from helpers.daemon import daemon_argv, running_daemon
from ipfs_kit_py.cid import CID

pytestmark = pytest.mark.slow


def _tree(root: Path) -> Path:
    (root / "model" / "sub").mkdir(parents=True)
    (root / "model" / "config.json").write_text('{"hidden": 8}')
    (root / "model" / "sub" / "weights.bin").write_bytes(os.urandom(3_000_000))
    (root / "model" / "empty").mkdir()
    (root / "model" / "latest").symlink_to("sub/weights.bin")
    return root / "model"


def _ok(*args: str, repo: Path, stdin: bytes | None = None) -> str:
    done = run_kit(*args, repo=repo, stdin=stdin)
    assert done.returncode == 0, (args, done.stderr.decode())
    return done.stdout.decode()


def test_listens_on_port_0_writes_api_files_and_stops_on_sigterm(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo) as d:
        api_text = (repo / "api").read_text()
        assert api_text == "/ip4/127.0.0.1/tcp/" + d.rpc_url.rsplit(":", 1)[1]
        assert (repo / "gateway").read_text() == d.gateway_url
        assert not d.rpc_url.endswith(":0")
        version = httpx.post(f"{d.rpc_url}/api/v0/version").json()
        assert version["Version"]
        assert httpx.get(f"{d.rpc_url}/api/v0/version").status_code == 405
        assert d.stop(signal.SIGTERM) == 0
    assert not (repo / "api").exists()
    assert not (repo / "gateway").exists()


def test_sigint_stops_gracefully_and_repo_is_free_again(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo) as d:
        assert d.stop(signal.SIGINT) == 0
    _ok("repo", "stat", repo=repo)  # the lock is released


def test_second_daemon_on_the_same_repo_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo):
        done = run_kit(*daemon_argv(repo)[3:], repo=repo)
        assert done.returncode == 7
        assert b"in use" in done.stderr


def test_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _ok("init", repo=repo)
    done = run_kit("daemon", "--api", "0.0.0.0:0", "--gateway", "", repo=repo)
    assert done.returncode == 3
    assert b"token" in done.stderr
    assert not (repo / "api").exists()


def test_cli_goes_through_the_daemon_and_matches_the_local_answers(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    model = _tree(tmp_path)
    _ok("init", repo=repo)
    with running_daemon(repo) as d:
        added = _ok("add", "-r", "--json", "--tag", "demo", str(model), repo=repo)
        entries = [json.loads(line) for line in added.splitlines()]
        root = entries[-1]["Hash"]
        assert entries[-1]["Name"] == "model"
        cat = run_kit("cat", f"{root}/sub/weights.bin", repo=repo)
        assert cat.returncode == 0
        assert cat.stdout == (model / "sub" / "weights.bin").read_bytes()
        remote = {
            "ls": _ok("ls", "--json", root, repo=repo),
            "pins": _ok("pin", "ls", "--type", "recursive", "--json", repo=repo),
            "refs": _ok("refs", "-r", root, repo=repo),
            "block": _ok("block", "stat", "--json", root, repo=repo),
            "verify": _ok("pin", "verify", "--json", repo=repo),
        }
        _ok("get", root, "-o", str(tmp_path / "out"), repo=repo)
        assert (tmp_path / "out" / "sub" / "weights.bin").read_bytes() == (
            model / "sub" / "weights.bin"
        ).read_bytes()
        assert (tmp_path / "out" / "empty").is_dir()
        assert os.readlink(tmp_path / "out" / "latest") == "sub/weights.bin"
        query = _ok("index", "query", "--json", "SELECT cid, tags FROM objects", repo=repo)
        assert {"cid": root, "tags": ["demo"]} in [json.loads(x) for x in query.splitlines()]
        assert run_kit("repo", "stat", repo=repo).returncode == 0
        assert d.proc.poll() is None
    # the daemon stopped: the same commands open the repo themselves
    with_local = {
        "ls": _ok("ls", "--json", root, repo=repo),
        "pins": _ok("pin", "ls", "--type", "recursive", "--json", repo=repo),
        "refs": _ok("refs", "-r", root, repo=repo),
        "block": _ok("block", "stat", "--json", root, repo=repo),
        "verify": _ok("pin", "verify", "--json", repo=repo),
    }
    # the one difference: Kubo's pin/ls carries no creation time
    remote["pins"] = remote["pins"].replace('"created_at": null', "")
    with_local["pins"] = re.sub(r'"created_at": [0-9.]+', "", with_local["pins"])
    assert remote == with_local
    local_add = _ok("add", "-r", "--json", "--only-hash", str(model), repo=repo)
    assert local_add == added


def test_blocks_dags_and_gc_through_the_daemon(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo):
        key = _ok("block", "put", repo=repo, stdin=b"a raw block").strip()
        assert run_kit("block", "get", key, repo=repo).stdout == b"a raw block"
        cid = _ok("dag", "put", "--no-pin", repo=repo, stdin=b'{"a": [1, 2]}').strip()
        got = json.loads(_ok("dag", "get", cid, repo=repo))
        assert got == {"a": [1, 2]}
        removed = _ok("repo", "gc", "--json", repo=repo)
        # blocks are kept by multihash, so gc names them as raw CIDv1s, as Kubo does
        gone = {CID.parse(json.loads(line)["Key"]["/"]).multihash for line in removed.splitlines()}
        assert {CID.parse(key).multihash, CID.parse(cid).multihash} <= gone
        missing = run_kit("block", "get", key, repo=repo)
        assert missing.returncode == 6, missing.stderr


def test_a_token_is_required_and_the_cli_sends_it_from_the_config(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo, "--token", "s3cret") as d:
        denied = httpx.post(f"{d.rpc_url}/api/v0/version")
        assert denied.status_code == 401
        assert denied.json()["Type"] == "error"
        allowed = httpx.post(
            f"{d.rpc_url}/api/v0/version", headers={"Authorization": "Bearer s3cret"}
        )
        assert allowed.status_code == 200
        without = run_kit("repo", "stat", repo=repo)
        assert without.returncode != 0
        assert b"Traceback" not in without.stderr
        env_run = run_kit("repo", "stat", repo=repo, env={"IPFS_KIT_SERVER_TOKEN": "s3cret"})
        assert env_run.returncode == 0, env_run.stderr


def test_a_stale_api_file_from_a_killed_daemon_is_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    with running_daemon(repo) as d:
        d.stop(signal.SIGKILL)
    assert (repo / "api").exists()  # a crash leaves it behind
    _ok("repo", "stat", repo=repo)


def test_oversized_request_heads_are_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    huge = {"X-Filler": "a" * 40_000}  # over the 16 KiB default
    with running_daemon(repo) as d:
        assert httpx.post(f"{d.rpc_url}/api/v0/version", headers=huge).status_code == 431
        assert httpx.get(f"{d.gateway_url}/ipfs/bafkqaaa", headers=huge).status_code == 431
        long_url = f"{d.gateway_url}/ipfs/bafkqaaa?" + "x" * 20_000
        assert httpx.get(long_url).status_code == 431
        assert httpx.post(f"{d.rpc_url}/api/v0/version").status_code == 200  # still serving
