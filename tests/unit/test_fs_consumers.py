"""Real consumers of ``ipfs://`` URLs: pandas, pyarrow, duckdb and Hugging Face datasets.

Nothing here calls our API to read: each library resolves ``ipfs://`` through fsspec
(the entry point), finds the repo this process has open (``IPFS_KIT_PATH``) and reads
ranges of Parquet files through the exporter. No test may touch the network.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.cid import CID
from ipfs_kit_py.fs import IPFSFileSystem

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pads = pytest.importorskip("pyarrow.dataset")
duckdb = pytest.importorskip("duckdb")

ROWS = 5000


@pytest.fixture
def frame() -> Any:
    return pd.DataFrame(
        {
            "id": range(ROWS),
            "label": [f"row-{i}" for i in range(ROWS)],
            "x": [i / 7 for i in range(ROWS)],
        }
    )


@pytest.fixture
def stored(
    tmp_path: Path, frame: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[IPFSSimpleAPI, CID]]:
    """A dataset directory in the default repo, which this process has open."""
    data = tmp_path / "data"
    (data / "shards").mkdir(parents=True)
    half = ROWS // 2
    frame.iloc[:half].to_parquet(data / "shards" / "part-0.parquet", index=False)
    frame.iloc[half:].to_parquet(data / "shards" / "part-1.parquet", index=False)
    frame.to_csv(data / "table.csv", index=False)
    repo = tmp_path / "repo"
    monkeypatch.setenv("IPFS_KIT_PATH", str(repo))
    IPFSFileSystem.clear_instance_cache()  # a cached default instance of another test
    with IPFSSimpleAPI(repo, blockstore__sync=False) as api:
        yield api, api.add_path(data)[-1].cid
    IPFSFileSystem.clear_instance_cache()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to this machine."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access to {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def test_pandas_reads_parquet_and_csv(stored: tuple[IPFSSimpleAPI, CID], frame: Any) -> None:
    _, cid = stored
    got = pd.read_parquet(f"ipfs://{cid}/shards/part-1.parquet")
    pd.testing.assert_frame_equal(got, frame.iloc[ROWS // 2 :].reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(f"ipfs://{cid}/table.csv"), frame)
    both = pd.read_parquet(f"ipfs://{cid}/shards")  # a directory of shards
    assert len(both) == ROWS


def test_pandas_writes_to_the_mutable_root(stored: tuple[IPFSSimpleAPI, CID], frame: Any) -> None:
    api, _ = stored
    fs = IPFSFileSystem(skip_instance_cache=True)
    frame.to_parquet("ipfs:///out/frame.parquet", index=False)  # the cached default instance
    default = IPFSFileSystem()
    assert default.exists("/out/frame.parquet")
    pd.testing.assert_frame_equal(
        pd.read_parquet(f"ipfs://{default.root}/out/frame.parquet"), frame
    )
    assert api.node.pins.get(default.root) is not None
    assert not fs.exists("/out")  # another instance has its own root


def test_pyarrow_read_table_and_dataset(stored: tuple[IPFSSimpleAPI, CID], frame: Any) -> None:
    _, cid = stored
    fs = IPFSFileSystem(skip_instance_cache=True)
    table = pq.read_table(f"{cid}/shards/part-0.parquet", filesystem=fs)
    assert table.num_rows == ROWS // 2
    dataset = pads.dataset(f"{cid}/shards", filesystem=fs, format="parquet")
    assert sorted(p.rsplit("/", 1)[-1] for p in dataset.files) == [
        "part-0.parquet",
        "part-1.parquet",
    ]
    total = dataset.to_table(filter=pads.field("id") >= ROWS - 10)
    assert total.column("id").to_pylist() == list(range(ROWS - 10, ROWS))
    assert pq.ParquetFile(fs.open(f"{cid}/shards/part-1.parquet")).metadata.num_rows == ROWS // 2


def test_duckdb_queries_ipfs_parquet(stored: tuple[IPFSSimpleAPI, CID]) -> None:
    _, cid = stored
    fs = IPFSFileSystem(skip_instance_cache=True)
    con = duckdb.connect()
    con.register_filesystem(fs)
    rows = con.sql(
        f"SELECT count(*), max(id) FROM read_parquet('ipfs://{cid}/shards/*.parquet')"
    ).fetchall()
    assert rows == [(ROWS, ROWS - 1)]
    fs.pipe("/q/one.parquet", fs.cat_file(f"{cid}/shards/part-0.parquet"))
    assert con.sql("SELECT count(*) FROM 'ipfs:///q/one.parquet'").fetchall() == [(ROWS // 2,)]
    con.close()


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    monkeypatch.setenv("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    datasets.disable_progress_bars()
    return datasets


def test_datasets_streams_offline(
    stored: tuple[IPFSSimpleAPI, CID],
    hf_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    no_network: None,
) -> None:
    _, cid = stored
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hf_env.config, "HF_HUB_OFFLINE", True)
    loaded = hf_env.load_dataset(
        "parquet", data_files={"train": f"ipfs://{cid}/shards/*.parquet"}, streaming=True
    )
    ids = sorted(row["id"] for row in loaded["train"])
    assert ids == list(range(ROWS))


def test_datasets_downloads_and_prepares(
    stored: tuple[IPFSSimpleAPI, CID], hf_env: Any, tmp_path: Path, no_network: None
) -> None:
    # datasets' offline mode refuses every URL with a scheme in download mode (ipfs://
    # included), so this one runs online-mode datasets with the network guarded instead.
    _, cid = stored
    loaded = hf_env.load_dataset(
        "parquet",
        data_files={"train": f"ipfs://{cid}/shards/part-0.parquet"},
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert loaded["train"].num_rows == ROWS // 2
    assert loaded["train"][3]["label"] == "row-3"
