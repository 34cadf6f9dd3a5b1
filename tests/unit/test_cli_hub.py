"""``ipfs-kit model …`` and ``ipfs-kit dataset …``: the real CLI in a child process."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from helpers.cli import run_kit
from ipfs_kit_py.errors import EXIT_STATUS, PickleRefusedError, RefNotFoundError


def _safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """A safetensors file written with the reference library."""
    from safetensors.numpy import save_file

    save_file(tensors, str(path))


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    model = tmp_path / "tiny"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    (model / "sub" / "notes.txt").write_text("hello")
    _safetensors(
        model / "model.safetensors",
        {
            "a.weight": rng.standard_normal((300, 500)).astype("f4"),
            "b.bias": rng.integers(0, 100, size=17).astype("i8"),
        },
    )
    return model


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    assert run_kit("init", repo=path).returncode == 0
    return path


def _ok(*args: str, repo: Path) -> str:
    result = run_kit(*args, repo=repo)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_model_add_ls_show_snapshot_tensor(model_dir: Path, repo: Path, tmp_path: Path) -> None:
    added = json.loads(
        _ok(
            "model",
            "add",
            str(model_dir),
            "--name",
            "org/tiny",
            "--alias",
            "prod",
            "--json",
            repo=repo,
        )
    )
    assert added["Ref"] == "org/tiny@1"
    assert added["Aliases"] == ["prod"]
    # the root is the CID `add -r` gives for the same directory
    root = json.loads(_ok("add", "-r", "--json", "-n", str(model_dir), repo=repo).splitlines()[-1])
    assert added["Root"] == root["Hash"]

    listed = [json.loads(line) for line in _ok("model", "ls", "--json", repo=repo).splitlines()]
    assert [x["Record"] for x in listed] == [added["Record"]]

    shown = json.loads(_ok("model", "show", "org/tiny@prod", "--tensors", "--json", repo=repo))
    files = {f["path"]: f for f in shown["files"]}
    weights = (model_dir / "model.safetensors").read_bytes()
    assert files["model.safetensors"]["sha256"] == hashlib.sha256(weights).hexdigest()
    assert files["model.safetensors"]["format"] == "safetensors"
    names = [t["name"] for t in shown["tensor_index"]["model.safetensors"]]
    assert sorted(names) == ["a.weight", "b.bias"]
    text = _ok("model", "show", "org/tiny", "--tensors", repo=repo)
    assert "a.weight" in text
    assert "sub/notes.txt" in text

    out = tmp_path / "snap"
    _ok("model", "snapshot", "org/tiny@1", str(out), repo=repo)
    for path in model_dir.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(model_dir)).read_bytes() == path.read_bytes()

    npy = tmp_path / "a.npy"
    read = json.loads(
        _ok(
            "model",
            "tensor",
            "org/tiny",
            "model.safetensors",
            "a.weight",
            "-o",
            str(npy),
            "--json",
            repo=repo,
        )
    )
    from safetensors.numpy import load_file

    expected = load_file(str(model_dir / "model.safetensors"))["a.weight"]
    assert np.array_equal(np.load(npy), expected)
    assert read["Shape"] == [300, 500]
    assert read["Dtype"] == "F32"
    # struct: 8-byte header length, then the header; the tensor's bytes follow it
    header = struct.unpack("<Q", weights[:8])[0]
    assert read["Begin"] >= 8 + header
    assert read["End"] - read["Begin"] == expected.nbytes


def test_model_errors_exit_with_their_status(model_dir: Path, repo: Path, tmp_path: Path) -> None:
    missing = run_kit("model", "show", "org/none", "--json", repo=repo)
    assert missing.returncode == EXIT_STATUS[RefNotFoundError.code]
    assert json.loads(missing.stderr)["Code"] == RefNotFoundError.code

    (model_dir / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    _ok("model", "add", str(model_dir), "--name", "org/pickled", repo=repo)
    out = tmp_path / "out"
    refused = run_kit("model", "snapshot", "org/pickled", str(out), repo=repo)
    assert refused.returncode == EXIT_STATUS[PickleRefusedError.code]
    assert b"pytorch_model.bin" in refused.stderr
    assert not (out / "pytorch_model.bin").exists()
    _ok("model", "snapshot", "org/pickled", str(out), "--exclude", "*.bin", repo=repo)
    assert (out / "model.safetensors").is_file()
    assert not (out / "pytorch_model.bin").exists()
    _ok("model", "snapshot", "org/pickled", str(tmp_path / "all"), "--allow-pickle", repo=repo)
    assert (tmp_path / "all" / "pytorch_model.bin").read_bytes() == b"\x80\x04pickle"


def test_model_versions_alias_rm(model_dir: Path, repo: Path) -> None:
    _ok("model", "add", str(model_dir), "--name", "org/tiny", repo=repo)
    (model_dir / "config.json").write_text('{"model_type": "bert", "v": 2}')
    _ok(
        "model",
        "add",
        str(model_dir),
        "--name",
        "org/tiny",
        "--base-model",
        "org/tiny@1",
        repo=repo,
    )
    _ok("model", "alias", "org/tiny@1", "stable", repo=repo)
    listed = _ok("model", "ls", "org/tiny", repo=repo)
    assert "org/tiny@1 (stable)" in listed
    assert "org/tiny@2" in listed
    assert "lineage    org/tiny@1" in _ok("model", "show", "org/tiny@2", repo=repo)
    _ok("model", "rm", "org/tiny@2", repo=repo)
    assert "org/tiny@2" not in _ok("model", "ls", repo=repo)


def test_dataset_add_ls_show_load(repo: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(3)
    table = pa.table({"id": np.arange(1000), "x": rng.standard_normal(1000)})
    csv = tmp_path / "train.csv"
    pacsv.write_csv(table, csv)
    added = json.loads(
        _ok(
            "dataset",
            "add",
            str(csv),
            "--name",
            "org/points",
            "--rows-per-shard",
            "300",
            "--json",
            repo=repo,
        )
    )
    assert added["Rows"] == {"train": 1000}
    shown = json.loads(_ok("dataset", "show", "org/points", "--json", repo=repo))
    assert [s["rows"] for s in shown["Splits"]["train"]] == [300, 300, 300, 100]
    assert "org/points@1" in _ok("dataset", "ls", repo=repo)

    out = tmp_path / "back.parquet"
    _ok("dataset", "load", "org/points", "-o", str(out), repo=repo)
    assert pq.read_table(out).equals(pacsv.read_csv(csv))
    head = [
        json.loads(x)
        for x in _ok(
            "dataset", "load", "org/points", "--head", "2", "--json", repo=repo
        ).splitlines()
    ]
    assert head == pacsv.read_csv(csv).slice(0, 2).to_pylist()
