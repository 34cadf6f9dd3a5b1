"""The gateway against a real uvicorn server on 127.0.0.1 (port 0), plus in-process cases.

Golden values: bytes we add ourselves (so the expected body is known independently
of the gateway), CIDs from the IPFS spec's identity probe, and RFC 9110 rules.
"""

from __future__ import annotations

import dataclasses
import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from helpers.asgi import serve
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.car import CarReader
from ipfs_kit_py.cid import CID
from ipfs_kit_py.config import ServerConfig
from ipfs_kit_py.gateway import create_app
from ipfs_kit_py.gateway._ranges import MAX_RANGES
from ipfs_kit_py.unixfs import resolve_options

BIG = os.urandom(3 * 1024 * 1024 + 12345)  # four 1 MiB leaves under a dag-pb root
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(100)


class Node:
    def __init__(self, api: IPFSSimpleAPI, base: str, tmp: Path) -> None:
        self.api = api
        self.base = base
        self.tmp = tmp
        self.client = httpx.Client(base_url=base, timeout=30)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("gw")
    site = tmp / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "readme.md").write_text("# hi\n")
    (site / "<script>alert(1)<").write_text("x")
    (site / 'a&b "q".txt').write_text("amp")
    (site / "www").mkdir()
    (site / "www" / "index.html").write_text("<p>home</p>")
    hamt = tmp / "hamt"
    hamt.mkdir()
    for i in range(300):
        (hamt / f"f{i:03d}.txt").write_text(f"file {i}\n")
    with IPFSSimpleAPI(tmp / "repo") as api, serve(create_app(api)) as base:
        n = Node(api, base, tmp)
        n.big = api.add(BIG, name="big.bin").cid  # type: ignore[attr-defined]
        n.png = api.add(PNG).cid  # type: ignore[attr-defined]
        n.site = api.add_path(site)[-1].cid  # type: ignore[attr-defined]
        opts = dataclasses.replace(resolve_options(), shard_threshold=1000)
        n.hamt = api.add_paths([hamt], options=opts)[-1].cid  # type: ignore[attr-defined]
        yield n
        n.client.close()


def raw_request(base: str, target: str, method: str = "GET") -> tuple[int, bytes]:
    """Send ``target`` byte for byte (no client-side normalisation of ``..`` or ``%2e``)."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


# -- files -----------------------------------------------------------------------------------


def test_file_get_headers_and_body(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}")
    assert r.status_code == 200
    assert r.content == BIG
    h = r.headers
    assert h["content-length"] == str(len(BIG))
    assert h["accept-ranges"] == "bytes"
    assert h["etag"] == f'"{node.big}"'
    assert h["cache-control"] == "public, max-age=29030400, immutable"
    assert h["x-ipfs-path"] == f"/ipfs/{node.big}"
    assert h["x-ipfs-roots"] == str(node.big)
    assert h["x-content-type-options"] == "nosniff"


def test_content_type_from_name_then_sniffed(node: Node) -> None:
    r = node.get(f"/ipfs/{node.site}/docs/readme.md")
    assert r.headers["content-type"].startswith("text/markdown")
    assert node.get(f"/ipfs/{node.png}").headers["content-type"] == "image/png"
    assert (
        node.get(f"/ipfs/{node.png}?filename=x.csv").headers["content-type"].startswith("text/csv")
    )


def test_x_ipfs_roots_has_one_cid_per_segment(node: Node) -> None:
    r = node.get(f"/ipfs/{node.site}/docs/readme.md")
    docs = next(e.cid for e in node.api.ls(node.site) if e.name == "docs")
    readme = next(e.cid for e in node.api.ls(docs) if e.name == "readme.md")
    assert r.headers["x-ipfs-roots"] == f"{node.site},{docs},{readme}"


def test_head_has_headers_but_no_body(node: Node) -> None:
    r = node.client.head(f"/ipfs/{node.big}")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(BIG))


@pytest.mark.parametrize("tag", ['"{cid}"', 'W/"{cid}"', '"other", "{cid}"', "*"])
def test_if_none_match_gives_304(node: Node, tag: str) -> None:
    r = node.get(f"/ipfs/{node.big}", headers={"If-None-Match": tag.format(cid=node.big)})
    assert r.status_code == 304
    assert r.content == b""


def test_single_range_across_blocks(node: Node) -> None:
    start, end = 1024 * 1024 - 10, 2 * 1024 * 1024 + 10
    r = node.get(f"/ipfs/{node.big}", headers={"Range": f"bytes={start}-{end}"})
    assert r.status_code == 206
    assert r.content == BIG[start : end + 1]
    assert r.headers["content-range"] == f"bytes {start}-{end}/{len(BIG)}"
    r = node.get(f"/ipfs/{node.big}", headers={"Range": "bytes=-100"})
    assert r.content == BIG[-100:]


def _multipart(r: httpx.Response) -> list[tuple[str, bytes]]:
    boundary = r.headers["content-type"].split("boundary=")[1].encode()
    body = r.content
    assert body.endswith(b"--" + boundary + b"--\r\n")
    parts = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, data = chunk.partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        content_range = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-range")
        )
        parts.append((content_range, data[:-2]))
    return parts


def test_multi_range_is_multipart_byteranges(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}", headers={"Range": "bytes=0-9,2000000-2000099,-5"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert len(r.content) == int(r.headers["content-length"])
    size = len(BIG)
    assert _multipart(r) == [
        (f"bytes 0-9/{size}", BIG[:10]),
        (f"bytes 2000000-2000099/{size}", BIG[2000000:2000100]),
        (f"bytes {size - 5}-{size - 1}/{size}", BIG[-5:]),
    ]


def test_overlapping_ranges_are_coalesced(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}", headers={"Range": "bytes=0-99,50-149"})
    assert r.status_code == 206
    assert r.content == BIG[:150]


def test_unsatisfiable_range_is_416(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}", headers={"Range": f"bytes={len(BIG)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(BIG)}"


def test_too_many_ranges_are_ignored(node: Node) -> None:
    spec = ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1))
    r = node.get(f"/ipfs/{node.png}", headers={"Range": f"bytes={spec}"})
    assert r.status_code == 200
    assert r.content == PNG


# -- directories -------------------------------------------------------------------------------


def test_directory_redirects_to_trailing_slash(node: Node) -> None:
    r = node.get(f"/ipfs/{node.site}/docs?x=1")
    assert r.status_code == 301
    assert r.headers["location"] == f"/ipfs/{node.site}/docs/?x=1"


def test_index_html_is_served(node: Node) -> None:
    r = node.get(f"/ipfs/{node.site}/www/")
    assert r.status_code == 200
    assert r.text == "<p>home</p>"
    assert r.headers["content-type"].startswith("text/html")
    www = next(e.cid for e in node.api.ls(node.site) if e.name == "www")
    assert r.headers["etag"] == f'"{www}"'


def test_listing_escapes_names(node: Node) -> None:
    r = node.get(f"/ipfs/{node.site}/")
    assert r.status_code == 200
    assert r.headers["etag"].startswith('"DirIndex-')
    assert r.headers["etag"] != f'"{node.site}"'
    page = r.text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;" in page
    assert 'href="/ipfs/' + str(node.site) + '/%3Cscript%3Ealert(1)%3C"' in page
    assert "a&amp;b &quot;q&quot;.txt" in page
    for e in node.api.ls(node.site):
        assert str(e.cid) in page
    assert f'href="/ipfs/{node.site}/..">' not in page  # no backlink at the root


def test_hamt_directory_listing_and_paths(node: Node) -> None:
    assert node.api.stat(node.hamt).kind == "directory"
    r = node.get(f"/ipfs/{node.hamt}/")
    assert r.status_code == 200
    for i in (0, 150, 299):
        assert f">f{i:03d}.txt<" in r.text
    assert node.get(f"/ipfs/{node.hamt}/f123.txt").text == "file 123\n"
    assert node.get(f"/ipfs/{node.hamt}/nope.txt").status_code == 404


# -- errors and safety -------------------------------------------------------------------------


def test_status_codes(node: Node) -> None:
    assert node.get("/ipfs/not-a-cid").status_code == 400
    assert node.get(f"/ipfs/{node.site}/missing").status_code == 404
    absent = CID.from_data(b"never stored", 0x55)
    assert node.get(f"/ipfs/{absent}").status_code == 404
    assert node.get(f"/ipfs/{absent}?format=raw").status_code == 404
    assert node.get(f"/ipfs/{node.big}/child").status_code == 404  # a file has no children
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = node.client.request(method, f"/ipfs/{node.big}")
        assert r.status_code == 405, method
        assert "GET" in r.headers["allow"]
    assert node.client.options(f"/ipfs/{node.big}").status_code == 204
    assert node.get("/ipns/example.com").status_code == 501


def test_only_if_cached(node: Node) -> None:
    headers = {"Cache-Control": "only-if-cached"}
    assert node.client.head(f"/ipfs/{node.big}", headers=headers).status_code == 200
    absent = CID.from_data(b"nope", 0x55)
    assert node.get(f"/ipfs/{absent}", headers=headers).status_code == 412


@pytest.mark.parametrize(
    "suffix",
    [
        "/../..",
        "/docs/../../x",
        "/%2e%2e/%2e%2e",
        "/docs%2F..%2F..",
        "/docs/%2E",
        "/readme%00.md",
        "/..%2fetc%2fpasswd",
    ],
)
def test_path_traversal_is_refused(node: Node, suffix: str) -> None:
    status, body = raw_request(node.base, f"/ipfs/{node.site}{suffix}")
    assert status == 400, body


def test_traversal_before_the_cid(node: Node) -> None:
    for target in ("/ipfs/../../etc/passwd", "/ipfs/%2e%2e/x", "/ipfs/"):
        status, _ = raw_request(node.base, target)
        assert status in (400, 404)


def _drain(r: httpx.Response, into: bytearray) -> None:
    for chunk in r.iter_bytes():
        into += chunk


def test_integrity_failure_is_502_and_never_sends_bad_bytes(tmp_path: Path) -> None:
    with IPFSSimpleAPI(tmp_path / "repo") as api, serve(create_app(api)) as base:
        small = api.add(b"precious bytes\n").cid
        data = os.urandom(3 * 1024 * 1024)
        big = api.add(data).cid
        flatfs = api.node.blocks.inner
        flatfs.block_path(small).write_bytes(b"tampered bytes\n")
        leaves = list(api.refs(big))
        flatfs.block_path(leaves[1]).write_bytes(b"\0" * (1024 * 1024))
        with httpx.Client(base_url=base, timeout=30) as client:
            r = client.get(f"/ipfs/{small}")
            assert r.status_code == 502
            assert b"tampered" not in r.content
            raw = client.get(f"/ipfs/{small}?format=raw")
            assert raw.status_code == 502
            assert str(tmp_path).encode() not in r.content + raw.content  # no paths on disk
            with pytest.raises(httpx.HTTPError):  # aborted mid-stream: never a full 200
                client.get(f"/ipfs/{big}").read()
            got = bytearray()
            with client.stream("GET", f"/ipfs/{big}") as r, pytest.raises(httpx.HTTPError):
                _drain(r, got)
            assert bytes(got) == data[: len(got)]
            assert len(got) <= 1024 * 1024  # nothing past the corrupt block


# -- trustless -------------------------------------------------------------------------------


def _car(r: httpx.Response) -> tuple[list[CID], list[CID]]:
    reader = CarReader(io.BytesIO(r.content), verify=True)  # re-hashes every block
    return list(reader.roots), [b.cid for b in reader]


def test_raw_block(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}?format=raw")
    assert r.status_code == 200
    assert r.content == node.api.block_get(node.big)
    assert r.headers["content-type"] == "application/vnd.ipld.raw"
    assert r.headers["content-disposition"] == f'attachment; filename="{node.big}.bin"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "public, max-age=29030400, immutable"
    r2 = node.get(f"/ipfs/{node.big}", headers={"Accept": "application/vnd.ipld.raw"})
    assert r2.content == r.content
    assert r2.headers["content-location"] == f"/ipfs/{node.big}?format=raw"


def test_raw_block_of_cidv0(tmp_path: Path) -> None:
    with IPFSSimpleAPI(tmp_path / "r", profile="unixfs-v0-2015") as api:
        cid = api.add(b"hello world\n").cid
        assert str(cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
        transport = httpx.ASGITransport(app=create_app(api))
        import anyio

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
                return await c.get(
                    f"/ipfs/{cid}?format=raw", headers={"Accept": "application/vnd.ipld.raw"}
                )

        r = anyio.run(go)
        assert r.status_code == 200
        assert CID.from_data(r.content, 0x70, version=0) == cid


def test_identity_probe(node: Node) -> None:
    r = node.get("/ipfs/bafkqaaa?format=raw", headers={"Accept": "application/vnd.ipld.raw"})
    assert r.status_code == 200
    assert r.content == b""
    assert node.client.head("/ipfs/bafkqaaa?format=raw").status_code == 200
    r = node.get("/ipfs/bafkqaaa?format=car")
    assert r.status_code == 200
    roots, blocks = _car(r)
    assert [str(c) for c in roots] == ["bafkqaaa"]
    assert blocks == []


def test_car_of_file_has_every_block_once(node: Node) -> None:
    r = node.get(f"/ipfs/{node.big}?format=car")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.ipld.car; version=1; order=dfs; dups=n"
    assert r.headers["content-disposition"] == f'attachment; filename="{node.big}.car"'
    roots, blocks = _car(r)
    assert roots == [node.big]
    assert blocks == [node.big, *node.api.refs(node.big)]


def test_car_with_path_includes_path_blocks(node: Node) -> None:
    docs = next(e.cid for e in node.api.ls(node.site) if e.name == "docs")
    readme = next(e.cid for e in node.api.ls(docs) if e.name == "readme.md")
    r = node.get(
        f"/ipfs/{node.site}/docs/readme.md", headers={"Accept": "application/vnd.ipld.car"}
    )
    roots, blocks = _car(r)
    assert roots == [readme]
    assert blocks == [node.site, docs, readme]
    r = node.get(f"/ipfs/{node.site}/docs?format=car&dag-scope=block")
    assert _car(r)[1] == [node.site, docs]


def test_car_entity_bytes_picks_only_needed_leaves(node: Node) -> None:
    leaves = list(node.api.refs(node.big))
    mib = 1024 * 1024
    cases = {
        "0:0": leaves[:1],
        f"{mib}:{2 * mib - 1}": leaves[1:2],
        f"{mib - 1}:{mib}": leaves[0:2],
        "-1:*": leaves[-1:],
        "0:*": leaves,
        f"{len(BIG) + 5}:*": [],
    }
    for spec, expected in cases.items():
        r = node.get(f"/ipfs/{node.big}?format=car&dag-scope=entity&entity-bytes={spec}")
        assert _car(r)[1] == [node.big, *expected], spec
    assert node.get(f"/ipfs/{node.big}?format=car&entity-bytes=x:y").status_code == 400
    assert node.get(f"/ipfs/{node.big}?format=car&dag-scope=nope").status_code == 400


def test_car_hamt_scopes(node: Node) -> None:
    r = node.get(f"/ipfs/{node.hamt}?format=car&dag-scope=entity")
    _, blocks = _car(r)
    assert blocks[0] == node.hamt
    assert all(b.codec == 0x70 for b in blocks)  # shards only, no file (raw) blocks
    assert len(blocks) > 1
    r = node.get(f"/ipfs/{node.hamt}/f007.txt?format=car&dag-scope=block")
    _, path = _car(r)
    target = node.api.stat(f"{node.hamt}/f007.txt").cid
    assert path[0] == node.hamt
    assert path[-1] == target
    assert len(path) < len(blocks) + 1  # only the shards on the hash's way


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.ipld.car; version=2",
        "application/vnd.ipld.car; order=random",
        "application/vnd.ipld.car; dups=maybe",
    ],
)
def test_unsupported_car_variants_are_406(node: Node, accept: str) -> None:
    assert node.get(f"/ipfs/{node.png}", headers={"Accept": accept}).status_code == 406


def test_accept_quality_values(node: Node) -> None:
    accept = "application/vnd.ipld.car;q=0.5, application/vnd.ipld.raw;q=0.9"
    r = node.get(f"/ipfs/{node.png}", headers={"Accept": accept})
    assert r.headers["content-type"] == "application/vnd.ipld.raw"
    accept = "application/vnd.ipld.raw;q=0, application/vnd.ipld.car"
    r = node.get(f"/ipfs/{node.png}", headers={"Accept": accept})
    assert r.headers["content-type"].startswith("application/vnd.ipld.car")
    r = node.get(f"/ipfs/{node.png}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.content == PNG
    r = node.get(f"/ipfs/{node.png}?format=raw", headers={"Accept": "application/vnd.ipld.car"})
    assert r.headers["content-type"] == "application/vnd.ipld.raw"  # format wins


def test_dag_cbor_default_and_conversion(node: Node) -> None:
    cid = node.api.dag_put({"hello": "world", "n": [1, 2]})
    r = node.get(f"/ipfs/{cid}")
    assert r.headers["content-type"] == "application/vnd.ipld.dag-cbor"
    assert r.content == node.api.block_get(cid)
    r = node.get(f"/ipfs/{cid}?format=dag-json")
    assert r.json() == {"hello": "world", "n": [1, 2]}
    r = node.get(f"/ipfs/{cid}?format=car")
    assert _car(r)[1] == [cid]


# -- routing and CORS ------------------------------------------------------------------------------


def test_routing_providers(node: Node) -> None:
    r = node.get(f"/routing/v1/providers/{node.big}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    (record,) = r.json()["Providers"]
    assert record["Schema"] == "peer"
    assert record["Protocols"] == ["transport-ipfs-gateway-http"]
    port = urlsplit(node.base).port
    assert record["Addrs"] == [f"/ip4/127.0.0.1/tcp/{port}/http"]
    assert record["ID"] == node.api.node.peer_id
    assert record["ID"].startswith("12D3KooW")  # an Ed25519 libp2p peer ID
    r = node.get(f"/routing/v1/providers/{node.big}", headers={"Accept": "application/x-ndjson"})
    assert r.headers["content-type"] == "application/x-ndjson"
    import json

    assert [json.loads(line) for line in r.text.splitlines()] == [record]
    absent = CID.from_data(b"nobody has this", 0x55)
    assert node.get(f"/routing/v1/providers/{absent}").status_code == 404
    assert node.get("/routing/v1/providers/garbage").status_code == 422
    assert node.get("/routing/v1/peers/12D3KooWxyz").status_code == 501
    assert node.get("/routing/v1/ipns/k51abc").status_code == 501
    assert node.client.put("/routing/v1/providers", content=b"{}").status_code == 501
    assert node.get("/routing/v1/unknown").status_code == 400


def test_routing_custom_identity(tmp_path: Path) -> None:
    with IPFSSimpleAPI(tmp_path / "r") as api:
        cid = api.add(b"x").cid
        app = create_app(api, peer_id="12D3KooWtest", addrs=["/dns/example.com/tcp/443/tls/http"])
        with serve(app) as base:
            record = httpx.get(f"{base}/routing/v1/providers/{cid}").json()["Providers"][0]
    assert record["ID"] == "12D3KooWtest"
    assert record["Addrs"] == ["/dns/example.com/tcp/443/tls/http"]


def test_cors_is_off_unless_configured(node: Node, tmp_path: Path) -> None:
    r = node.get(f"/ipfs/{node.png}", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    with IPFSSimpleAPI(tmp_path / "r") as api:
        cid = api.add(b"shared").cid
        app = create_app(api, ServerConfig(cors_origins="https://app.example"))
        with serve(app) as base, httpx.Client(base_url=base) as c:
            r = c.get(f"/ipfs/{cid}", headers={"Origin": "https://app.example"})
            assert r.headers["access-control-allow-origin"] == "https://app.example"
            r = c.get(f"/ipfs/{cid}", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in r.headers
            pre = c.options(
                f"/ipfs/{cid}",
                headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
            )
            assert pre.status_code == 200
            assert "GET" in pre.headers["access-control-allow-methods"]
