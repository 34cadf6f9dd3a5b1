"""DatasetRegistry: every source kind round-trips through sharded Parquet, verified.

Golden values come from the libraries themselves: pyarrow reading the original file,
pandas' own readers, ``datasets.load_dataset`` of the original; the registry's output
must equal them. Everything runs offline: the Hugging Face variables point into
``tmp_path`` and ``datasets`` is told it is offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.feather as feather
import pyarrow.json as pjson
import pyarrow.parquet as pq
import pytest
import yaml

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_key, flatfs_shard
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.errors import (
    DecodeError,
    IntegrityError,
    InvalidInputError,
    RefNotFoundError,
    UnsupportedError,
)
from ipfs_kit_py.hub import DatasetRegistry
from ipfs_kit_py.hub._datasets import SCHEMA, DatasetRecord

datasets = pytest.importorskip("datasets")


@pytest.fixture(autouse=True)
def hf_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hugging Face libraries offline, their caches in ``tmp_path`` (already-read config too)."""
    home = tmp_path / "hf"
    env = {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(home),
        "HF_DATASETS_CACHE": str(home / "datasets"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")
    datasets.disable_progress_bars()
    return home


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo") as opened:
        yield opened


@pytest.fixture
def registry(api: IPFSSimpleAPI) -> DatasetRegistry:
    return DatasetRegistry(api)


def frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Flat columns every format can hold: ints, floats, strings, booleans."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "score": rng.normal(size=n),
            "text": [
                f"row {i} " + "ab"[int(b)] * int(k)
                for i, (b, k) in enumerate(
                    zip(rng.integers(0, 2, n), rng.integers(1, 20, n), strict=True)
                )
            ],
            "flag": rng.random(n) > 0.5,
        }
    )


def nested_table(n: int = 300, seed: int = 1) -> pa.Table:
    """Types only Arrow-native sources carry: lists, structs, timestamps, nulls, int8."""
    rng = np.random.default_rng(seed)
    lists = [list(map(int, rng.integers(0, 9, int(k)))) for k in rng.integers(0, 5, n)]
    return pa.table(
        {
            "id": pa.array(np.arange(n), pa.int64()),
            "small": pa.array(rng.integers(-100, 100, n), pa.int8()),
            "tokens": pa.array(lists, pa.list_(pa.int64())),
            "point": pa.array(
                [{"x": float(x), "y": float(y)} for x, y in rng.normal(size=(n, 2))],
                pa.struct([("x", pa.float64()), ("y", pa.float64())]),
            ),
            "when": pa.array(rng.integers(0, 10**12, n), pa.timestamp("ms")),
            "maybe": pa.array([None if i % 3 == 0 else f"v{i}" for i in range(n)], pa.string()),
        }
    )


def hf_load(kind: str, files: Any, cache: Path, **kwargs: Any) -> Any:
    """``datasets.load_dataset`` of original files: the golden ``datasets`` result."""
    return datasets.load_dataset(kind, data_files=files, cache_dir=str(cache), **kwargs)


def assert_same_dataset(ours: Any, theirs: Any) -> None:
    assert ours.features == theirs.features
    assert ours.num_rows == theirs.num_rows
    assert ours.data.table.equals(theirs.data.table)


def front_matter(readme: Path) -> dict[str, Any]:
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    loaded: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
    return loaded


def block_file(api: IPFSSimpleAPI, cid: CID) -> Path:
    key = flatfs_key(cid.multihash)
    return api.node.path / "blocks" / flatfs_shard(key) / f"{key}.data"


class CountingGet:
    """Wraps the blockstore's ``get`` to record every block fetched."""

    def __init__(self, api: IPFSSimpleAPI) -> None:
        self.inner = api.node.blocks.get
        self.fetched: set[bytes] = set()

    def __call__(self, cid: CID) -> bytes:
        self.fetched.add(cid.multihash)
        return self.inner(cid)


# -- round trips, one per source kind --------------------------------------------------------


def test_parquet_file_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    path = tmp_path / "orig.parquet"
    frame().to_parquet(path)
    record = registry.add(path, name="t/parquet")
    assert registry.load("t/parquet").equals(pq.read_table(path))
    pd.testing.assert_frame_equal(
        registry.load("t/parquet", format="pandas"), pd.read_parquet(path)
    )
    ours = registry.load("t/parquet", format="datasets")
    assert_same_dataset(ours, hf_load("parquet", str(path), tmp_path / "c", split="train"))
    again = registry.load("t/parquet", format="datasets")
    assert again.cache_files == ours.cache_files  # converted once, memory-mapped after
    assert Path(ours.cache_files[0]["filename"]).parent == tmp_path / "hf" / "datasets" / "ipfs_kit"
    picked = registry.load("t/parquet", format="datasets", columns=["text", "id"])
    assert picked.column_names == ["text", "id"]
    assert picked["id"] == list(range(500))
    assert record.num_rows == {"train": 500}
    assert record.rows == 500


def test_csv_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    path = tmp_path / "orig.csv"
    frame().to_csv(path, index=False)
    registry.add(path, name="t/csv")
    assert registry.load("t/csv").equals(pcsv.read_csv(path))
    pd.testing.assert_frame_equal(registry.load("t/csv", format="pandas"), pd.read_csv(path))
    ours = registry.load("t/csv", format="datasets")
    theirs = hf_load("csv", str(path), tmp_path / "c", split="train")
    # datasets parses CSV with pandas, whose strings become large_string; we parse with
    # pyarrow (string). Same values, same features otherwise.
    assert ours.to_dict() == theirs.to_dict()
    assert {k: getattr(v, "dtype", v) for k, v in theirs.features.items()} == {
        "id": "int64",
        "score": "float64",
        "text": "large_string",
        "flag": "bool",
    }
    assert ours.features == datasets.Features.from_arrow_schema(pcsv.read_csv(path).schema)


def test_compressed_csv_and_tsv(registry: DatasetRegistry, tmp_path: Path) -> None:
    import gzip

    df = frame(50)
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(df.to_csv(index=False).encode()))
    (tmp_path / "b.tsv").write_text(df.to_csv(index=False, sep="\t"))
    registry.add(tmp_path / "a.csv.gz", name="t/gz")
    registry.add(tmp_path / "b.tsv", name="t/tsv")
    expected = pcsv.read_csv(pa.BufferReader(df.to_csv(index=False).encode()))
    assert registry.load("t/gz").equals(expected)
    assert registry.load("t/tsv").equals(expected)


def test_jsonl_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    path = tmp_path / "orig.jsonl"
    frame().to_json(path, orient="records", lines=True)
    registry.add(path, name="t/json")
    assert registry.load("t/json").equals(pjson.read_json(path))
    ours = registry.load("t/json", format="datasets")
    assert_same_dataset(ours, hf_load("json", str(path), tmp_path / "c", split="train"))


@pytest.mark.parametrize("kind", ["file", "stream", "feather"])
def test_arrow_ipc_round_trips(registry: DatasetRegistry, tmp_path: Path, kind: str) -> None:
    table = nested_table()
    path = tmp_path / ("orig.feather" if kind == "feather" else "orig.arrow")
    if kind == "feather":
        feather.write_feather(table, path)  # lz4-compressed IPC file
    else:
        opener = pa.ipc.new_file if kind == "file" else pa.ipc.new_stream
        with pa.OSFile(str(path), "wb") as sink, opener(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=70):
                writer.write_batch(batch)
    registry.add(path, name="t/arrow")
    assert registry.load("t/arrow").equals(feather.read_table(path) if kind != "stream" else table)
    ours = registry.load("t/arrow", format="datasets")
    if kind == "stream":  # datasets reads Arrow *stream* files (its own cache format)
        assert_same_dataset(ours, hf_load("arrow", str(path), tmp_path / "c", split="train"))
    else:
        pq.write_table(table, tmp_path / "same.parquet")
        golden = hf_load("parquet", str(tmp_path / "same.parquet"), tmp_path / "c", split="train")
        assert_same_dataset(ours, golden)


def test_pandas_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    df = frame()
    df["kind"] = pd.Categorical(np.where(df["flag"], "yes", "no"))
    df.index = pd.Index([f"k{i}" for i in range(len(df))], name="key")
    registry.add(df, name="t/pandas")
    pd.testing.assert_frame_equal(registry.load("t/pandas", format="pandas"), df)
    df.to_parquet(tmp_path / "orig.parquet")
    assert registry.load("t/pandas").equals(pq.read_table(tmp_path / "orig.parquet"))
    ours = registry.load("t/pandas", format="datasets")
    golden = hf_load("parquet", str(tmp_path / "orig.parquet"), tmp_path / "c", split="train")
    assert_same_dataset(ours, golden)
    # from_pandas keeps the categorical's large_string values; Parquet gives string back
    assert ours.to_dict() == datasets.Dataset.from_pandas(df).to_dict()
    pd.testing.assert_frame_equal(
        registry.load("t/pandas", columns=["score"], format="pandas"),
        pd.read_parquet(tmp_path / "orig.parquet", columns=["score"]),  # the index comes along
    )


def test_pyarrow_table_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    table = nested_table()
    record = registry.add(table, name="t/arrow", row_group_rows=64)
    assert registry.load("t/arrow").equals(table)
    assert record.schema.equals(table.schema)
    pq.write_table(table, tmp_path / "orig.parquet")
    golden = hf_load("parquet", str(tmp_path / "orig.parquet"), tmp_path / "c", split="train")
    assert_same_dataset(registry.load("t/arrow", format="datasets"), golden)
    assert registry.load("t/arrow", columns=["id", "point"]).equals(table.select(["id", "point"]))


def test_record_batch_reader_streams_in(registry: DatasetRegistry) -> None:
    table = nested_table(1000)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=99))
    registry.add(reader, name="t/reader")
    assert registry.load("t/reader").equals(table)


def test_datasets_dataset_round_trips(registry: DatasetRegistry) -> None:
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["neg", "pos"]),
            "emb": datasets.List(datasets.Value("float32"), length=4),
        }
    )
    rng = np.random.default_rng(2)
    ds = datasets.Dataset.from_dict(
        {
            "text": [f"t{i}" for i in range(200)],
            "label": list(map(int, rng.integers(0, 2, 200))),
            "emb": rng.random((200, 4)).astype(np.float32).tolist(),
        },
        features=features,
    )
    picked = ds.shuffle(seed=3).select(range(150))  # an indices mapping: rows in its order
    registry.add(picked, name="t/ds")
    ours = registry.load("t/ds", format="datasets")
    assert ours.features == features
    assert ours.to_dict() == picked.to_dict()
    assert registry.load("t/ds").equals(picked.flatten_indices().data.table)


def test_datasets_dict_round_trips(registry: DatasetRegistry, tmp_path: Path) -> None:
    df = frame(300)
    dd = datasets.DatasetDict(
        train=datasets.Dataset.from_pandas(df.iloc[:200], preserve_index=False),
        test=datasets.Dataset.from_pandas(df.iloc[200:], preserve_index=False),
    )
    record = registry.add(dd, name="t/dd")
    assert record.num_rows == {"train": 200, "test": 100}
    ours = registry.load("t/dd", format="datasets")
    assert isinstance(ours, datasets.DatasetDict)
    assert list(ours) == ["train", "test"]
    for split in ("train", "test"):
        assert_same_dataset(ours[split], dd[split])
    tables = registry.load("t/dd")
    assert set(tables) == {"train", "test"}
    assert tables["test"].equals(dd["test"].data.table)
    one = registry.load("t/dd", split="test", format="datasets")
    assert isinstance(one, datasets.Dataset)
    assert one.split == "test"
    assert_same_dataset(one, dd["test"])
    only = registry.add(dd, name="t/dd-test", split="test")
    assert only.num_rows == {"test": 100}


def test_mapping_and_directory_sources(registry: DatasetRegistry, tmp_path: Path) -> None:
    df = frame(120)
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    df.iloc[:50].to_csv(src / "train-0.csv", index=False)
    df.iloc[50:80].to_csv(src / "sub" / "train_1.csv", index=False)
    df.iloc[80:].to_csv(src / "test.csv", index=False)
    (src / "README.md").write_text("---\nlicense: old\n---\n# My data\n\nHello.\n")
    (src / ".gitattributes").write_text("*.csv text\n")
    record = registry.add(src, name="t/dir")
    assert record.num_rows == {"train": 80, "test": 40}
    assert list(record.splits) == ["train", "test"]  # train, validation, test, then others
    # files in path order, as datasets takes them: sub/train_1.csv, then train-0.csv
    expected = pcsv.read_csv(src / "sub" / "train_1.csv")
    expected = pa.concat_tables([expected, pcsv.read_csv(src / "train-0.csv")])
    assert registry.load("t/dir", split="train").equals(expected)
    card = registry.snapshot("t/dir", tmp_path / "snap") / "README.md"
    assert card.read_text().endswith("---\n# My data\n\nHello.\n")
    assert "license" not in front_matter(card)

    one = registry.add(src, name="t/dir-one", split="all")
    assert one.num_rows == {"all": 120}

    mapped = registry.add(
        {"train": [src / "train-0.csv", src / "sub" / "train_1.csv"], "test": src / "test.csv"},
        name="t/map",
        description="mixed sources",
    )
    assert mapped.num_rows == {"train": 80, "test": 40}
    assert mapped.description == "mixed sources"


# -- sharding and determinism ----------------------------------------------------------------


def test_shards_by_rows_keep_order(registry: DatasetRegistry) -> None:
    table = pa.Table.from_pandas(frame(1000), preserve_index=False)
    record = registry.add(table, name="t/rows", rows_per_shard=300, row_group_rows=128)
    shards = record.shards("train")
    assert [s.path for s in shards] == [f"data/train-0000{i}-of-00004.parquet" for i in range(4)]
    assert [s.rows for s in shards] == [300, 300, 300, 100]
    assert registry.load("t/rows").equals(table)
    with registry._open(shards[0]) as fp:
        meta = pq.ParquetFile(fp).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [128, 128, 44]
    assert meta.created_by.startswith("parquet-cpp-arrow")


def test_shards_by_bytes(registry: DatasetRegistry) -> None:
    rng = np.random.default_rng(4)
    table = pa.table({"blob": [rng.bytes(1000) for _ in range(2000)]})  # ~2 MB, incompressible
    record = registry.add(table, name="t/bytes", max_shard_bytes=400_000, row_group_rows=100)
    shards = record.shards("train")
    assert len(shards) >= 4
    assert all(s.size < 400_000 + 110_000 for s in shards)  # at most one row group over
    assert sum(s.rows for s in shards) == 2000
    assert registry.load("t/bytes").equals(table)


def test_same_rows_same_cids(registry: DatasetRegistry) -> None:
    table = nested_table(700)
    first = registry.add(table, name="t/det", row_group_rows=100, rows_per_shard=250)
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=13))
    again = registry.add(rechunked, name="t/det", row_group_rows=100, rows_per_shard=250)
    assert (first.version, again.version) == ("1", "2")
    assert again.root == first.root
    assert again.files == first.files
    assert again.splits == first.splits
    by_default = [registry.add(t, name="t/auto").root for t in (table, rechunked)]
    assert by_default[0] == by_default[1]


def test_empty_table_is_one_empty_shard(registry: DatasetRegistry) -> None:
    table = nested_table(0)
    record = registry.add(table, name="t/empty")
    assert [s.rows for s in record.shards("train")] == [0]
    assert registry.load("t/empty").equals(table)


# -- snapshot and datasets.load_dataset ------------------------------------------------------


def test_snapshot_loads_with_datasets_offline(
    registry: DatasetRegistry, tmp_path: Path, hf_offline: Path
) -> None:
    table = nested_table(400)
    record = registry.add(
        {"train": table.slice(0, 300), "validation": table.slice(300)},
        name="org/nested",
        rows_per_shard=120,
        license="mit",
        tags=["synthetic"],
        card="# Nested\n\nSynthetic rows.\n",
    )
    snap = registry.snapshot("org/nested", tmp_path / "snap")
    assert sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file()) == [
        "README.md",
        "data/train-00000-of-00003.parquet",
        "data/train-00001-of-00003.parquet",
        "data/train-00002-of-00003.parquet",
        "data/validation-00000-of-00001.parquet",
    ]
    meta = front_matter(snap / "README.md")
    assert meta["license"] == "mit"
    assert meta["tags"] == ["synthetic"]
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*"},
                {"split": "validation", "path": "data/validation-*"},
            ],
        }
    ]
    golden_features = datasets.Features.from_arrow_schema(table.schema)._to_yaml_list()
    assert meta["dataset_info"]["features"] == golden_features
    assert [(s["name"], s["num_examples"]) for s in meta["dataset_info"]["splits"]] == [
        ("train", 300),
        ("validation", 100),
    ]
    assert (snap / "README.md").read_text().endswith("---\n# Nested\n\nSynthetic rows.\n")
    loaded = datasets.load_dataset(str(snap), cache_dir=str(hf_offline / "load"))
    assert set(loaded) == {"train", "validation"}
    assert loaded["train"].data.table.equals(table.slice(0, 300))
    assert loaded["validation"].data.table.equals(table.slice(300))
    assert loaded["train"].features == datasets.Features.from_arrow_schema(table.schema)
    assert record.license == "mit"


def test_card_features_match_datasets(registry: DatasetRegistry, tmp_path: Path) -> None:
    """Our YAML features equal what ``datasets`` writes, type by type."""
    n = 4
    table = pa.table(
        {
            "b": pa.array([True] * n),
            "u16": pa.array(range(n), pa.uint16()),
            "f16": pa.array(np.ones(n, np.float16), pa.float16()),
            "f32": pa.array(np.ones(n, np.float32)),
            "d32": pa.array([0] * n, pa.date32()),
            "t64": pa.array([0] * n, pa.time64("us")),
            "ts": pa.array([0] * n, pa.timestamp("ns", tz="UTC")),
            "dur": pa.array([0] * n, pa.duration("s")),
            "dec": pa.array([0] * n, pa.decimal128(10, 2)),
            "bin": pa.array([b"x"] * n, pa.large_binary()),
            "fsb": pa.array([b"xy"] * n, pa.binary(2)),
            "ls": pa.array(["a"] * n, pa.large_string()),
            "dict": pa.array(["a", "b", "a", "b"]).dictionary_encode(),
            "fixed": pa.array([[1, 2]] * n, pa.list_(pa.int32(), 2)),
            "large": pa.array([[1]] * n, pa.large_list(pa.int64())),
            "nested": pa.array([[[1]]] * n, pa.list_(pa.list_(pa.int64()))),
            "lstruct": pa.array([[{"a": 1}]] * n, pa.list_(pa.struct([("a", pa.int64())]))),
            "null": pa.array([None] * n, pa.null()),
        }
    )
    registry.add(table, name="t/types")
    meta = front_matter(registry.snapshot("t/types", tmp_path / "snap") / "README.md")
    expected = datasets.Features.from_arrow_schema(table.schema)._to_yaml_list()
    assert meta["dataset_info"]["features"] == expected


# -- streaming and partial reads -------------------------------------------------------------


def test_iter_batches_streams_and_fetches_only_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    n = 4000
    table = pa.table(
        {"id": pa.array(np.arange(n), pa.int32()), "blob": [rng.bytes(1000) for _ in range(n)]}
    )
    with IPFSSimpleAPI(tmp_path / "repo", profile="unixfs-v0-2015") as api:  # 256 KiB leaves
        registry = DatasetRegistry(api)
        record = registry.add(table, name="t/stream", row_group_rows=1000)
        (shard,) = record.shards("train")
        dag = {c.multihash for c in api.refs(shard.cid, recursive=True)} | {shard.cid.multihash}
        assert len(dag) >= 16

        batches = list(registry.iter_batches("t/stream", batch_size=300))
        assert max(b.num_rows for b in batches) == 300
        assert pa.Table.from_batches(batches).equals(table)

        counter = CountingGet(api)
        monkeypatch.setattr(api.node.blocks, "get", counter)
        ids = pa.Table.from_batches(list(registry.iter_batches("t/stream", columns=["id"])))
        assert ids.equals(table.select(["id"]))
        # the root, the footer's leaf and the leaves holding the four small column chunks
        assert len(counter.fetched & dag) <= 7 < len(dag)

        counter.fetched.clear()
        first = next(registry.iter_batches("t/stream", batch_size=1000))
        assert first.equals(table.slice(0, 1000).to_batches()[0])
        assert len(counter.fetched & dag) < len(dag) // 2


def test_iter_batches_needs_a_split_when_there_are_several(registry: DatasetRegistry) -> None:
    registry.add({"a": nested_table(10), "b": nested_table(5)}, name="t/two")
    with pytest.raises(InvalidInputError, match="several splits"):
        registry.iter_batches("t/two")
    assert sum(b.num_rows for b in registry.iter_batches("t/two", split="b")) == 5


# -- catalogue -------------------------------------------------------------------------------


def test_versions_aliases_list_remove_and_gc(registry: DatasetRegistry, api: IPFSSimpleAPI) -> None:
    table = nested_table(50)
    one = registry.add(table, name="t/cat", aliases=["prod"])
    two = registry.add(table.slice(0, 20), name="t/cat", version="v2", tags=["small"])
    assert registry.get("t/cat").version == "v2"
    assert registry.get("t/cat@prod").cid == one.cid
    assert registry.get(str(two.cid)).tags == ("small",)
    assert registry.alias("t/cat@v2", "prod").aliases == ("prod",)
    assert registry.get("t/cat@prod").version == "v2"
    assert [r.ref for r in registry.list()] == ["t/cat@1", "t/cat@v2"]
    assert isinstance(registry.list("t/cat")[0], DatasetRecord)

    api.gc()
    assert registry.load("t/cat@1").equals(table)  # listed: pinned through the catalogue
    registry.remove("t/cat@1")
    assert [r.ref for r in registry.list()] == ["t/cat@v2"]
    api.gc()
    assert not api.node.blocks.has(one.root)
    assert registry.load("t/cat").equals(table.slice(0, 20))


def test_registry_owns_its_repo(tmp_path: Path) -> None:
    with DatasetRegistry(repo=tmp_path / "own") as registry:
        registry.add(nested_table(5), name="t/own")
    with DatasetRegistry(repo=tmp_path / "own") as registry:
        assert registry.load("t/own").num_rows == 5


# -- bad input -------------------------------------------------------------------------------


def test_unknown_refs(registry: DatasetRegistry) -> None:
    registry.add(nested_table(5), name="t/known")
    for ref in ("t/unknown", "t/known@9", "t/known@nope"):
        with pytest.raises(RefNotFoundError):
            registry.get(ref)
    with pytest.raises(RefNotFoundError):
        registry.load("t/unknown")


def test_unsupported_and_unparsable_files(registry: DatasetRegistry, tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedError, match="unsupported file type"):
        registry.add(tmp_path / "a.xlsx", name="t/bad")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DecodeError):
        registry.add(tmp_path / "ragged.csv", name="t/bad")
    (tmp_path / "fake.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DecodeError):
        registry.add(tmp_path / "fake.parquet", name="t/bad")
    (tmp_path / "fake.arrow").write_bytes(b"not arrow")
    with pytest.raises(DecodeError):
        registry.add(tmp_path / "fake.arrow", name="t/bad")
    with pytest.raises(UnsupportedError):
        registry.add({"x": 1}, name="t/bad")  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="no such file"):
        registry.add(tmp_path / "missing.csv", name="t/bad")
    assert registry.list() == []
    assert not list((registry.api.node.path / "hub").glob(".dataset-*"))  # temp dirs gone


def test_csv_whose_types_change_after_the_first_block(
    registry: DatasetRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipfs_kit_py.hub import _tables

    monkeypatch.setattr(_tables, "TEXT_BLOCK", 64)  # types are inferred from the first block
    lines = ["n"] + [str(i) for i in range(100)] + ["not a number"]
    (tmp_path / "late.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DecodeError, match=r"late\.csv"):
        registry.add(tmp_path / "late.csv", name="t/late")
    assert registry.list() == []


def test_mismatched_schemas(registry: DatasetRegistry, tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "one.parquet")
    pq.write_table(pa.table({"a": ["x", "y"]}), tmp_path / "two.parquet")
    with pytest.raises(InvalidInputError, match="schema differs"):
        registry.add([tmp_path / "one.parquet", tmp_path / "two.parquet"], name="t/mix")
    with pytest.raises(InvalidInputError, match="schema differs"):
        registry.add(
            {"train": tmp_path / "one.parquet", "test": tmp_path / "two.parquet"}, name="t/mix"
        )
    assert registry.list() == []


def test_bad_arguments(registry: DatasetRegistry) -> None:
    table = nested_table(5)
    registry.add(table, name="t/args", version="1")
    with pytest.raises(InvalidInputError, match="already registered"):
        registry.add(table, name="t/args", version="1")
    for kwargs in (
        {"split": "no-dashes"},
        {"name": "../x"},
        {"rows_per_shard": 0},
        {"aliases": ["a b"]},
    ):
        with pytest.raises(InvalidInputError):
            registry.add(table, **{"name": "t/other", **kwargs})
    with pytest.raises(InvalidInputError, match="no column"):
        registry.load("t/args", columns=["nope"])
    with pytest.raises(InvalidInputError, match="no split"):
        registry.load("t/args", split="test")
    with pytest.raises(InvalidInputError, match="unknown format"):
        registry.load("t/args", format="polars")


def test_corrupted_block_fails_the_load(registry: DatasetRegistry, api: IPFSSimpleAPI) -> None:
    record = registry.add(nested_table(2000), name="t/corrupt")
    (shard,) = record.shards("train")
    leaf = (
        next(c for c in api.refs(shard.cid) if c.codec == RAW)
        if shard.cid.codec != RAW
        else shard.cid
    )
    path = block_file(api, leaf)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        registry.load("t/corrupt")


def _doctored(registry: DatasetRegistry, ref: str, change: Any) -> str:
    doc = registry.api.dag_get(registry.get(ref).cid)
    change(doc)
    return str(registry.api.dag_put(doc, pin=False))


def test_hostile_records(registry: DatasetRegistry) -> None:
    registry.add(nested_table(20), name="t/host")

    def escape(doc: dict[str, Any]) -> None:
        doc["files"][0]["path"] = "../../etc/passwd"

    with pytest.raises(InvalidInputError):
        registry.get(_doctored(registry, "t/host", escape))

    def stray_shard(doc: dict[str, Any]) -> None:
        doc["splits"][0]["shards"][0]["path"] = "data/elsewhere.parquet"

    def wrong_rows(doc: dict[str, Any]) -> None:
        doc["rows"] += 1

    def bad_schema(doc: dict[str, Any]) -> None:
        doc["arrow_schema"] = b"\x00garbage"

    def wrong_kind(doc: dict[str, Any]) -> None:
        doc["schema"] = "ipfs-kit/model/1"

    def bad_split(doc: dict[str, Any]) -> None:
        doc["splits"][0]["name"] = "../x"

    for change in (stray_shard, wrong_rows, bad_schema, wrong_kind, bad_split):
        with pytest.raises(InvalidInputError):  # DecodeError is one
            registry.get(_doctored(registry, "t/host", change))


def test_record_that_miscounts_its_rows_fails_the_load(registry: DatasetRegistry) -> None:
    registry.add(nested_table(20), name="t/count")

    def more_rows(doc: dict[str, Any]) -> None:
        doc["splits"][0]["shards"][0]["rows"] += 5
        doc["rows"] += 5

    cid = _doctored(registry, "t/count", more_rows)
    assert registry.get(cid).rows == 25  # consistent in itself
    with pytest.raises(DecodeError, match="rows and schema"):
        registry.load(cid)


def test_snapshot_refuses_a_file_whose_sha256_disagrees(
    registry: DatasetRegistry, tmp_path: Path
) -> None:
    registry.add(nested_table(20), name="t/sha")

    def lie(doc: dict[str, Any]) -> None:
        for item in doc["files"]:
            if item["path"] == "README.md":
                item["sha256"] = "0" * 64

    cid = _doctored(registry, "t/sha", lie)
    assert registry.get(cid).schema  # the record itself is well-formed
    with pytest.raises(IntegrityError, match=r"README\.md"):
        registry.snapshot(cid, tmp_path / "snap")
    assert not (tmp_path / "snap" / "README.md").exists()


def test_record_layout(registry: DatasetRegistry) -> None:
    table = nested_table(30)
    record = registry.add(table, name="t/layout", description="d", license="apache-2.0")
    doc = registry.api.dag_get(record.cid)
    assert doc["schema"] == SCHEMA
    assert set(doc) == {
        "schema", "name", "version", "root", "files", "splits", "arrow_schema", "columns",
        "rows", "tags", "profile", "created", "description", "license",
    }  # fmt: skip
    assert pa.ipc.read_schema(pa.py_buffer(doc["arrow_schema"])).equals(table.schema)
    assert record.schema.equals(table.schema)
    assert doc["columns"][2] == {
        "name": "tokens",
        "type": str(record.schema.field("tokens").type),  # list<element: int64>, as Parquet says
        "nullable": True,
    }
    (split,) = doc["splits"]
    assert split["name"] == "train"
    (shard,) = split["shards"]
    assert shard["path"] == "data/train-00000-of-00001.parquet"
    assert {f["path"]: f["cid"] for f in doc["files"]}[shard["path"]] == shard["cid"]
    listed = {e.name: e.cid for e in registry.api.ls(doc["root"])}
    assert set(listed) == {"README.md", "data"}
    assert json.loads(json.dumps(doc["columns"])) == doc["columns"]


# -- the ipfs:// file system -----------------------------------------------------------------


def test_pandas_and_pyarrow_read_shards_by_ipfs_url(
    registry: DatasetRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = frame(200)
    record = registry.add(df, name="t/url")
    (shard,) = record.shards("train")
    url = f"ipfs://{record.root}/{shard.path}"
    assert shard.path == "data/train-00000-of-00001.parquet"
    read = pd.read_parquet(url, storage_options={"api": registry.api})
    pd.testing.assert_frame_equal(read, df)
    monkeypatch.setenv("IPFS_KIT_PATH", str(registry.api.node.path))
    pd.testing.assert_frame_equal(pd.read_parquet(url), df)  # the default repo, by entry point
    from ipfs_kit_py.fs import IPFSFileSystem

    fs = IPFSFileSystem(api=registry.api)
    table = pq.read_table(f"{record.root}/{shard.path}", filesystem=fs)
    assert table.equals(pa.Table.from_pandas(df))


def test_datasets_is_imported_only_for_its_objects(tmp_path: Path) -> None:
    """(pyarrow itself imports pandas on first use, so only ``datasets`` can be checked.)"""
    import subprocess
    import sys

    code = (
        "import sys, pyarrow as pa\n"
        "from ipfs_kit_py.hub import DatasetRegistry\n"
        f"with DatasetRegistry(repo={str(tmp_path / 'r')!r}) as registry:\n"
        "    registry.add(pa.table({'a': [1, 2]}), name='t/light')\n"
        "    registry.load('t/light'); list(registry.iter_batches('t/light'))\n"
        "print('datasets' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
