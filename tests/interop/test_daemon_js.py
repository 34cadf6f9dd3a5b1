"""Real JS clients against ``ipfs-kit daemon``: kubo-rpc-client, Helia, verified-fetch.

One daemon per module runs in a loopback-only network namespace (``helpers.netns``);
every client runs in the same namespace, so none of them can reach anything but the
daemon. The repo is filled with :class:`IPFSSimpleAPI` before the daemon starts.

* ``kubo-rpc-client`` (the JS client for Kubo's RPC API) parses our responses; the CIDs
  it reports are checked against independent implementations: real Kubo v0.22
  (CIDv0 defaults), the JS UnixFS importer (CIDv1), Python ``multiformats`` +
  ``dag-cbor`` (blocks, DAG nodes).
* Helia (``@helia/http``'s trustless-gateway broker + ``@helia/unixfs``) and
  ``@helia/verified-fetch`` pull every block from our gateway one ``?format=raw``
  request at a time and hash-check it; what they export must equal the source bytes.
* A block corrupted on disk must not be served, and the clients must not accept it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dag_cbor
import pytest
from multiformats import CID, multihash

from helpers.daemon import RunningDaemon, running_daemon
from helpers.kubo import kubo_add, kubo_block_path
from helpers.netns import LoopbackNetns, loopback_netns, netns_available
from ipfs_kit_py._version import __version__
from ipfs_kit_py.api import IPFSSimpleAPI

#: The ``js_harness`` fixture (tests/interop/conftest.py): ``.node``, ``.script(name)``.
JsHarness = Any
#: The ``unixfs_add`` fixture: ``unixfs_add(path, *flags)`` -> the JS importer's output.
UnixfsAdd = Any

pytestmark = pytest.mark.interop
MIB = 1 << 20
JS_TIMEOUT_S = 300
#: Kubo's ``ipfs add --cid-version 1``, spelled for ``unixfs-add.mjs`` (JS importer).
KUBO_V1 = ("--cid-version", "1", "--raw-leaves", "true", "--chunk-size", "262144")
KUBO_V1 += ("--max-children", "174")
#: Kubo's default ``ipfs add`` (CIDv0), the same way.
KUBO_V0 = ("--cid-version", "0", "--raw-leaves", "false", "--chunk-size", "262144")
KUBO_V0 += ("--max-children", "174")


# -- plumbing ----------------------------------------------------------------------------


def run_js(ns: LoopbackNetns, js: JsHarness, script: str, *args: str, stdin: str = "") -> Any:
    """Run a harness script inside the namespace; its JSON stdout, or fail the test."""
    argv = [js.node, str(js.script(script)), *args]
    try:
        proc = ns.run(argv, input=stdin, timeout=JS_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"{script} timed out after {JS_TIMEOUT_S} s: {err.stderr!r}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{script} {' '.join(args)} exited {proc.returncode}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    return json.loads(proc.stdout)


def b64(data: bytes) -> dict[str, str]:
    return {"$bytes": base64.b64encode(data).decode("ascii")}


def raw_cid(data: bytes, codec: str = "raw") -> str:
    """CIDv1 of ``data`` under ``codec`` with sha2-256, by Python ``multiformats``."""
    return str(CID("base32", 1, codec, multihash.digest(data, "sha2-256")))


def tree_files(root: Path) -> dict[str, bytes]:
    """``relative path -> bytes`` of every regular file under ``root``."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Served:
    """The module's daemon and what its repo holds."""

    ns: LoopbackNetns
    daemon: RunningDaemon
    work: Path
    big: bytes  # 5 MiB + 7 random bytes
    big_v1: str  # added with the repo profile (unixfs-v1-2025: 1 MiB raw leaves)
    big_v0: str  # added as unixfs-v0-2015 (CIDv0, 256 KiB dag-pb leaves)
    tree: Path  # nested tree (helpers.corpus.write_tree), on disk
    tree_cid: str
    tree_cids: dict[str, str]  # path below the tree -> CID, as our add reported it
    hamt: Path  # one directory big enough to be HAMT-sharded
    hamt_cid: str
    blocks: dict[str, int]  # root CID -> number of distinct blocks in its DAG

    @property
    def gateway(self) -> str:
        assert self.daemon.gateway_url is not None
        return self.daemon.gateway_url


def _hamt_dir(root: Path) -> Path:
    # 1000 links with 240-byte names: the flat node would be ~286 kB > 256 KiB, so it is
    # sharded. 16 distinct contents keep the block count (and the requests) small.
    rng = random.Random(7)
    payloads = [rng.randbytes(rng.randint(1, 40)) for _ in range(16)]
    root.mkdir()
    for i in range(1000):
        (root / f"{i:05d}-{'x' * 234}").write_bytes(payloads[i % 16])
    return root


@pytest.fixture(scope="module")
def netns() -> Iterator[LoopbackNetns]:
    reason = netns_available()
    if reason is not None:
        pytest.fail(f"loopback-only network namespace unavailable: {reason}", pytrace=False)
    with loopback_netns() as ns:
        yield ns


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, netns: LoopbackNetns) -> Iterator[Served]:
    from helpers.corpus import write_tree

    work = tmp_path_factory.mktemp("daemon-js")
    repo = work / "repo"
    big = random.Random(5).randbytes(5 * MIB + 7)
    tree = write_tree(work / "tree", seed=3)
    hamt = _hamt_dir(work / "hamt")
    with IPFSSimpleAPI(repo) as api:
        big_v1 = str(api.add(big).cid)
        big_v0 = str(api.add(big, profile="unixfs-v0-2015").cid)
        tree_entries = api.add_path(tree)
        tree_cid = str(tree_entries[-1].cid)
        tree_cids = {e.path.partition("/")[2]: str(e.cid) for e in tree_entries}
        hamt_cid = str(api.add_path(hamt)[-1].cid)
        blocks = {
            cid: 1 + len(list(api.refs(cid, recursive=True, unique=True)))
            for cid in (big_v1, big_v0, tree_cid, hamt_cid)
        }
    with running_daemon(repo, prefix=netns.prefix) as daemon:
        yield Served(
            netns,
            daemon,
            work,
            big,
            big_v1,
            big_v0,
            tree,
            tree_cid,
            tree_cids,
            hamt,
            hamt_cid,
            blocks,
        )


# -- kubo-rpc-client -----------------------------------------------------------------------


@pytest.fixture
def rpc(served: Served, js_harness: JsHarness) -> Any:
    """``rpc(steps)``: run ``kubo-rpc.mjs`` steps against the daemon; the client's results."""

    def call(steps: Sequence[dict[str, Any]]) -> list[Any]:
        out = run_js(
            served.ns,
            js_harness,
            "kubo-rpc.mjs",
            served.daemon.rpc_url,
            "-",
            stdin=json.dumps(steps),
        )
        assert isinstance(out, list)
        assert len(out) == len(steps)
        return out

    return call


def test_version(rpc: Any) -> None:
    (version,) = rpc([{"op": "version"}])
    assert version["version"] == __version__
    assert {"commit", "repo", "system"} <= version.keys()


def test_add_cidv0_matches_kubo_and_cats_back(
    rpc: Any, repo: Path, unixfs_add: UnixfsAdd, tmp_path: Path
) -> None:
    data = random.Random(0).randbytes(3 * MIB + 1)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    expected = kubo_add(path, repo=repo)  # real Kubo, default `ipfs add` (CIDv0)
    (js,) = unixfs_add(path, *KUBO_V0)["entries"]
    assert js["cid"] == expected
    added, cat, part = rpc(
        [
            {"op": "add", "args": [b64(data), {"cidVersion": 0}]},
            {"op": "cat", "args": [expected]},
            {"op": "cat", "args": [expected, {"offset": MIB - 3, "length": 10}]},
        ]
    )
    assert added["cid"] == {"/": expected}
    assert added["size"] == js["size"]  # as in Kubo: the file's cumulative DAG size (Tsize)
    assert (cat["size"], cat["sha256"]) == (len(data), sha(data))
    assert base64.b64decode(part["$bytes"]) == data[MIB - 3 : MIB + 7]


def test_add_cidv1_matches_js_importer(rpc: Any, unixfs_add: UnixfsAdd, tmp_path: Path) -> None:
    data = random.Random(1).randbytes(2 * MIB + 5)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    (js,) = unixfs_add(path, *KUBO_V1)["entries"]
    expected = js["cid"]
    added, cat = rpc(
        [
            {"op": "add", "args": [b64(data), {"cidVersion": 1}]},
            {"op": "cat", "args": [expected]},
        ]
    )
    assert added["cid"] == {"/": expected}
    assert added["size"] == js["size"]
    assert (cat["size"], cat["sha256"]) == (len(data), sha(data))


def _rpc_tree(root: Path) -> Path:
    """A nested tree that ``addAll`` can send as-is (no symlinks, no hidden names)."""
    rng = random.Random(11)
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "a.txt").write_bytes(b"hello world\n")
    (root / "empty-file").write_bytes(b"")
    (root / "sub" / "big.bin").write_bytes(rng.randbytes(600_000))
    (root / "sub" / "deeper" / "c.bin").write_bytes(rng.randbytes(3000))
    return root


def _add_all_args(root: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for p in sorted(root.rglob("*")):
        rel = (Path(root.name) / p.relative_to(root)).as_posix()
        entries.append(
            {"path": rel, "content": b64(p.read_bytes())} if p.is_file() else {"path": rel}
        )
    return entries


@pytest.mark.parametrize("version", [0, 1])
def test_add_all_directory_and_ls(
    rpc: Any, unixfs_add: UnixfsAdd, repo: Path, tmp_path: Path, version: int
) -> None:
    root = _rpc_tree(tmp_path / "tree")
    if version == 0:
        expected_root = kubo_add(root, repo=repo)
        flags = KUBO_V0
    else:
        flags = KUBO_V1
    js = unixfs_add(root, *flags)
    expected = {e["path"]: e["cid"] for e in js["entries"]}
    if version == 0:
        assert js["root"] == expected_root  # the JS oracle agrees with Kubo here
    added, listing, sub = rpc(
        [
            {"op": "addAll", "args": [_add_all_args(root), {"cidVersion": version}]},
            {"op": "ls", "args": [js["root"]]},
            {"op": "ls", "args": [f"{js['root']}/sub"]},
        ]
    )
    got = {e["path"]: e["cid"]["/"] for e in added}
    assert got["tree"] == js["root"]
    for path, cid in got.items():
        if path in expected:  # the importer does not yield empty subdirectories
            assert cid == expected[path], path
    assert [(e["name"], e["type"], e["cid"]["/"]) for e in listing] == [
        ("a.txt", "file", expected["tree/a.txt"]),
        ("empty-dir", "dir", listing[1]["cid"]["/"]),
        ("empty-file", "file", expected["tree/empty-file"]),
        ("sub", "dir", expected["tree/sub"]),
    ]
    assert [(e["name"], e["size"]) for e in listing if e["type"] == "file"] == [
        ("a.txt", 12),
        ("empty-file", 0),
    ]
    assert [(e["name"], e["type"], e["path"]) for e in sub] == [
        ("big.bin", "file", f"{js['root']}/sub/big.bin"),
        ("deeper", "dir", f"{js['root']}/sub/deeper"),
    ]
    assert sub[0]["size"] == 600_000


def test_pin_add_ls_rm(rpc: Any) -> None:
    data = random.Random(2).randbytes(700_000)
    (added,) = rpc([{"op": "add", "args": [b64(data), {"cidVersion": 1, "pin": False}]}])
    cid = added["cid"]["/"]
    results = rpc(
        [
            {"op": "pin.ls", "args": [{"paths": [cid]}], "expect_error": True},
            {"op": "pin.add", "args": [cid]},
            {"op": "pin.ls", "args": [{"paths": [cid]}]},
            {"op": "pin.ls", "args": [{"type": "recursive"}]},
            {"op": "pin.rm", "args": [cid]},
            {"op": "pin.ls", "args": [{"paths": [cid]}], "expect_error": True},
            {"op": "pin.add", "args": [cid, {"recursive": False}]},
            {"op": "pin.ls", "args": [{"paths": [cid]}]},
            {"op": "pin.rm", "args": [cid, {"recursive": False}]},
        ]
    )
    before, pinned, listed, everything, removed, after, direct, listed_direct, unpinned = results
    assert "not pinned" in before["error"]
    assert pinned == {"/": cid}
    assert listed == [{"type": "recursive", "cid": {"/": cid}}]
    assert {"type": "recursive", "cid": {"/": cid}} in everything
    assert removed == {"/": cid}
    assert "not pinned" in after["error"]
    assert direct == {"/": cid}
    assert listed_direct == [{"type": "direct", "cid": {"/": cid}}]
    assert unpinned == {"/": cid}


def test_block_put_get_stat(rpc: Any) -> None:
    data = random.Random(3).randbytes(1000)
    node = dag_cbor.encode({"block": "put", "n": 1})
    put_raw, put_cbor, get_raw, get_cbor, stat = rpc(
        [
            {"op": "block.put", "args": [b64(data)]},
            {"op": "block.put", "args": [b64(node), {"cidCodec": "dag-cbor"}]},
            {"op": "block.get", "args": [{"$cid": raw_cid(data)}]},
            {"op": "block.get", "args": [{"$cid": raw_cid(node, "dag-cbor")}]},
            {"op": "block.stat", "args": [{"$cid": raw_cid(data)}]},
        ]
    )
    assert put_raw == {"/": raw_cid(data)}  # Kubo's default: CIDv1, raw, sha2-256
    assert put_cbor == {"/": raw_cid(node, "dag-cbor")}
    assert base64.b64decode(get_raw["$bytes"]) == data
    assert base64.b64decode(get_cbor["$bytes"]) == node
    assert stat == {"cid": {"/": raw_cid(data)}, "size": len(data)}


def test_dag_put_get(rpc: Any, served: Served) -> None:
    link = CID.decode(served.big_v1)
    value = {"hello": "world", "n": -7, "list": [1, 2, {"x": True}], "link": link}
    expected = raw_cid(dag_cbor.encode(value), "dag-cbor")
    as_json = {k: ({"/": str(v)} if k == "link" else v) for k, v in value.items()}
    put, got, deep, put_json = rpc(
        [
            {"op": "dag.put", "args": [as_json]},
            {"op": "dag.get", "args": [{"$cid": expected}]},
            {"op": "dag.get", "args": [{"$cid": expected}, {"path": "/list/2/x"}]},
            {"op": "dag.put", "args": [as_json, {"storeCodec": "dag-json"}]},
        ]
    )
    assert put == {"/": expected}
    assert got == {"value": as_json, "remainderPath": ""}
    assert deep["value"] is True
    assert CID.decode(put_json["/"]).codec.name == "dag-json"
    (got_json,) = rpc([{"op": "dag.get", "args": [{"$cid": put_json["/"]}]}])
    assert got_json["value"] == as_json


# -- Helia: trustless gateway block broker + @helia/unixfs ---------------------------------


def helia_fetch(served: Served, js: JsHarness, cid: str, *extra: str) -> dict[str, Any]:
    out: dict[str, Any] = run_js(served.ns, js, "helia-fetch.mjs", *extra, served.gateway, cid)
    return out


def assert_trustless_requests(out: dict[str, Any], gateway: str) -> list[str]:
    """Every request was one raw block, as linked; return the CIDs asked for."""
    cids = []
    for request in out["requests"]:
        assert request["accept"] == "application/vnd.ipld.raw"
        assert request["status"] == 200, request
        prefix = f"{gateway}/ipfs/"
        assert request["url"].startswith(prefix)
        assert request["url"].endswith("?format=raw")
        cids.append(request["url"][len(prefix) : -len("?format=raw")])
    return cids


@pytest.mark.slow
@pytest.mark.parametrize("which", ["big_v1", "big_v0"])
def test_helia_fetches_multi_block_file(served: Served, js_harness: JsHarness, which: str) -> None:
    cid = getattr(served, which)
    out = helia_fetch(served, js_harness, cid)
    (entry,) = out["entries"]
    assert (entry["type"], entry["size"], entry["sha256"]) == (
        "file",
        len(served.big),
        sha(served.big),
    )
    asked = assert_trustless_requests(out, served.gateway)
    assert len(set(asked)) == out["blocks"] == served.blocks[cid]
    if which == "big_v0":  # dag-pb leaves are linked, and so requested, as CIDv0
        assert all(c.startswith("Qm") for c in asked)
    else:
        assert sum(c.startswith("bafkrei") for c in asked) == served.blocks[cid] - 1


@pytest.mark.slow
def test_helia_fetches_nested_directory(
    served: Served, js_harness: JsHarness, tmp_path: Path
) -> None:
    out = helia_fetch(served, js_harness, served.tree_cid, "--out", str(tmp_path / "out"))
    files = tree_files(served.tree)
    got = {e["path"]: e for e in out["entries"] if "sha256" in e}
    assert {p: (e["size"], e["sha256"]) for p, e in got.items()} == {
        p: (len(b), sha(b)) for p, b in files.items()
    }
    assert tree_files(tmp_path / "out") == files  # byte-exact, written by the exporter
    links = {e["path"]: e["target"] for e in out["entries"] if "target" in e}
    assert links == {"link": "repeat.txt"}
    assert_trustless_requests(out, served.gateway)
    assert out["blocks"] == served.blocks[served.tree_cid]


@pytest.mark.slow
def test_helia_fetches_hamt_sharded_directory(served: Served, js_harness: JsHarness) -> None:
    out = helia_fetch(served, js_harness, served.hamt_cid)
    root, *children = out["entries"]
    assert root["unixfs"] == "hamt-sharded-directory"
    files = tree_files(served.hamt)
    assert {e["path"]: e["sha256"] for e in children} == {p: sha(b) for p, b in files.items()}
    assert_trustless_requests(out, served.gateway)
    assert out["blocks"] == served.blocks[served.hamt_cid]


# -- @helia/verified-fetch -------------------------------------------------------------------


def verified_fetch(served: Served, js: JsHarness, resource: str, *extra: str) -> dict[str, Any]:
    out: dict[str, Any] = run_js(
        served.ns, js, "verified-fetch.mjs", *extra, served.gateway, resource
    )
    return out


@pytest.mark.slow
def test_verified_fetch_files_and_paths(served: Served, js_harness: JsHarness) -> None:
    for cid in (served.big_v1, served.big_v0):
        out = verified_fetch(served, js_harness, f"ipfs://{cid}")
        assert (out["status"], out["size"], out["sha256"]) == (
            200,
            len(served.big),
            sha(served.big),
        )
        assert_trustless_requests(out, served.gateway)
    deep = (served.tree / "水" / "𐅑" / "deep.bin").read_bytes()
    out = verified_fetch(served, js_harness, f"ipfs://{served.tree_cid}/水/𐅑/deep.bin")
    assert (out["status"], out["sha256"]) == (200, sha(deep))
    name = sorted(tree_files(served.hamt))[567]
    out = verified_fetch(served, js_harness, f"ipfs://{served.hamt_cid}/{name}")
    assert (out["status"], out["sha256"]) == (200, sha((served.hamt / name).read_bytes()))


@pytest.mark.slow
@pytest.mark.parametrize("sub", ["水", "many"])
def test_verified_fetch_directory_as_tar(
    served: Served, js_harness: JsHarness, tmp_path: Path, sub: str
) -> None:
    # A subdirectory: verified-fetch 8.0.4 cannot tar a symlink (it-tar "size mismatch,
    # wrote 0 of N bytes"), and the whole tree holds one. Asked for by CID: with a path,
    # its tar plugin looks the last segment up again below the directory it resolved
    # ('No link "many" found under <CID of many>').
    tar_path = tmp_path / "sub.tar"
    out = verified_fetch(
        served, js_harness, f"ipfs://{served.tree_cids[sub]}", "--accept", "application/x-tar",
        "--out", str(tar_path),
    )  # fmt: skip
    assert out["status"] == 200
    assert_trustless_requests(out, served.gateway)
    got = {}
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                got[member.name.split("/", 1)[1]] = extracted.read()
    assert got == tree_files(served.tree / sub)


@pytest.mark.slow
def test_verified_fetch_car(served: Served, js_harness: JsHarness, car_read: Any) -> None:
    car = served.work / "tree.car"
    out = verified_fetch(
        served, js_harness, f"ipfs://{served.tree_cid}", "--accept", "application/vnd.ipld.car",
        "--out", str(car),
    )  # fmt: skip
    assert out["status"] == 200
    dump = car_read(car)
    assert dump["roots"] == [served.tree_cid]
    cids = {b["cid"] for b in dump["blocks"]}
    assert len(cids) == served.blocks[served.tree_cid]
    for block in dump["blocks"]:  # each block hashes to its CID (checked here, not by @ipld/car)
        cid = CID.decode(block["cid"])
        assert multihash.digest(base64.b64decode(block["bytes"]), "sha2-256") == cid.digest


# -- a corrupted or missing block ------------------------------------------------------------


PROBE = """
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Accept": "application/vnd.ipld.raw"})
try:
    with urllib.request.urlopen(req, timeout=60) as res:
        body = res.read(); print(res.status, len(body), body.hex())
except urllib.error.HTTPError as err:
    print(err.code, 0, "")
except Exception as err:  # a connection reset mid-body counts as a refusal too
    print(0, 0, type(err).__name__)
"""


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory, netns: LoopbackNetns) -> Iterator[Any]:
    """A second daemon over a repo where one leaf is flipped on disk and one is deleted."""
    work = tmp_path_factory.mktemp("damaged")
    data = random.Random(9).randbytes(3 * MIB)
    with IPFSSimpleAPI(work / "repo") as api:
        root = str(api.add(data, profile="unixfs-v0-2015").cid)  # 12 dag-pb leaves
        leaves = [str(c) for c in api.refs(root)]
    flipped, deleted = CID.decode(leaves[3]), CID.decode(leaves[8])
    for cid in (flipped, deleted):
        assert kubo_block_path(work / "repo", bytes(cid.digest)).is_file()
    path = kubo_block_path(work / "repo", bytes(flipped.digest))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    kubo_block_path(work / "repo", bytes(deleted.digest)).unlink()
    with running_daemon(work / "repo", prefix=netns.prefix) as daemon:
        yield {"daemon": daemon, "root": root, "flipped": str(flipped), "deleted": str(deleted),
               "data": data, "bad": bytes(raw)}  # fmt: skip


def probe(ns: LoopbackNetns, url: str) -> tuple[int, bytes]:
    import sys

    proc = ns.run([sys.executable, "-c", PROBE, url], timeout=120)
    assert proc.returncode == 0, proc.stderr
    status, _, body = proc.stdout.split(" ")
    return int(status), bytes.fromhex(body.strip()) if int(status) == 200 else b""


def test_gateway_refuses_a_corrupted_block(netns: LoopbackNetns, damaged: Any) -> None:
    gateway = damaged["daemon"].gateway_url
    status, body = probe(netns, f"{gateway}/ipfs/{damaged['flipped']}?format=raw")
    assert status >= 400, f"gateway answered {status} for a corrupted block ({len(body)} bytes)"
    status, _ = probe(netns, f"{gateway}/ipfs/{damaged['deleted']}?format=raw")
    assert status == 404


@pytest.mark.slow
@pytest.mark.parametrize("which", ["flipped", "deleted"])
def test_helia_does_not_accept_a_damaged_file(
    netns: LoopbackNetns, js_harness: JsHarness, damaged: Any, which: str
) -> None:
    gateway = damaged["daemon"].gateway_url

    def run(script: str, resource: str) -> subprocess.CompletedProcess[str]:
        # verified-fetch waits out its whole timeout after a failed block request
        argv = [js_harness.node, str(js_harness.script(script)), "--timeout", "8"]
        return netns.run([*argv, gateway, resource], timeout=JS_TIMEOUT_S)

    leaf = run("helia-fetch.mjs", damaged[which])
    assert leaf.returncode != 0, leaf.stdout
    assert leaf.stdout == ""
    assert damaged[which] in leaf.stderr or "timed out" in leaf.stderr
    whole = run("helia-fetch.mjs", damaged["root"])  # the exporter stops at the bad leaf
    assert whole.returncode != 0, whole.stdout
    assert whole.stdout == ""
    fetched = run("verified-fetch.mjs", f"ipfs://{damaged['root']}")
    if fetched.returncode == 0:  # a response, but never the file's bytes
        result = json.loads(fetched.stdout)
        assert result["sha256"] != sha(damaged["data"])


def test_netns_is_loopback_only(netns: LoopbackNetns) -> None:
    proc = netns.run(["ip", "-o", "link", "show"], timeout=30)
    assert [line.split(":")[1].strip() for line in proc.stdout.splitlines()] == ["lo"]
