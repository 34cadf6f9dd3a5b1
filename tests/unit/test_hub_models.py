"""ModelRegistry on small synthetic models: records, snapshots, ranged tensor loads, dedup.

Golden values come from other implementations: the ``safetensors`` library writes the
files and reports their tensors, ``huggingface_hub`` and ``transformers`` find and load
what we materialise, ``hashlib`` gives the independent chunk counts. Hostile inputs
(corrupt blocks, lying records, bad headers, pickles, escaping links) must each raise
one typed error and leave nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_key, flatfs_shard
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    DecodeError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
    PickleRefusedError,
    RefNotFoundError,
    UnsupportedError,
)
from ipfs_kit_py.hub import ModelRecord, ModelRegistry

MiB = 1 << 20


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo") as opened:
        yield opened


@pytest.fixture
def models(api: IPFSSimpleAPI) -> ModelRegistry:
    return ModelRegistry(api)


def write_model(
    directory: Path,
    tensors: dict[str, torch.Tensor],
    *,
    metadata: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> Path:
    """A model directory: ``model.safetensors`` written by the library, and config.json."""
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, directory / "model.safetensors", metadata=metadata)
    config = config or {"model_type": "toy", "architectures": ["ToyModel"], "hidden": 4}
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def random_tensors(seed: int, sizes: dict[str, int]) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {name: torch.randn(n, generator=gen) for name, n in sizes.items()}


def every_dtype() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    f = torch.randn(3, 5, generator=gen)
    ints = np.arange(-7, 8).reshape(3, 5)
    return {
        "f64": f.double(),
        "f32": f,
        "f16": f.half(),
        "bf16": f.bfloat16(),
        "f8": f.to(torch.float8_e4m3fn),
        "i64": torch.from_numpy(ints.astype(np.int64)),
        "i32": torch.from_numpy(ints.astype(np.int32)),
        "i16": torch.from_numpy(ints.astype(np.int16)),
        "i8": torch.from_numpy(ints.astype(np.int8)),
        "u8": torch.from_numpy((ints + 7).astype(np.uint8)),
        "u16": torch.from_numpy((ints + 60000).astype(np.uint16)),
        "u32": torch.from_numpy((ints + 4_000_000_000).astype(np.uint32)),
        "u64": torch.from_numpy(ints.astype(np.uint64) + np.uint64(2**63)),
        "bool": f > 0,
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
    }


def raw_safetensors(header: dict[str, Any], data: bytes) -> bytes:
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + data


def block_file(api: IPFSSimpleAPI, cid: CID) -> Path:
    key = flatfs_key(cid.multihash)
    return api.node.path / "blocks" / flatfs_shard(key) / f"{key}.data"


def flip_byte(api: IPFSSimpleAPI, cid: CID) -> None:
    path = block_file(api, cid)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    path.write_bytes(bytes(raw))


def as_bytes(t: torch.Tensor) -> bytes:
    return bytes(t.contiguous().flatten().view(torch.uint8).numpy().tobytes())


def hostile(api: IPFSSimpleAPI, record: ModelRecord, change: Any) -> str:
    """A copy of ``record``'s block edited by ``change(doc)``, stored unlisted."""
    doc = api.dag_get(record.cid)
    change(doc)
    return str(api.dag_put(doc, pin=False))


def chunk_digests(*directories: Path) -> dict[str, int]:
    """Distinct 1 MiB chunks (sha256 → length) of every file under ``directories``."""
    out: dict[str, int] = {}
    for directory in directories:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for i in range(0, max(len(data), 1), MiB):
                piece = data[i : i + MiB]
                out[hashlib.sha256(piece).hexdigest()] = len(piece)
    return out


def stored_blocks(api: IPFSSimpleAPI) -> int:
    return api.repo_stat().num_objects


# -- registering and resolving ---------------------------------------------------------------


def test_add_records_files_config_and_the_add_path_root(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"a": 100, "b": 50}))
    (src / "sub").mkdir()
    (src / "sub" / "notes.txt").write_text("hi")
    record = models.add(src, name="org/toy", aliases=["prod"], tags=["demo"])
    assert (record.name, record.version, record.aliases, record.tags) == (
        "org/toy",
        "1",
        ("prod",),
        ("demo",),
    )
    assert (record.model_type, record.architectures) == ("toy", ("ToyModel",))
    assert [(f.path, f.format) for f in record.files] == [
        ("config.json", "other"),
        ("model.safetensors", "safetensors"),
        ("sub/notes.txt", "other"),
    ]
    for item in record.files:
        data = (src / item.path).read_bytes()
        assert (item.size, item.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert record.root == api.add_path(src, pin=False)[-1].cid  # `ipfs add -r` of the directory
    doc = api.dag_get(record.cid)
    assert doc["schema"] == "ipfs-kit/model/1"
    assert doc["root"] == record.root
    assert doc["profile"] == "unixfs-v1-2025"
    # every spelling of the reference resolves to the same record
    for ref in ("org/toy", "org/toy@1", "org/toy@prod", str(record.cid), f"/ipfs/{record.cid}"):
        assert models.get(ref) == record
    assert models.get(record.cid) == record


def test_the_record_is_deterministic_but_for_its_timestamp(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    src = write_model(tmp_path / "m", random_tensors(2, {"a": 10}))
    one, two = models.add(src, name="toy"), models.add(src, name="toy", version="1b")
    a, b = api.dag_get(one.cid), api.dag_get(two.cid)
    for doc in (a, b):
        del doc["created"], doc["version"]
    assert a == b
    assert one.created.endswith("Z")


def test_versions_aliases_lineage_list_remove(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    base = models.add(write_model(tmp_path / "a", random_tensors(1, {"w": 8})), name="org/m")
    tuned = models.add(
        write_model(tmp_path / "b", random_tensors(2, {"w": 8})),
        name="org/m",
        base_model="org/m@1",
        aliases=["prod"],
    )
    third = models.add(
        write_model(tmp_path / "c", random_tensors(3, {"w": 8})),
        name="org/other",
        version="2024.1",
        base_model=tuned.cid,
    )
    assert (base.version, tuned.version, tuned.base_model) == ("1", "2", base.cid)
    assert models.get("org/m").cid == tuned.cid  # newest
    assert [r.cid for r in models.lineage("org/other@2024.1")] == [third.cid, tuned.cid, base.cid]
    assert [r.ref for r in models.list()] == ["org/m@1", "org/m@2", "org/other@2024.1"]
    assert [r.ref for r in models.list("org/m")] == ["org/m@1", "org/m@2"]
    moved = models.alias("org/m@1", "prod")
    assert moved.aliases == ("prod",)
    assert models.get("org/m@prod").cid == base.cid
    assert models.get("org/m@2").aliases == ()
    assert models.add(tmp_path / "a", name="org/m").version == "3"

    assert models.remove("org/m@1").cid == base.cid
    with pytest.raises(RefNotFoundError):
        models.get("org/m@1")
    with pytest.raises(RefNotFoundError):
        models.get("org/m@prod")  # aliases go with their version
    # the unlisted base is still linked by its descendant: GC keeps it
    api.gc()
    assert [r.cid for r in models.lineage(third.cid)][-1] == base.cid
    assert models.get(base.cid).ref == "org/m@1"  # by CID, from the record itself
    assert models.snapshot(base.cid, tmp_path / "out").is_dir()


def test_gc_keeps_listed_versions_and_reclaims_removed_ones(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 300_000})), name="m")
    assert api.gc().removed == ()
    models.snapshot("m", tmp_path / "ok")
    models.remove("m")
    removed = {c.multihash for c in api.gc().removed}
    assert record.root.multihash in removed
    assert record.cid.multihash in removed
    with pytest.raises(RefNotFoundError):
        models.get(record.cid)


def test_a_record_travels_to_another_node_as_a_car(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    import io

    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 20})), name="m")
    car = io.BytesIO()
    api.dag_export(record.cid, car)
    with IPFSSimpleAPI(tmp_path / "other") as other:
        other.dag_import(io.BytesIO(car.getvalue()))
        remote = ModelRegistry(other)
        got = remote.get(str(record.cid))
        assert (got.name, got.version, got.root, got.files) == (
            record.name,
            record.version,
            record.root,
            record.files,
        )
        out = remote.snapshot(record.cid, tmp_path / "out")
        assert (out / "model.safetensors").read_bytes() == (
            tmp_path / "m" / "model.safetensors"
        ).read_bytes()


# -- safetensors index and tensors -----------------------------------------------------------


def test_tensor_index_equals_what_the_safetensors_library_reports(
    models: ModelRegistry, tmp_path: Path
) -> None:
    src = write_model(tmp_path / "m", every_dtype(), metadata={"format": "pt", "note": "x"})
    path = src / "model.safetensors"
    index = models.tensors(models.add(src, name="toy"), "model.safetensors")
    raw = path.read_bytes()
    with safe_open(path, framework="pt") as f:
        assert index.keys() == sorted(f.keys())
        assert index.metadata == f.metadata()
        for name in f.keys():  # noqa: SIM118 - safe_open is not a dict
            info, expected = index[name], f.get_slice(name)
            assert (info.dtype, list(info.shape)) == (expected.get_dtype(), expected.get_shape())
            assert raw[info.begin : info.end] == as_bytes(f.get_tensor(name))  # absolute range
    assert index.file_size == len(raw)
    assert index.header_size == 8 + struct.unpack("<Q", raw[:8])[0]


NUMPY_DTYPES = ["f64", "f32", "f16", "i64", "i32", "i16", "i8", "u8", "u16", "u32", "u64"]


@pytest.mark.parametrize("name", [*NUMPY_DTYPES, "bool", "scalar", "empty"])
def test_load_tensor_numpy_equals_safe_open(
    models: ModelRegistry, tmp_path: Path, name: str
) -> None:
    src = write_model(tmp_path / "m", every_dtype())
    models.add(src, name="toy")
    got = models.load_tensor("toy", "model.safetensors", name)
    with safe_open(src / "model.safetensors", framework="np") as f:
        expected = f.get_tensor(name)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)
    assert got.flags.writeable


@pytest.mark.parametrize("name", ["bf16", "f8", "f16", "f32", "i64", "u16", "bool", "empty"])
def test_load_tensor_torch_equals_safe_open(
    models: ModelRegistry, tmp_path: Path, name: str
) -> None:
    src = write_model(tmp_path / "m", every_dtype())
    models.add(src, name="toy")
    got = models.load_tensor("toy", "model.safetensors", name, framework="pt")
    with safe_open(src / "model.safetensors", framework="pt") as f:
        expected = f.get_tensor(name)
    assert (got.dtype, got.shape) == (expected.dtype, expected.shape)
    assert as_bytes(got) == as_bytes(expected)


@pytest.mark.parametrize("name", ["bf16", "f8"])
def test_numpy_cannot_hold_bf16_or_f8(models: ModelRegistry, tmp_path: Path, name: str) -> None:
    models.add(write_model(tmp_path / "m", every_dtype()), name="toy")
    with pytest.raises(UnsupportedError, match='framework="pt"'):
        models.load_tensor("toy", "model.safetensors", name)
    with pytest.raises(InvalidInputError, match="framework"):
        models.load_tensor("toy", "model.safetensors", name, framework="jax")


def test_load_tensor_fetches_only_the_blocks_its_range_overlaps(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = {f"big{i}": 300_000 for i in range(6)} | {"tiny": 16}
    src = write_model(tmp_path / "m", random_tensors(5, sizes))
    record = models.add(src, name="toy")
    item = record.file("model.safetensors")
    leaves = list(api.refs(item.cid))  # 1 MiB raw leaves, in file order
    assert len(leaves) == -(-item.size // MiB) > 6
    fetched: list[CID] = []
    get = api.node.blocks.get

    def counting_get(cid: CID) -> bytes:
        fetched.append(cid)
        return get(cid)

    monkeypatch.setattr(api.node.blocks, "get", counting_get)
    index = models.tensors(record, "model.safetensors")
    roots_read = 0
    with safe_open(src / "model.safetensors", framework="pt") as f:
        for name in sizes:
            fetched.clear()
            models._leaves.clear()  # each read alone: which leaves does its range need?
            read = models.read_tensor(record, "model.safetensors", name)
            info = read.tensor
            expected = {leaves[i] for i in range(info.begin // MiB, (info.end - 1) // MiB + 1)}
            assert {c for c in fetched if c.codec_name == "raw"} == expected
            # the file's root node on top, read at most once: the API's node cache keeps it
            roots_read += read.blocks_fetched - len(expected)
            assert [c for c in fetched if c.codec_name != "raw"] in ([], [item.cid])
            assert read.bytes_fetched <= len(expected) * MiB + 1024
            assert bytes(read.data) == as_bytes(f.get_tensor(name))
            assert info == index[name]
    assert roots_read <= 1
    tiny = models.read_tensor(record, "model.safetensors", "tiny")
    assert tiny.bytes_fetched * 4 < item.size


def test_a_model_read_tensor_by_tensor_fetches_each_leaf_once(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = {f"t{i:02d}": 40_000 for i in range(60)}  # 160 kB each: several per 1 MiB leaf
    src = write_model(tmp_path / "m", random_tensors(9, sizes))
    record = models.add(src, name="toy")
    item = record.file("model.safetensors")
    leaves = list(api.refs(item.cid))
    fetched: list[CID] = []
    get = api.node.blocks.get

    def counting_get(cid: CID) -> bytes:
        fetched.append(cid)
        return get(cid)

    monkeypatch.setattr(api.node.blocks, "get", counting_get)
    names = models.tensors(record, "model.safetensors").keys()  # in file order
    with safe_open(src / "model.safetensors", framework="pt") as f:
        for name in names:
            assert bytes(models.read_tensor(record, "model.safetensors", name).data) == as_bytes(
                f.get_tensor(name)
            )
    raw = [c for c in fetched if c.codec_name == "raw"]
    assert sorted(map(str, raw)) == sorted(map(str, leaves))  # every leaf, each once


def test_reading_tensors_of_files_that_are_not_safetensors(
    models: ModelRegistry, tmp_path: Path
) -> None:
    models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 4})), name="toy")
    with pytest.raises(UnsupportedError, match="not a safetensors"):
        models.load_tensor("toy", "config.json", "w")
    with pytest.raises(PathNotFoundError):
        models.load_tensor("toy", "nope.safetensors", "w")
    with pytest.raises(RefNotFoundError, match="no tensor 'x'"):
        models.load_tensor("toy", "model.safetensors", "x")


# -- snapshots -------------------------------------------------------------------------------


def test_plain_snapshot_is_the_directory_again(models: ModelRegistry, tmp_path: Path) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"a": 300_000, "b": 7}))
    (src / "1_Pooling").mkdir()
    (src / "1_Pooling" / "config.json").write_text("{}")
    models.add(src, name="toy")
    out = models.snapshot("toy", tmp_path / "out")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["1_Pooling/config.json", "config.json", "model.safetensors"]
    for rel in written:
        assert (out / rel).read_bytes() == (src / rel).read_bytes()
    only = models.snapshot("toy", tmp_path / "some", allow_patterns=["*.json", "1_Pooling/"])
    assert sorted(p.name for p in only.rglob("*") if p.is_file()) == ["config.json"] * 2
    skip = models.snapshot("toy", tmp_path / "skip", ignore_patterns="*.safetensors")
    assert not (skip / "model.safetensors").exists()
    with pytest.raises(InvalidInputError, match="no file"):
        models.snapshot("toy", tmp_path / "none", allow_patterns="*.gguf")
    with pytest.raises(InvalidInputError, match="layout"):
        models.snapshot("toy", tmp_path / "x", layout="zip")


def test_transformers_and_huggingface_hub_load_both_layouts(
    models: ModelRegistry, tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download, snapshot_download
    from transformers import AutoModel, BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    original = BertModel(config).eval()
    original.save_pretrained(tmp_path / "tiny")
    record = models.add(tmp_path / "tiny", name="org/tiny-bert")
    assert record.architectures == ("BertModel",)
    expected = original.state_dict()

    plain = AutoModel.from_pretrained(models.snapshot("org/tiny-bert", tmp_path / "plain"))
    cache = tmp_path / "cache"
    snap = models.snapshot("org/tiny-bert", cache, layout="hf-cache")
    from_cache = AutoModel.from_pretrained("org/tiny-bert", cache_dir=cache, local_files_only=True)
    for loaded in (plain, from_cache):
        got = loaded.state_dict()
        assert got.keys() == expected.keys()
        assert all(torch.equal(got[k], expected[k]) for k in expected)

    repo = cache / "models--org--tiny-bert"
    revision = (repo / "refs" / "main").read_text()
    assert snap == repo / "snapshots" / revision
    assert revision == record.cid.digest.hex()[:40]
    assert snapshot_download("org/tiny-bert", cache_dir=cache, local_files_only=True) == str(snap)
    path = hf_hub_download("org/tiny-bert", "config.json", cache_dir=cache, local_files_only=True)
    assert Path(path) == snap / "config.json"
    for blob in (repo / "blobs").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    for link in snap.iterdir():
        assert link.is_symlink()
        assert not os.path.isabs(os.readlink(link))
    # a Hugging Face cache snapshot adds back to the same tree
    assert models.add(snap, name="org/tiny-bert").root == record.root
    # and a second snapshot into the same cache reuses the verified blobs
    assert models.snapshot("org/tiny-bert@1", cache, layout="hf-cache") == snap


def test_pickle_weights_are_refused_unless_allowed(models: ModelRegistry, tmp_path: Path) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"w": 4}))
    torch.save({"w": torch.ones(2)}, src / "pytorch_model.bin")
    record = models.add(src, name="toy")
    assert record.file("pytorch_model.bin").format == "pickle"
    out = tmp_path / "out"
    with pytest.raises(PickleRefusedError, match="allow_pickle=True") as caught:
        models.snapshot("toy", out)
    assert caught.value.files == ("pytorch_model.bin",)
    assert "ignore_patterns=['*.bin']" in str(caught.value)
    assert not out.exists()  # refused before anything was written
    with pytest.raises(PickleRefusedError):
        models.snapshot("toy", out, layout="hf-cache")
    assert not out.exists()
    kept = models.snapshot("toy", out, ignore_patterns=["*.bin"])
    assert sorted(p.name for p in kept.iterdir()) == ["config.json", "model.safetensors"]
    allowed = models.snapshot("toy", tmp_path / "all", allow_pickle=True)
    assert torch.equal(torch.load(allowed / "pytorch_model.bin")["w"], torch.ones(2))
    with pytest.raises(PickleRefusedError):
        models.load_tensor("toy", "pytorch_model.bin", "w")
    with pytest.raises(UnsupportedError, match="pickle"):
        models.load_tensor("toy", "pytorch_model.bin", "w", allow_pickle=True)


# -- hostile and broken input ----------------------------------------------------------------


def test_a_corrupted_block_fails_snapshot_and_load_tensor(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"a": 300_000, "b": 300_000}))
    record = models.add(src, name="toy")
    item = record.file("model.safetensors")
    index = models.tensors(record, "model.safetensors")
    last = index["b"] if index["b"].begin > index["a"].begin else index["a"]
    first = index["a"] if last is index["b"] else index["b"]
    leaves = list(api.refs(item.cid))
    flip_byte(api, leaves[-1])  # the last leaf: inside the last tensor only
    assert first.end <= (len(leaves) - 1) * MiB
    out = tmp_path / "out"
    with pytest.raises(IntegrityError):
        models.snapshot("toy", out)
    assert not (out / "model.safetensors").exists()
    assert [p.name for p in out.iterdir()] == ["config.json"]  # verified, kept; no temp files
    with pytest.raises(IntegrityError):
        models.load_tensor("toy", "model.safetensors", last.name)
    models.load_tensor("toy", "model.safetensors", first.name)  # its blocks are intact
    with pytest.raises(IntegrityError):
        models.verify("toy")


def test_a_record_whose_sha256_lies_fails_snapshot(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 10})), name="toy")

    def lie(doc: dict[str, Any]) -> None:
        doc["files"][1]["sha256"] = hashlib.sha256(b"something else").hexdigest()

    bad = hostile(api, record, lie)
    assert models.get(bad).name == "toy"  # well formed: only the bytes tell
    out = tmp_path / "out"
    with pytest.raises(IntegrityError, match=r"model\.safetensors"):
        models.snapshot(bad, out)
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]
    with pytest.raises(IntegrityError):
        models.snapshot(bad, tmp_path / "cache", layout="hf-cache")
    assert not list((tmp_path / "cache").rglob("snapshots"))
    with pytest.raises(IntegrityError):
        models.verify(bad)


def _set(path: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (_set("files.0.path", "../evil"), InvalidInputError),
        (_set("files.0.path", "/etc/evil"), InvalidInputError),
        (_set("files.0.path", "a/../../evil"), InvalidInputError),
        (_set("schema", "ipfs-kit/model/0"), DecodeError),
        (_set("files", "nope"), DecodeError),
        (_set("files", []), DecodeError),
        (_set("files.0.sha256", "abc"), DecodeError),
        (_set("files.0.size", "10"), DecodeError),
        (_set("files.1.format", "other"), DecodeError),  # a .safetensors called "other"
        (_set("files.1.path", "pytorch_model.bin"), DecodeError),  # a pickle called safetensors
        (lambda doc: doc["files"].__setitem__(0, dict(doc["files"][1])), DecodeError),  # twice
        (lambda doc: doc["files"][1].pop("tensors"), DecodeError),
        (_set("root", "bafy"), DecodeError),
        (_set("base_model", 7), DecodeError),
        (_set("name", "../x"), DecodeError),
        (_set("version", ""), DecodeError),
        (_set("config", {"model_type": 3}), DecodeError),
        (lambda doc: doc.pop("created"), DecodeError),
    ],
)
def test_hostile_records_are_refused(
    models: ModelRegistry,
    api: IPFSSimpleAPI,
    tmp_path: Path,
    change: Any,
    error: type[Exception],
) -> None:
    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 10})), name="toy")
    bad = hostile(api, record, change)
    with pytest.raises(error):
        models.get(bad)
    with pytest.raises(error):
        models.snapshot(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil").exists()


def test_a_file_and_a_directory_of_the_same_name_are_refused(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 10})), name="toy")

    def clash(doc: dict[str, Any]) -> None:
        doc["files"].append(dict(doc["files"][0], path="config.json/inner"))

    with pytest.raises(DecodeError, match="both a file and a directory"):
        models.get(hostile(api, record, clash))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.__setitem__(1, dict(t[1], begin=t[1]["begin"] - 4)),  # overlaps t[0]
        lambda t: t.__setitem__(0, dict(t[0], end=t[0]["end"] + 4)),  # overlaps t[1]
        lambda t: t.__setitem__(1, dict(t[1], end=t[1]["end"] + 4, begin=t[1]["begin"] + 4)),
        lambda t: t.__setitem__(0, dict(t[0], dtype="F99")),
        lambda t: t.__setitem__(0, dict(t[0], shape=[3])),
        lambda t: t.append(dict(t[0])),
    ],
)
def test_a_hostile_tensor_index_is_refused(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path, change: Any
) -> None:
    record = models.add(
        write_model(tmp_path / "m", random_tensors(1, {"a": 4, "b": 4})), name="toy"
    )
    item = record.file("model.safetensors")
    assert item.tensors is not None
    index = api.dag_get(item.tensors)
    change(index["tensors"])
    bad_index = api.dag_put(index, pin=False)
    bad = hostile(api, record, _set("files.1.tensors", bad_index))
    with pytest.raises(DecodeError):
        models.load_tensor(bad, "model.safetensors", "a")


def test_verify_catches_an_index_that_disagrees_with_the_header(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    record = models.add(
        write_model(tmp_path / "m", random_tensors(1, {"a": 4, "b": 4})), name="toy"
    )
    assert models.verify("toy") == record
    item = record.file("model.safetensors")
    assert item.tensors is not None
    index = api.dag_get(item.tensors)
    first, second = index["tensors"]
    first["name"], second["name"] = second["name"], first["name"]  # well formed, but a lie
    bad = hostile(api, record, _set("files.1.tensors", api.dag_put(index, pin=False)))
    with pytest.raises(IntegrityError, match="tensor index"):
        models.verify(bad)


def _header(**tensors: tuple[str, list[int], list[int]]) -> dict[str, Any]:
    return {n: {"dtype": d, "shape": s, "data_offsets": o} for n, (d, s, o) in tensors.items()}


GOOD = raw_safetensors(_header(a=("F32", [2], [0, 8]), b=("U8", [4], [8, 12])), bytes(12))
OVERLAP = raw_safetensors(_header(a=("F32", [2], [0, 8]), b=("U8", [4], [4, 8])), bytes(8))
HOLE = raw_safetensors(_header(a=("F32", [2], [0, 8]), b=("U8", [4], [9, 13])), bytes(13))
TRAILING = raw_safetensors(_header(a=("F32", [2], [0, 8])), bytes(9))
TOO_SMALL = raw_safetensors(_header(a=("F32", [3], [0, 8])), bytes(8))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (GOOD[:-1], "past the"),  # truncated data
        (GOOD[:20], "past the"),  # truncated inside the header
        (b"\x01\x00", "fewer than 8"),
        (struct.pack("<Q", 10_000) + b"{}", "runs past"),  # header length beyond the file
        (struct.pack("<Q", 1 << 40) + b"{}", "out of range"),
        (OVERLAP, "overlapping"),
        (HOLE, "hole"),
        (TRAILING, "trailing"),
        (TOO_SMALL, "needs 12 bytes"),
        (raw_safetensors(_header(a=("Q7", [2], [0, 8])), bytes(8)), "unknown dtype"),
        (raw_safetensors(_header(a=("F32", [-2], [0, 8])), bytes(8)), "shape"),
        (raw_safetensors({"__metadata__": {"k": 1}}, b""), "__metadata__"),
        (struct.pack("<Q", 5) + b'{"a":', "JSON"),
        (struct.pack("<Q", 4) + b"[1] ", "JSON object"),
        (struct.pack("<Q", 15) + b'{"a": 1,"a": 2}', "repeats"),
    ],
)
def test_a_bad_safetensors_file_is_refused_at_add_with_nothing_stored(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path, data: bytes, match: str
) -> None:
    src = tmp_path / "m"
    src.mkdir()
    (src / "config.json").write_text("{}")
    (src / "model.safetensors").write_bytes(data)
    before = stored_blocks(api)
    with pytest.raises(DecodeError, match=match):
        models.add(src, name="toy")
    assert stored_blocks(api) == before
    assert models.list() == []


@pytest.mark.parametrize("data", [GOOD[:-1], OVERLAP, HOLE, TRAILING, TOO_SMALL])
def test_the_library_refuses_what_we_refuse(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(GOOD)
    with safe_open(path, framework="np") as f:  # the good file is one the library accepts
        assert sorted(f.keys()) == ["a", "b"]
    path.write_bytes(data)
    with pytest.raises(SafetensorError):
        safe_open(path, framework="np")


def test_links_leaving_the_directory_and_special_files_are_refused(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    src = write_model(tmp_path / "m", random_tensors(1, {"w": 4}))
    (src / "leak.txt").symlink_to(outside)
    before = stored_blocks(api)
    with pytest.raises(InvalidInputError, match="links outside"):
        models.add(src, name="toy")
    (src / "leak.txt").unlink()
    os.mkfifo(src / "pipe")
    with pytest.raises(InvalidInputError, match="not a regular file"):
        models.add(src, name="toy")
    (src / "pipe").unlink()
    (src / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(InvalidInputError, match="symlinked directories"):
        models.add(src, name="toy")
    assert stored_blocks(api) == before
    with pytest.raises(InvalidInputError, match="not a directory"):
        models.add(src / "config.json", name="toy")


def test_a_cache_snapshot_may_link_into_its_blobs_only(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    repo = tmp_path / "cache" / "models--org--m"
    snap = repo / "snapshots" / ("0" * 40)
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    (repo / "blobs" / "abc").write_text("{}")
    (snap / "config.json").symlink_to("../../blobs/abc")
    assert models.add(snap, name="org/m").file("config.json").size == 2
    (tmp_path / "elsewhere").write_text("x")
    (snap / "extra.txt").symlink_to("../../../../elsewhere")
    with pytest.raises(InvalidInputError, match="links outside"):
        models.add(snap, name="org/m")


def test_unknown_refs_and_duplicate_versions(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"w": 4}))
    models.add(src, name="toy", version="1")
    for ref in ("nope", "toy@7", str(Block.encode({"never": "stored"}, "dag-cbor").cid)):
        with pytest.raises(RefNotFoundError):
            models.get(ref)
    with pytest.raises(RefNotFoundError):
        models.snapshot("toy@7", tmp_path / "out")
    with pytest.raises(InvalidInputError):
        models.get("bad name")
    with pytest.raises(DecodeError, match="not a model record"):
        models.get(str(api.dag_put({"hello": "world"}, pin=False)))
    before = stored_blocks(api)
    with pytest.raises(InvalidInputError, match="already registered"):
        models.add(src, name="toy", version="1")
    assert stored_blocks(api) == before
    with pytest.raises(RefNotFoundError):
        models.add(src, name="toy", base_model="ghost@1")
    with pytest.raises(InvalidInputError):
        models.add(src, name="toy", aliases=["bad alias"])
    assert [r.version for r in models.list()] == ["1"]


def test_an_invalid_config_json_is_refused(models: ModelRegistry, tmp_path: Path) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"w": 4}))
    (src / "config.json").write_text("{not json")
    with pytest.raises(DecodeError, match=r"config\.json"):
        models.add(src, name="toy")


# -- dedup -----------------------------------------------------------------------------------


def test_dedup_of_two_versions_differing_in_one_tensor(
    models: ModelRegistry, tmp_path: Path
) -> None:
    sizes = {f"layer{i}": 400_000 for i in range(6)}  # 1.6 MB each: ~9 MiB of weights
    tensors = random_tensors(7, sizes)
    one = write_model(tmp_path / "v1", tensors)
    tensors["layer3"] = tensors["layer3"] + 1.0  # same dtype and shape: same offsets
    two = write_model(tmp_path / "v2", tensors)
    models.add(one, name="m")
    models.add(two, name="m")
    report = models.dedup("m@1", "m@2")

    chunks_a, chunks_b = chunk_digests(one), chunk_digests(two)
    shared = chunks_a.keys() & chunks_b.keys()
    new = chunks_b.keys() - chunks_a.keys()
    assert report.blocks_shared == len(shared)
    assert report.bytes_shared == sum(chunks_b[d] for d in shared)
    # new: the changed chunks, plus the changed file's root node and the directory node
    assert report.blocks_new == len(new) + 2
    assert report.bytes_new > sum(chunks_b[d] for d in new)
    assert report.blocks_b == len(chunks_b) + 2
    assert report.files_changed == ("model.safetensors",)
    assert report.files_added == report.files_removed == ()
    assert len(new) <= 3  # a 1.6 MB tensor touches at most three 1 MiB chunks
    assert report.shared_fraction > 0.6
    same = models.dedup("m@1", "m@1")
    assert same.bytes_new == 0
    assert same.shared_fraction == 1.0


def test_a_collection_started_during_add_waits_and_removes_nothing(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_model(tmp_path / "m", random_tensors(1, {"w": 300_000}))
    put = api.dag_put
    collections: list[Any] = []
    threads: list[threading.Thread] = []

    def put_then_collect(value: Any, **options: Any) -> CID:
        cid = put(value, **options)
        if not threads and isinstance(value, dict) and value.get("schema") == "ipfs-kit/model/1":
            # the record is stored but not yet listed: the riskiest moment for a GC
            threads.append(threading.Thread(target=lambda: collections.append(api.gc())))
            threads[0].start()
            while not (api.node.gc_lock.gc_requested or collections):  # it waits for the add
                time.sleep(0.001)
        return cid

    monkeypatch.setattr(api, "dag_put", put_then_collect)
    record = models.add(src, name="toy")
    threads[0].join()
    assert collections[0].removed == ()
    out = models.snapshot(record.cid, tmp_path / "out")
    assert (out / "model.safetensors").read_bytes() == (src / "model.safetensors").read_bytes()


def test_the_hub_package_exports_the_model_types() -> None:
    import ipfs_kit_py.hub as hub

    for name in ("DedupReport", "ModelFile", "ModelRecord", "ModelRegistry", "TensorRead"):
        assert name in hub.__all__
        assert getattr(hub, name).__module__ == "ipfs_kit_py.hub._models"


def test_lineage_refuses_a_chain_too_long_to_be_honest(
    models: ModelRegistry, api: IPFSSimpleAPI, tmp_path: Path
) -> None:
    record = models.add(write_model(tmp_path / "m", random_tensors(1, {"w": 4})), name="toy")
    doc = api.dag_get(record.cid)
    tip = record.cid
    for _ in range(70):  # content addressing rules out cycles; depth is what is left to bound
        doc["base_model"] = tip
        tip = api.dag_put(doc, pin=False)
    assert len(models.lineage(record.cid)) == 1
    with pytest.raises(DecodeError, match="longer than"):
        models.lineage(tip)
