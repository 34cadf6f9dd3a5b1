"""The Arrow metadata index: the store (snapshot + journal, crash recovery, SQL sandbox) and
the node keeping it current on add, read, pin and gc."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.cli import run_kit
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import IndexCorruptError, InvalidInputError
from ipfs_kit_py.index import COLUMNS, MetadataIndex, schema

A = str(Block.from_data(b"a").cid)
B = str(Block.from_data(b"b").cid)
T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 678_901, tzinfo=dt.UTC)


@pytest.fixture
def idx(tmp_path: Path) -> Iterator[MetadataIndex]:
    with MetadataIndex(tmp_path / "index") as opened:
        yield opened


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo") as opened:
        yield opened


def _row(api: IPFSSimpleAPI, cid: CID | str) -> dict[str, object]:
    row = api.node.index.get(cid)
    assert row is not None, f"no index row for {cid}"
    api.index()  # pin columns are brought up to date when the table is read
    row = api.node.index.get(cid)
    assert row is not None
    return row


# -- the store -----------------------------------------------------------------------------


def test_schema_has_every_column_the_issue_names() -> None:
    wanted = [
        "cid",
        "cid_version",
        "multihash_type",
        "size_bytes",
        "blocks",
        "links",
        "mime_type",
        "local",
        "pinned",
        "pin_types",
        "replication",
        "created_at",
        "last_accessed",
        "access_count",
        "storage_locations",
        "name",
        "tags",
        "profile",
    ]
    assert set(wanted) <= set(schema().names)
    assert schema().names == list(COLUMNS)


def test_upsert_merges_and_touch_counts(idx: MetadataIndex) -> None:
    idx.upsert(A, name="a", size_bytes=1, created_at=T0)
    idx.upsert(A, tags=["x"])
    idx.touch(A, T0)
    idx.touch(CID.parse(A), T0 + dt.timedelta(seconds=1))
    row = idx.get(A)
    assert row is not None
    assert (row["name"], row["size_bytes"], row["tags"], row["access_count"]) == ("a", 1, ["x"], 2)
    assert row["created_at"] == T0
    assert row["last_accessed"] == T0 + dt.timedelta(seconds=1)
    assert row["cid_version"] == 1
    assert row["codec"] == "raw"


def test_touch_of_a_cidv1_counts_for_the_cidv0_row(idx: MetadataIndex) -> None:
    v0 = CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")
    idx.upsert(v0, name="v0")
    idx.touch(v0.to_v1())
    row = idx.get(v0)
    assert row is not None
    assert row["access_count"] == 1
    assert row["cid"] == str(v0)


def test_unchanged_table_is_the_same_object(idx: MetadataIndex) -> None:
    idx.upsert(A)
    first = idx.table()
    assert idx.table() is first  # no copy when nothing changed
    idx.touch(A)
    assert idx.table() is not first


def test_survives_reopen_through_the_journal_and_through_snapshots(tmp_path: Path) -> None:
    with MetadataIndex(tmp_path / "i", compact_after=3) as idx:
        idx.upsert(A, name="a")
        idx.upsert(B, name="b")
        for _ in range(4):  # crosses compact_after: a snapshot, then more journal
            idx.touch(A)
        assert len(list((tmp_path / "i").glob("objects-*.parquet"))) == 1
    with MetadataIndex(tmp_path / "i") as again:
        a, b = again.get(A), again.get(B)
        assert a is not None
        assert b is not None
        assert (a["name"], a["access_count"], b["name"]) == ("a", 4, "b")


def test_a_torn_last_journal_line_is_dropped(tmp_path: Path) -> None:
    with MetadataIndex(tmp_path / "i") as idx:
        idx.upsert(A, name="a")
        idx.touch(A)
    journal = tmp_path / "i" / "journal.jsonl"
    with open(journal, "ab") as f:
        f.write(b'{"op":"touch","mh":"12')  # a crash mid-append
    with MetadataIndex(tmp_path / "i") as idx:
        row = idx.get(A)
        assert row is not None
        assert row["access_count"] == 1
        idx.touch(A)  # appending after the torn tail works
    with MetadataIndex(tmp_path / "i") as idx:
        row = idx.get(A)
        assert row is not None
        assert row["access_count"] == 2


def test_a_crash_between_snapshot_and_new_journal_counts_nothing_twice(tmp_path: Path) -> None:
    directory = tmp_path / "i"
    with MetadataIndex(directory) as idx:
        idx.upsert(A)
        idx.touch(A)
        old_journal = (directory / "journal.jsonl").read_bytes()
        idx.flush()  # snapshot (generation 1) holds both entries
    # Put the old journal back, as if the crash came before it was replaced.
    (directory / "journal.jsonl").write_bytes(old_journal)
    with MetadataIndex(directory) as idx:
        row = idx.get(A)
        assert row is not None
        assert row["access_count"] == 1


def test_garbage_in_the_middle_of_the_journal_is_a_typed_error(tmp_path: Path) -> None:
    with MetadataIndex(tmp_path / "i") as idx:
        idx.upsert(A)
    journal = tmp_path / "i" / "journal.jsonl"
    journal.write_bytes(journal.read_bytes() + b"not json\n" + b'{"op":"del","cid":"x"}\n')
    with pytest.raises(IndexCorruptError, match="line 3"):
        MetadataIndex(tmp_path / "i")


def test_a_damaged_snapshot_is_a_typed_error(tmp_path: Path) -> None:
    with MetadataIndex(tmp_path / "i") as idx:
        idx.upsert(A)
        idx.flush()
        snapshot = idx.snapshot_path
    snapshot.write_bytes(b"PAR1 garbage PAR1")
    with MetadataIndex(tmp_path / "i") as idx, pytest.raises(IndexCorruptError):
        idx.table()


def test_blocks_removed_marks_rows_not_local(idx: MetadataIndex) -> None:
    idx.upsert(A)
    idx.upsert(B)
    idx.blocks_removed([CID.parse(A).multihash])
    rows = {r["cid"]: r for r in idx.table().to_pylist()}
    assert (rows[A]["local"], rows[A]["storage_locations"]) == (False, [])
    assert (rows[B]["local"], rows[B]["storage_locations"]) == (True, ["local"])


def test_bad_rows_are_refused(idx: MetadataIndex) -> None:
    with pytest.raises(InvalidInputError, match="unknown index columns: colour"):
        idx.upsert(A, colour="red")
    with pytest.raises(InvalidInputError):
        idx.upsert("not-a-cid")
    with pytest.raises(InvalidInputError, match="needs a cid"):
        idx.upsert_many([{"name": "x"}])


def test_big_batches_go_straight_to_a_snapshot(tmp_path: Path) -> None:
    rows = [{"cid": str(Block.from_data(str(i).encode()).cid), "blocks": i} for i in range(50)]
    with MetadataIndex(tmp_path / "i", compact_after=10) as idx:
        idx.upsert_many(rows)
        assert (tmp_path / "i" / "journal.jsonl").read_bytes().count(b"\n") == 1  # header
        assert pq.read_table(idx.snapshot_path).num_rows == 50
        assert idx.query("SELECT sum(blocks) AS s FROM objects")["s"][0].as_py() == sum(range(50))


def test_query_is_sandboxed_and_errors_are_typed(idx: MetadataIndex, tmp_path: Path) -> None:
    idx.upsert(A, name="a")
    secret = tmp_path / "secret.csv"
    secret.write_text("x\n1\n")
    for sql in (
        f"SELECT * FROM read_csv('{secret}')",
        f"COPY (SELECT * FROM objects) TO '{tmp_path / 'out.csv'}'",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SELEC nonsense",
        "SELECT no_such_column FROM objects",
    ):
        with pytest.raises(InvalidInputError, match="index query failed"):
            idx.query(sql)
    assert not (tmp_path / "out.csv").exists()
    assert idx.query("SELECT name FROM objects").to_pylist() == [{"name": "a"}]


def test_reset_empties_it(idx: MetadataIndex) -> None:
    idx.upsert(A)
    idx.reset()
    assert idx.table().num_rows == 0
    assert idx.table().schema == schema()


# -- the node keeps it current -------------------------------------------------------------


def test_add_records_a_row_per_root(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    entry = api.add(data, name="weights.safetensors", tags=["model", "v1"])
    row = _row(api, entry.cid)
    blocks = {str(c) for c in api.refs(entry.cid, recursive=True, unique=True)}
    assert row["size_bytes"] == len(data)
    assert row["blocks"] == len(blocks) + 1 == 5  # four 1 MiB leaves and the root
    assert row["links"] == 4
    assert row["mime_type"] == "application/x-safetensors"
    assert row["pinned"] is True
    assert row["pin_types"] == ["recursive"]
    assert row["tags"] == ["model", "v1"]
    assert row["profile"] == "unixfs-v1-2025"
    assert row["replication"] == api.node.config.replication
    assert row["local"] is True
    assert row["storage_locations"] == ["local"]
    assert row["access_count"] == 0
    assert row["last_accessed"] is None


def test_add_path_records_only_the_top_level_root(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    tree = tmp_path / "ds"
    (tree / "train").mkdir(parents=True)
    (tree / "train" / "a.parquet").write_bytes(b"PAR1" + os.urandom(2000) + b"PAR1")
    (tree / "README.md").write_text("# a dataset\n")
    root = api.add_path(tree)[-1]
    table = api.index()
    assert table.column("cid").to_pylist() == [str(root.cid)]
    row = table.to_pylist()[0]
    assert (row["name"], row["mime_type"]) == ("ds", "inode/directory")
    refs = set(map(str, api.refs(root.cid, recursive=True, unique=True)))
    sizes = sum(api.block_stat(c).size for c in refs) + api.block_stat(root.cid).size
    assert (row["blocks"], row["size_bytes"]) == (len(refs) + 1, sizes)


def test_nocopy_adds_are_indexed_like_copies(tmp_path: Path) -> None:
    tree = tmp_path / "big"
    tree.mkdir()
    (tree / "w.bin").write_bytes(os.urandom(2_500_000))
    rows = []
    for nocopy in (False, True):
        with IPFSSimpleAPI(tmp_path / f"r{nocopy}") as api:
            root = api.add_path(tree, nocopy=nocopy)[-1].cid
            row = _row(api, root)
            rows.append({k: row[k] for k in ("cid", "size_bytes", "blocks", "links")})
    assert rows[0] == rows[1]
    assert rows[0]["blocks"] == 5  # directory, file root, three leaves


def test_reads_are_counted(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    root = api.add_path(_tree(tmp_path))[-1].cid
    api.cat(f"{root}/a.txt")
    assert len(b"".join(api.stream(f"/ipfs/{root}/sub/b.bin"))) == 5000
    api.get(root, tmp_path / "out")
    api.ls(root)  # listing is not reading content
    row = _row(api, root)
    assert row["access_count"] == 3
    assert isinstance(row["last_accessed"], dt.datetime)


def test_pin_state_follows_pins_unpins_and_gc(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    root = api.add_path(tree)[-1].cid
    inner = api.add(b"alpha", name="a.txt", pin=False).cid  # the same bytes as tree/a.txt
    loose = api.add(b"nobody pins me", pin=False).cid
    assert _row(api, inner)["pin_types"] == ["indirect"]
    assert _row(api, loose)["pinned"] is False
    api.pin(loose, recursive=False)
    assert _row(api, loose)["pin_types"] == ["direct"]
    api.unpin(loose)
    api.unpin(root)
    api.gc()
    for cid in (root, inner, loose):
        row = _row(api, cid)
        assert (row["local"], row["pinned"], row["storage_locations"]) == (False, False, [])
    again = api.add_path(tree)[-1].cid  # the same content comes back
    assert _row(api, again)["local"] is True


def test_dag_and_block_verbs_record_rows(api: IPFSSimpleAPI) -> None:
    leaf = api.block_put(b"PAR1 raw block").cid
    node = api.dag_put({"model": "m", "weights": leaf}, codec="dag-json")
    assert _row(api, leaf)["mime_type"] == "application/vnd.apache.parquet"
    row = _row(api, node)
    assert (row["mime_type"], row["blocks"], row["links"]) == (
        "application/vnd.ipld.dag-json",
        2,
        1,
    )
    assert row["pin_types"] == ["recursive"]
    api.unpin(node)
    api.block_rm(leaf)
    assert _row(api, leaf)["local"] is False


def test_dag_import_and_pin_update_record_rows(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    import io

    v1 = api.add(b"model v1", name="model").cid
    v2 = api.add(b"model v2", pin=False).cid
    api.pin_update(v1, v2)
    assert _row(api, v2)["pin_types"] == ["recursive"]
    assert _row(api, v1)["pinned"] is False
    car = io.BytesIO()
    api.dag_export(v2, car)
    with IPFSSimpleAPI(tmp_path / "other") as other:
        (root,) = other.dag_import(io.BytesIO(car.getvalue()))
        row = _row(other, root)
        assert (row["pin_types"], row["size_bytes"]) == (["recursive"], len(b"model v2"))


def test_tags_and_rebuild(api: IPFSSimpleAPI) -> None:
    cid = api.add(b"tagged", name="t.txt", tags=["a"]).cid
    assert api.tag(cid, "b") == ["a", "b"]
    assert api.tag(cid, "c", replace=True) == ["c"]
    api.add(b"unpinned", pin=False)
    rows = api.index_rebuild()
    assert rows == 1  # only what is pinned comes back
    row = _row(api, cid)
    assert (row["name"], row["tags"], row["mime_type"]) == ("t.txt", [], "text/plain")


def test_index_persists_across_reopen(tmp_path: Path) -> None:
    with IPFSSimpleAPI(tmp_path / "r") as api:
        cid = api.add(b"persist", name="p.txt").cid
        api.cat(cid)
    with IPFSSimpleAPI(tmp_path / "r") as api:
        row = _row(api, cid)
        assert (row["name"], row["access_count"]) == ("p.txt", 1)


def test_a_broken_index_never_fails_an_add(api: IPFSSimpleAPI, tmp_path: Path) -> None:
    cid = api.add(b"first").cid
    api.node.index.flush()
    api.node.index.snapshot_path.write_bytes(b"garbage")
    api.node.index._table = None  # force a reload from the damaged file
    second = api.add(b"second").cid  # the add succeeds; the index is rebuilt on demand
    assert api.cat(second) == b"second"
    assert api.index_rebuild() == 2
    assert {r["cid"] for r in api.index().to_pylist()} == {str(cid), str(second)}


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_bytes(b"alpha")
    (tree / "sub" / "b.bin").write_bytes(os.urandom(5000))
    return tree


# -- the CLI -------------------------------------------------------------------------------


def _kit(*args: str, repo: Path) -> subprocess.CompletedProcess[str]:
    done = run_kit(*args, repo=repo)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_cli_index_query_tag_export_rebuild(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    assert _kit("init", repo=repo).returncode == 0
    tree = _tree(tmp_path)
    added = _kit("add", "-r", "-Q", "--tag", "demo", str(tree), repo=repo)
    assert added.returncode == 0, added.stderr
    root = added.stdout.strip()
    assert _kit("cat", f"{root}/a.txt", repo=repo).stdout == "alpha"
    out = _kit("index", "query", "SELECT cid, tags, access_count FROM objects", "--json", repo=repo)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {"cid": root, "tags": ["demo"], "access_count": 1}
    ]
    text = _kit("index", "query", "SELECT name, pinned FROM objects", repo=repo).stdout
    assert text.split() == ["name", "pinned", "tree", "True"]
    assert _kit("index", "tag", root, "v2", repo=repo).stdout.split() == [root, "demo", "v2"]
    export = tmp_path / "index.parquet"
    assert _kit("index", "export", str(export), repo=repo).returncode == 0
    assert pq.read_table(export).column("tags").to_pylist() == [["demo", "v2"]]
    csv = tmp_path / "q.csv"
    assert (
        _kit("index", "query", "SELECT * FROM objects", "-o", str(csv), repo=repo).returncode == 0
    )
    assert "demo;v2" in csv.read_text()
    bad = _kit("index", "query", "SELEC 1", repo=repo)
    assert bad.returncode == 3
    assert "index query failed" in bad.stderr
    assert "Traceback" not in bad.stderr
    shutil.rmtree(repo / "index")
    rebuilt = _kit("index", "rebuild", "--json", repo=repo)
    assert json.loads(rebuilt.stdout) == {"Rows": 1}


def test_cli_pin_update(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    _kit("init", repo=repo)
    (tmp_path / "v1").write_bytes(b"one")
    (tmp_path / "v2").write_bytes(b"two")
    old = _kit("add", "-Q", str(tmp_path / "v1"), repo=repo).stdout.strip()
    new = _kit("add", "-Q", "--no-pin", str(tmp_path / "v2"), repo=repo).stdout.strip()
    done = _kit("pin", "update", old, new, "--json", repo=repo)
    assert json.loads(done.stdout) == {"Pins": [old, new]}
    listed = _kit("pin", "ls", "-t", "recursive", "-q", repo=repo).stdout.split()
    assert listed == [new]
    again = _kit("pin", "update", old, new, repo=repo)
    assert again.returncode == 3
    assert "not recursively pinned" in again.stderr


def test_pyarrow_table_is_the_documented_schema(api: IPFSSimpleAPI) -> None:
    api.add(b"x")
    table = api.index()
    assert isinstance(table, pa.Table)
    assert table.schema.remove_metadata() == schema().remove_metadata()


def test_get_between_writes_agrees_with_the_rebuilt_table(idx: MetadataIndex) -> None:
    import random

    rng = random.Random(7)
    cids = [Block.from_data(b"row %d" % i).cid for i in range(6)]
    for step in range(120):
        cid = rng.choice(cids)
        op = rng.randrange(4)
        if op == 0:
            idx.upsert(cid, name=f"n{step}", size_bytes=step)
        elif op == 1:
            idx.touch(cid)
        elif op == 2:
            idx.blocks_removed([cid.multihash])
        else:
            idx.remove([cid])
        looked_up = {str(c): idx.get(c) for c in cids}  # between writes: no rebuild
        rows = {row["cid"]: row for row in idx.table().to_pylist()}
        assert looked_up == {str(c): rows.get(str(c)) for c in cids}, step
