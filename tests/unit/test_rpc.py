"""The Kubo-compatible RPC server, over a real uvicorn server on 127.0.0.1:0.

Expected shapes come from Kubo's sources, cited per test: go-ipfs-cmds
``http/handler.go`` (methods, origins, 404/405/403 bodies), ``http/responseemitter.go``
(error body ``{"Message","Code","Type":"error"}``, ``X-Stream-Output``,
``X-Chunked-Output``, ``Trailer: X-Stream-Error``) and Kubo's ``core/commands``
(``add.go`` ``AddEvent``, ``ls.go``, ``block.go``, ``dag``, ``pin``, ``repo.go``,
``refs.go``, ``id.go``, ``version.go``). CIDs are compared with the Python API for the
same bytes and options, and a few with a real Kubo v0.22 (``tests/helpers/kubo.py``).
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from helpers.asgi import serve
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.config import ServerConfig
from ipfs_kit_py.rpc import create_app

V0 = {"cid-version": "0"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[IPFSSimpleAPI]:
    with IPFSSimpleAPI(tmp_path / "repo") as a:
        yield a


@pytest.fixture
def base(api: IPFSSimpleAPI) -> Iterator[str]:
    with serve(create_app(api)) as url:
        yield url


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base + "/api/v0", timeout=60) as c:
        yield c


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines() if line]


def file_part(path: str, data: bytes, ctype: str = "application/octet-stream") -> tuple:
    # kubo-rpc-client and go-ipfs-cmds escape the path into ``filename``
    return ("file", (quote(path, safe=""), data, ctype))


def dir_part(path: str) -> tuple:
    return ("file", (quote(path, safe=""), b"", "application/x-directory"))


# -- add -----------------------------------------------------------------------------------


def test_add_one_file_matches_python_api(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    data = b"hello world\n"
    r = client.post("/add", files=[file_part("hello.txt", data)], params={"pin": "false"})
    assert r.status_code == 200, r.text
    assert r.headers["x-chunked-output"] == "1"
    assert r.headers["trailer"] == "X-Stream-Error"
    (event,) = lines(r)
    # add.go AddEvent: Name, Hash, Size (a string: the root's DAG size)
    assert set(event) == {"Name", "Hash", "Size"}
    assert event["Name"] == "hello.txt"
    assert event["Hash"] == str(api.add(data, pin=False).cid)
    assert event["Size"] == "12"  # one raw leaf: its own size


def test_add_v0_defaults_give_kubo_cid_and_dag_size(client: httpx.Client) -> None:
    r = client.post("/add", files=[file_part("hello.txt", b"hello world\n")], params=V0)
    (event,) = lines(r)
    # `echo "hello world" | ipfs add` in every Kubo since 0.4 (Kubo's own docs and tests)
    assert event["Hash"] == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert event["Size"] == "20"  # ipld Node.Size(): the dag-pb block is 20 bytes


def test_add_options_match_python_api(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    data = bytes(range(256)) * 3000
    cases = [
        ({"cid-version": "1", "chunker": "size-1000"}, {"cid_version": 1, "chunker": "size-1000"}),
        ({"cid-version": "0", "trickle": "true"}, {"cid_version": 0, "trickle": True}),
        (
            {"chunker": "buzhash", "raw-leaves": "false"},
            {"chunker": "buzhash", "raw_leaves": False},
        ),
        ({"cid-version": "1", "hash": "blake2b-256"}, {"cid_version": 1, "hash": "blake2b-256"}),
        ({"inline": "true", "cid-version": "1"}, {"inline": True, "cid_version": 1}),
    ]
    for params, options in cases:
        r = client.post("/add", files=[file_part("f", data)], params=params)
        assert r.status_code == 200, (params, r.text)
        expected = api.add(data, pin=False, **options).cid
        assert lines(r)[-1]["Hash"] == str(expected), params


def test_add_stdin_style_part_is_named_by_its_cid(client: httpx.Client) -> None:
    r = client.post("/add", files=[("file", (None, b"abc"))], params=V0)
    (event,) = lines(r)
    assert event["Name"] == event["Hash"]


def test_add_directory_tree(client: httpx.Client, api: IPFSSimpleAPI, tmp_path: Path) -> None:
    tree = tmp_path / "my dir"
    (tree / "sub ü").mkdir(parents=True)
    (tree / "empty").mkdir()
    (tree / "a b.txt").write_bytes(b"A" * 300_000)
    (tree / "sub ü" / "ñ+x.bin").write_bytes(b"B" * 10)
    parts = [
        dir_part("my dir"),
        file_part("my dir/a b.txt", b"A" * 300_000),
        dir_part("my dir/empty"),
        dir_part("my dir/sub ü"),
        file_part("my dir/sub ü/ñ+x.bin", b"B" * 10),
    ]
    r = client.post("/add", files=parts, params=V0)
    assert r.status_code == 200, r.text
    got = {e["Name"]: e["Hash"] for e in lines(r)}
    expected = api.add_path(tree, pin=False, cid_version=0)
    assert got == {e.path: str(e.cid) for e in expected}
    assert lines(r)[-1]["Name"] == "my dir"  # the root comes last
    pinned = {str(p.cid) for p in api.pins("recursive")}
    assert pinned == {got["my dir"]}


def test_add_wrap_with_directory(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    r = client.post(
        "/add",
        files=[file_part("a.txt", b"a"), file_part("b.txt", b"b")],
        params={**V0, "wrap-with-directory": "true"},
    )
    events = lines(r)
    assert [e["Name"] for e in events] == ["a.txt", "b.txt", ""]
    root = events[-1]["Hash"]
    assert sorted(e.name for e in api.ls(root)) == ["a.txt", "b.txt"]
    assert [str(p.cid) for p in api.pins("recursive")] == [root]


def test_add_progress_lines(client: httpx.Client) -> None:
    data = b"x" * (3 * 262144 + 5)
    r = client.post("/add", files=[file_part("big", data)], params={**V0, "progress": ""})
    events = lines(r)
    progress = [e for e in events if "Bytes" in e]
    assert progress, events
    assert all(set(e) == {"Name", "Bytes"} and e["Name"] == "big" for e in progress)
    counts = [e["Bytes"] for e in progress]
    assert counts == sorted(counts)
    assert counts[-1] <= len(data)
    assert "Hash" in events[-1]


def test_add_only_hash_stores_nothing(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    data = b"hash me" * 1000
    r = client.post("/add", files=[file_part("f", data)], params={"only-hash": "true"})
    assert lines(r)[-1]["Hash"] == str(api.add(data, pin=False).cid)
    api.gc()
    r = client.post("/add", files=[file_part("g", b"other")], params={"only-hash": ""})
    assert r.status_code == 200
    assert api.repo_stat().num_objects == 0
    assert api.pins() == []


def test_add_silent(client: httpx.Client) -> None:
    r = client.post("/add", files=[file_part("f", b"q")], params={"silent": "true"})
    assert r.status_code == 200
    assert r.text == ""


@pytest.mark.parametrize(
    "name", ["../evil", "/etc/passwd", "a//b", "./a", "a/./b", "a/../../b", "a/..", ".."]
)
def test_add_rejects_traversal_and_stores_nothing(
    client: httpx.Client, api: IPFSSimpleAPI, name: str
) -> None:
    r = client.post("/add", files=[file_part(name, b"payload")])
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["Type"] == "error"
    assert body["Code"] == 1
    assert "invalid entry path" in body["Message"]
    assert api.repo_stat().num_objects == 0
    assert api.pins() == []


def test_add_traversal_after_good_file_pins_nothing(
    client: httpx.Client, api: IPFSSimpleAPI
) -> None:
    with client.stream(
        "POST", "/add", files=[file_part("ok", b"fine"), file_part("../x", b"bad")]
    ) as r:
        seen: list[dict[str, Any]] = []

        def read_all() -> None:
            seen.extend(json.loads(line) for line in r.iter_lines())

        # no trailers over HTTP/1.1 with uvicorn: the body is cut after an error line
        with pytest.raises(httpx.HTTPError):
            read_all()
    # the good file was announced, then the error in Kubo's shape; no pin was made
    assert seen[0]["Name"] == "ok"
    assert seen[-1]["Type"] == "error"
    assert "invalid entry path" in seen[-1]["Message"]
    assert api.pins() == []


def test_add_bad_bodies_are_400(client: httpx.Client) -> None:
    assert client.post("/add").status_code == 400  # no body at all
    r = client.post("/add", content=b"junk", headers={"content-type": "text/plain"})
    assert r.status_code == 400
    assert r.json()["Type"] == "error"
    r = client.post(
        "/add",
        content=b'--xx\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert r.status_code == 400, r.text  # truncated before the closing boundary
    bad_utf8 = (
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="\xff"\r\n'
        b"\r\na\r\n--xx--\r\n"
    )
    r = client.post(
        "/add", content=bad_utf8, headers={"content-type": "multipart/form-data; boundary=xx"}
    )
    assert r.status_code == 400, r.text
    r = client.post("/add", files=[file_part("f", b"x")], params={"nocopy": "true"})
    assert r.status_code == 400


# -- reading -------------------------------------------------------------------------------


def test_cat_offset_length(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    data = bytes(range(256)) * 5000
    cid = str(api.add(data).cid)
    r = client.post("/cat", params={"arg": cid})
    assert r.content == data
    assert r.headers["x-stream-output"] == "1"  # cat.go emits an io.Reader
    assert r.headers["content-type"].startswith("text/plain")
    r = client.post("/cat", params={"arg": f"/ipfs/{cid}", "offset": 1000, "length": 70000})
    assert r.content == data[1000:71000]
    assert client.post("/cat", params={"arg": cid, "offset": len(data)}).content == b""
    for params in ({"offset": -1}, {"length": -5}, {"offset": len(data) + 1}):
        r = client.post("/cat", params={"arg": cid, **params})
        assert r.status_code == 400, params
        assert r.json()["Type"] == "error"


def test_cat_errors(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    r = client.post("/cat", params={"arg": "not-a-cid"})
    assert r.status_code == 400
    missing = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    r = client.post("/cat", params={"arg": missing})
    assert r.status_code == 404
    assert r.json()["Kind"] == "block_not_found"
    r = client.post("/cat")
    assert r.status_code == 400
    assert r.json()["Message"] == 'argument "arg" is required'


def test_ls_shape(client: httpx.Client, api: IPFSSimpleAPI, tmp_path: Path) -> None:
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "f.txt").write_bytes(b"12345")
    (d / "link").symlink_to("f.txt")
    root = str(api.add_path(d)[-1].cid)
    r = client.post("/ls", params={"arg": root})
    (obj,) = r.json()["Objects"]
    assert obj["Hash"] == root
    links = {lk["Name"]: lk for lk in obj["Links"]}
    # ls.go LsLink: Name, Hash, Size, Type (unixfs.proto numbers), Target
    assert links["f.txt"]["Type"] == 2
    assert links["f.txt"]["Size"] == 5
    assert links["sub"]["Type"] == 1
    assert links["link"]["Type"] == 4
    assert links["link"]["Target"] == "f.txt"
    assert set(links["f.txt"]) == {"Name", "Hash", "Size", "Type", "Target"}
    r = client.post("/ls", params={"arg": root, "stream": "true"})
    assert len(lines(r)) == 3


def test_get_tar(client: httpx.Client, api: IPFSSimpleAPI, tmp_path: Path) -> None:
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "x.bin").write_bytes(b"x" * 1000)
    (d / "top.txt").write_bytes(b"top")
    root = str(api.add_path(d)[-1].cid)
    r = client.post("/get", params={"arg": root})
    assert r.status_code == 200
    assert r.headers["x-stream-output"] == "1"
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        names = sorted(tar.getnames())
        assert names == sorted([root, f"{root}/sub", f"{root}/sub/x.bin", f"{root}/top.txt"])
        member = tar.extractfile(f"{root}/sub/x.bin")
        assert member is not None
        assert member.read() == b"x" * 1000
    r = client.post("/get", params={"arg": root, "compress": "true"})
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
        assert f"{root}/top.txt" in tar.getnames()


# -- blocks and DAGs -----------------------------------------------------------------------


def test_block_put_get_stat_rm(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    r = client.post("/block/put", files=[("file", ("b", b"hello world\n"))])
    (put,) = lines(r)
    # block.go BlockStat {Key, Size}; CIDv1 raw by default
    assert put == {"Key": "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4", "Size": 12}
    assert client.post("/block/get", params={"arg": put["Key"]}).content == b"hello world\n"
    assert client.post("/block/stat", params={"arg": put["Key"]}).json() == put
    r = client.post("/block/rm", params={"arg": put["Key"]})
    assert lines(r) == [{"Hash": put["Key"]}]
    r = client.post("/block/rm", params={"arg": put["Key"]})
    assert "Error" in lines(r)[0]
    assert lines(client.post("/block/rm", params={"arg": put["Key"], "force": ""})) == []


def test_block_put_codec_hash_and_limits(client: httpx.Client) -> None:
    node = b"\xa1ahbhi"  # dag-cbor {"h": "hi"}
    r = client.post(
        "/block/put",
        files=[("file", ("b", node))],
        params={"cid-codec": "dag-cbor", "mhtype": "sha2-512", "pin": "true"},
    )
    assert lines(r)[0]["Key"].startswith("bafyrgq")
    big = b"\0" * (2 * 1024 * 1024 + 1)
    r = client.post("/block/put", files=[("file", ("b", big))])
    assert r.status_code == 413
    assert r.json()["Type"] == "error"
    r = client.post("/block/put", files=[("file", ("b", big))], params={"allow-big-block": ""})
    assert r.status_code == 200
    r = client.post(
        "/block/put", files=[("file", ("b", b"\xff"))], params={"cid-codec": "dag-cbor"}
    )
    assert r.status_code == 400


def test_dag_put_get_export_import(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    r = client.post("/dag/put", files=[("file", ("n", b'{"hello":"world"}'))])
    (out,) = lines(r)
    # dag.go OutputObject {Cid: {"/": ...}}; dag-json in, dag-cbor stored
    assert out == {"Cid": {"/": "bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae"}}
    cid = out["Cid"]["/"]
    assert client.post("/dag/get", params={"arg": cid}).json() == {"hello": "world"}
    assert client.post("/dag/get", params={"arg": f"{cid}/hello"}).json() == "world"
    r = client.post("/dag/get", params={"arg": cid, "output-codec": "dag-cbor"})
    assert r.content == api.block_get(cid)

    file_cid = str(api.add(b"z" * 3_000_000, pin=False).cid)
    car = client.post("/dag/export", params={"arg": file_cid}).content
    ref = io.BytesIO()
    api.dag_export(file_cid, ref)
    assert car == ref.getvalue()
    api.gc()
    r = client.post("/dag/import", files=[("file", ("x.car", car))], params={"stats": "true"})
    events = lines(r)
    # dag/import.go CarImportOutput: {Root: {Cid, PinErrorMsg}} and {Stats: {...}}
    assert events[0] == {"Root": {"Cid": {"/": file_cid}, "PinErrorMsg": ""}}
    # two identical 1 MiB leaves are one block: 3 distinct blocks in the CAR
    assert events[1]["Stats"]["BlockCount"] == 3
    assert api.cat(file_cid) == b"z" * 3_000_000
    assert [str(p.cid) for p in api.pins("recursive")] == [file_cid]


def test_dag_import_rejects_garbage(client: httpx.Client) -> None:
    r = client.post("/dag/import", files=[("file", ("x.car", b"\x01\x02garbage"))])
    assert r.status_code == 400
    assert r.json()["Type"] == "error"


def test_refs(client: httpx.Client, api: IPFSSimpleAPI, tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_bytes(b"a" * 2_500_000)
    root = api.add_path(d)[-1].cid
    direct = lines(client.post("/refs", params={"arg": str(root)}))
    assert [e["Ref"] for e in direct] == [str(c) for c in api.refs(root)]
    assert all(e["Err"] == "" for e in direct)
    deep = lines(client.post("/refs", params={"arg": str(root), "recursive": ""}))
    assert [e["Ref"] for e in deep] == [str(c) for c in api.refs(root, recursive=True)]
    edges = lines(client.post("/refs", params={"arg": str(root), "edges": "true"}))
    assert edges[0]["Ref"] == f"{root} -> {direct[0]['Ref']}"
    named = lines(client.post("/refs", params={"arg": str(root), "format": "<linkname>"}))
    assert named[0]["Ref"] == "a"
    local = {e["Ref"] for e in lines(client.post("/refs/local"))}
    assert len(local) == api.repo_stat().num_objects


# -- pins and the repo ---------------------------------------------------------------------


def test_pins(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    a = str(api.add(b"a", pin=False).cid)
    b = str(api.add(b"b", pin=False).cid)
    assert client.post("/pin/add", params={"arg": a, "name": "first"}).json() == {"Pins": [a]}
    keys = client.post("/pin/ls", params={"type": "recursive"}).json()["Keys"]
    assert keys == {a: {"Type": "recursive"}}  # Name only with names=true
    keys = client.post("/pin/ls", params={"names": "true"}).json()["Keys"]
    assert keys[a] == {"Type": "recursive", "Name": "first"}
    streamed = lines(client.post("/pin/ls", params={"stream": "true", "names": "true"}))
    assert streamed == [{"Cid": a, "Type": "recursive", "Name": "first"}]
    r = client.post("/pin/ls", params={"arg": b})
    assert r.status_code == 400
    assert "is not pinned" in r.json()["Message"]
    assert client.post("/pin/ls", params={"type": "bogus"}).status_code == 400
    r = client.post("/pin/update", params=[("arg", a), ("arg", b)])
    assert r.json() == {"Pins": [a, b]}
    assert [str(p.cid) for p in api.pins("recursive")] == [b]
    verify = lines(client.post("/pin/verify", params={"verbose": "true"}))
    assert verify == [{"Cid": b, "Ok": True}]
    assert client.post("/pin/rm", params={"arg": b}).json() == {"Pins": [b]}
    assert api.pins() == []


def test_repo_gc_stat_verify(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    keep = api.add(b"keep")
    drop = api.add(b"drop", pin=False)
    stat = client.post("/repo/stat").json()
    assert set(stat) == {"RepoSize", "StorageMax", "NumObjects", "RepoPath", "Version"}
    assert stat["NumObjects"] == 2
    assert stat["Version"].startswith("fs-repo@")
    assert set(client.post("/repo/stat", params={"size-only": ""}).json()) == {
        "RepoSize",
        "StorageMax",
    }
    removed = lines(client.post("/repo/gc"))
    assert removed == [{"Key": {"/": str(drop.cid)}}]  # repo.go GcResult; CIDv1 raw
    assert api.node.blocks.has(keep.cid)
    assert lines(client.post("/repo/gc", params={"quiet": "true"})) == []
    events = lines(client.post("/repo/verify"))
    assert events[-1] == {"Msg": "verify complete, all blocks validated.", "Progress": 0}
    assert {"Msg": "", "Progress": 1} in events


def test_id_and_version(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    info = client.post("/id").json()
    assert info["ID"] == api.node.peer_id
    assert info["ID"].startswith("12D3KooW")
    assert base64.b64decode(info["PublicKey"]) == api.node.identity.public_key_proto
    assert {"Addresses", "AgentVersion", "Protocols"} <= set(info)
    assert client.post("/id", params={"arg": "12D3KooWother"}).status_code == 404
    version = client.post("/version").json()
    assert set(version) == {"Version", "Commit", "Repo", "System", "Golang"}
    assert version["Golang"].startswith("python/")


def test_index_query_and_tag(client: httpx.Client, api: IPFSSimpleAPI) -> None:
    cid = str(api.add(b"x" * 1000, name="x.bin").cid)
    assert client.post("/index/tag", params=[("arg", cid), ("arg", "model")]).json() == {
        "Tags": ["model"]
    }
    r = client.post("/index/query", params={"arg": "SELECT name, size_bytes FROM objects"})
    assert r.json() == {"Columns": ["name", "size_bytes"], "Rows": [["x.bin", 1000]]}
    r = client.post(
        "/index/query",
        params={"arg": "SELECT name FROM objects"},
        headers={"accept": "application/vnd.apache.arrow.stream"},
    )
    import pyarrow as pa

    assert pa.ipc.open_stream(r.content).read_all().to_pylist() == [{"name": "x.bin"}]
    r = client.post("/index/query", params={"arg": "SELEC nonsense"})
    assert r.status_code == 400
    assert r.json()["Type"] == "error"


# -- HTTP rules ----------------------------------------------------------------------------


def test_get_is_405_and_unknown_command_404(base: str) -> None:
    with httpx.Client(base_url=base) as c:
        # handler.go: only POST (and OPTIONS) run commands
        r = c.get("/api/v0/version")
        assert r.status_code == 405
        assert r.text == "405 - Method Not Allowed\n"
        assert r.headers["allow"] == "OPTIONS, POST"
        assert c.options("/api/v0/version").status_code == 204
        r = c.post("/api/v0/no/such/command")
        assert r.status_code == 404
        assert r.text == "404 page not found\n"
        assert c.get("/api/v0/openapi.json").json()["openapi"].startswith("3.")


def test_bad_option_values_are_400_unknown_ignored(client: httpx.Client) -> None:
    r = client.post("/add", params={"cid-version": "abc"}, files=[file_part("f", b"x")])
    assert r.status_code == 400
    assert r.json() == {
        "Message": 'could not convert value "abc" to type "int" (for option "-cid-version")',
        "Code": 1,
        "Type": "error",
        "Kind": "invalid_argument",
    }
    assert client.post("/version", params={"no-such-flag": "1"}).status_code == 200


def test_cross_origin_requests_refused_without_cors(client: httpx.Client, base: str) -> None:
    # handler.go allowOrigin/allowReferer: 403 unless the origin is allowed
    r = client.post("/version", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post("/version", headers={"Referer": "https://evil.example/page"})
    assert r.status_code == 403
    assert client.post("/version", headers={"Origin": base}).status_code == 200  # our own
    assert "access-control-allow-origin" not in client.post("/version").headers


def test_cors_origins(api: IPFSSimpleAPI) -> None:
    config = ServerConfig(cors_origins="https://app.example")
    with serve(create_app(api, config)) as base, httpx.Client(base_url=base) as c:
        r = c.post("/api/v0/version", headers={"Origin": "https://app.example"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert c.post("/api/v0/version", headers={"Origin": "https://x.example"}).status_code == 403


def test_token(api: IPFSSimpleAPI) -> None:
    with (
        serve(create_app(api, ServerConfig(token="s3cret"))) as base,
        httpx.Client(base_url=base) as c,
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            r = c.post("/api/v0/version", headers=headers)
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["Type"] == "error"
        ok = c.post("/api/v0/version", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200


def test_body_limit(api: IPFSSimpleAPI) -> None:
    with (
        serve(create_app(api, ServerConfig(max_body_bytes=4000))) as base,
        httpx.Client(base_url=base + "/api/v0") as c,
    ):
        r = c.post("/add", files=[file_part("f", b"x" * 10_000)])
        assert r.status_code == 413
        assert r.json()["Type"] == "error"

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
            for _ in range(10):
                yield b"y" * 1000
            yield b"\r\n--b--\r\n"

        r = c.post(
            "/add", content=chunked(), headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert r.status_code == 413
        assert api.pins() == []
        assert c.post("/add", files=[file_part("f", b"x" * 100)]).status_code == 200
