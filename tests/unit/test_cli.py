"""The ``ipfs-kit`` command line, run as a real subprocess (console script and ``-m``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from ipfs_kit_py import Block, __version__
from ipfs_kit_py.car import car_bytes

V0 = "QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"
V1 = "bafybeiaaxm3ajuxm2odce4ahyvecjfjb7o42hfhb4jsgaci5bjusrchhgy"
SCRIPT = Path(sysconfig.get_path("scripts")) / "ipfs-kit"


#: No repo: commands that need one must say so, never touch ~/.ipfs-kit.
_NO_REPO = {**os.environ, "IPFS_KIT_PATH": os.path.join(tempfile.mkdtemp(), "no-repo")}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipfs_kit_py", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_NO_REPO,
    )


def test_console_script_and_module_agree() -> None:
    script = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    assert script.returncode == 0
    assert (
        script.stdout.strip()
        == run("--version").stdout.strip()
        == f"ipfs-kit, version {__version__}"
    )


@pytest.mark.parametrize(
    ("args", "out"),
    [
        (["cid", "format", "-v", "1", V0], V1),
        (["cid", "format", "-b", "base32", V0], V1),  # a non-base58 base implies v1, as in Kubo
        (["cid", "format", "-v", "0", V1], V0),
        (["cid", "base32", V0], V1),
        (["cid", "format", V1], V1),
        (["cid", "format", "-f", "%P", V0], "cidv0-dag-pb-sha2-256-32"),
        (
            ["cid", "format", "-f", "%v %V %c %C %h %H %L %%", V1],
            "cidv1 1 dag-pb 112 sha2-256 18 32 %",
        ),
        (["cid", "format", "-f", "%b %B", "-b", "base36", V1], "base36 k"),
        (["cid", "format", "-f", "%S", V1], V1[1:]),
    ],
)
def test_cid_format(args: list[str], out: str) -> None:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == out


def test_cid_format_keeps_the_input_base_and_reports_bad_input() -> None:
    k = run("cid", "format", "-v", "1", "-b", "base36", V0).stdout.strip()
    assert run("cid", "format", k).stdout.strip() == k
    bad = run("cid", "format", V0, "not-a-cid", V1)
    assert bad.returncode == 3
    assert bad.stdout.split() == [V0, V1]  # good ones still printed, as Kubo does
    assert "invalid CID 'not-a-cid'" in bad.stderr
    res = run("cid", "format", "--json", "not-a-cid")
    line = json.loads(res.stdout)
    assert line["CidStr"] == "not-a-cid"
    assert line["Formatted"] == ""
    assert line["ErrorMsg"]
    assert run("cid", "format", "-v", "0", "-b", "base32", V1).returncode == 3
    assert run("cid", "format", "-f", "%q", V1).returncode == 3


def test_cid_listings() -> None:
    assert "b  base32" in run("cid", "bases").stdout
    names = [
        json.loads(line)["Name"] for line in run("cid", "codecs", "--json").stdout.splitlines()
    ]
    assert names == ["raw", "dag-pb", "dag-cbor", "dag-json"]
    assert "sha2-256" in run("cid", "hashes").stdout


@pytest.fixture
def car_file(tmp_path: Path) -> tuple[Path, list[Block]]:
    blocks = [Block.from_data(bytes([i]) * 50) for i in range(3)]
    path = tmp_path / "x.car"
    path.write_bytes(car_bytes([blocks[0].cid], blocks))
    return path, blocks


def test_car_roots_ls_verify(car_file: tuple[Path, list[Block]]) -> None:
    path, blocks = car_file
    assert run("car", "roots", str(path)).stdout.split() == [str(blocks[0].cid)]
    assert run("car", "ls", str(path)).stdout.split() == [str(b.cid) for b in blocks]
    ls = [json.loads(line) for line in run("car", "ls", "--json", str(path)).stdout.splitlines()]
    assert [x["Size"] for x in ls] == [50, 50, 50]
    ok = run("car", "verify", str(path))
    assert ok.returncode == 0
    assert ok.stdout.startswith("ok: 3 blocks")
    report = json.loads(run("car", "verify", "--json", str(path)).stdout)
    assert report["ok"] is True
    assert report["roots"] == [str(blocks[0].cid)]


def test_car_verify_names_the_corrupt_block(car_file: tuple[Path, list[Block]]) -> None:
    path, blocks = car_file
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01  # inside the last block
    path.write_bytes(bytes(data))
    result = run("car", "verify", str(path))
    assert result.returncode == 5
    assert str(blocks[2].cid) in result.stderr


def test_car_errors_have_exit_codes_and_json_bodies(tmp_path: Path) -> None:
    junk = tmp_path / "junk.car"
    junk.write_bytes(b"\x05hello")
    result = run("car", "roots", "--json", str(junk))
    assert result.returncode == 3
    body = json.loads(result.stderr)
    assert body["Code"] == "invalid_car"
    assert body["Type"] == "error"
    assert body["Message"]
    assert run("car", "verify", str(junk)).returncode == 3
    assert run("car", "roots", str(tmp_path / "missing.car")).returncode == 2  # usage error


def test_car_index(car_file: tuple[Path, list[Block]], tmp_path: Path) -> None:
    path, _blocks = car_file
    out = tmp_path / "v2.car"
    result = run("car", "index", str(path), "-o", str(out), "--json")
    assert json.loads(result.stdout) == {"Output": str(out), "Blocks": 3}
    assert json.loads(run("car", "roots", "--json", str(out)).stdout)["Version"] == 2


def test_add_prints_what_kubo_prints(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "hello.txt").write_bytes(b"hello world\n")
    (tmp_path / "d" / "sub" / "x").write_bytes(b"x")
    v0 = run("add", "-n", "--profile", "unixfs-v0-2015", str(tmp_path / "d" / "hello.txt"))
    assert v0.stdout == "added QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o hello.txt\n"
    lines = run("add", "-n", "-r", str(tmp_path / "d")).stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["d/hello.txt", "d/sub/x", "d/sub", "d"]
    quiet = run("add", "-n", "-Q", "-r", str(tmp_path / "d")).stdout.split()
    assert quiet == [lines[-1].split()[1]]
    assert run("add", "-n", "-q", "-r", str(tmp_path / "d")).stdout.split() == [
        line.split()[1] for line in lines
    ]
    assert run("add", "-n", str(tmp_path / "d")).returncode == 3  # a directory needs -r
    assert run("add", str(tmp_path / "d" / "hello.txt")).returncode == 7  # no repo here
    hello = str(tmp_path / "d" / "hello.txt")
    assert run("add", "-n", "--chunker", "chunky", hello).returncode == 3  # unknown chunker
    # one chunk under buzhash's minimum: the same leaf as the default chunker
    assert (
        run("add", "-n", "-Q", "--chunker", "buzhash", hello).stdout
        == run("add", "-n", "-Q", hello).stdout
    )


def test_add_metadata_and_progress_flags(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(bytes(3 << 20))
    f.chmod(0o600)
    plain = run("add", "-n", "-Q", str(f)).stdout
    assert run("add", "-n", "-Q", "--preserve-mode", str(f)).stdout != plain
    assert run("add", "-n", "-Q", "--preserve-mtime", str(f)).stdout != plain
    # the bar goes to stderr only: stdout is unchanged, and -P turns it off
    shown = run("add", "-n", "-Q", "--progress", str(f))
    assert (shown.returncode, shown.stdout) == (0, plain)
    assert run("add", "-n", "-Q", "-P", str(f)).stderr == ""


def test_cat_ls_get_from_a_car(tmp_path: Path) -> None:
    from ipfs_kit_py.car import write_car
    from ipfs_kit_py.unixfs import Importer, resolve_options

    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"0123456789" * 100)
    (src / "sub" / "b.txt").write_bytes(b"bee")
    blocks: list[Block] = []
    with Importer(resolve_options(chunker="size-100"), blocks.append) as imp:
        root = list(imp.add_paths([src]))[-1].cid
    car = tmp_path / "t.car"
    with car.open("wb") as f:
        write_car(f, [root], blocks)
    assert run("cat", f"{root}/a.txt", "--car", str(car)).stdout == "0123456789" * 100
    part = run("cat", f"{root}/a.txt", "--offset", "95", "--length", "10", "--car", str(car))
    assert part.stdout == "5678901234"
    listing = run("ls", str(root), "--car", str(car)).stdout.splitlines()
    assert [line.split()[1:] for line in listing] == [["1000", "a.txt"], ["-", "sub/"]]
    out = tmp_path / "out"
    assert run("get", str(root), "-o", str(out), "--car", str(car)).returncode == 0
    assert (out / "sub" / "b.txt").read_bytes() == b"bee"
    missing = run("cat", f"{root}/nope", "--car", str(car))
    assert missing.returncode == 6
    assert "no entry 'nope'" in missing.stderr
