"""Gateway behaviour on the ipfs/gateway-conformance fixture CARs, served by real uvicorn.

Expected block sets and headers follow the conformance suite's tests
(``tests/trustless_gateway_car_test.go``, ``path_gateway_unixfs_test.go``,
``path_gateway_dag_test.go``) and the fixture READMEs. Expected CIDs come from the
fixture CARs themselves (walked here by name, independently of the gateway) or are
the literal CIDs the suite and READMEs give.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers.asgi import serve
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.car import CarReader
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block, dag_pb
from ipfs_kit_py.gateway import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "gateway-conformance" / "fixtures"
CARS = [
    "dir_listing/fixtures.car",
    "gateway-cache/fixtures.car",
    "gateway-raw-block.car",
    "path_gateway_unixfs/dir-with-files.car",
    "path_gateway_unixfs/symlink.car",
    "path_gateway_unixfs/dir-with-percent-encoded-filename.car",
    "path_gateway_dag/dag-cbor-traversal.car",
    "path_gateway_dag/dag-json-traversal.car",
    "trustless_gateway_car/subdir-with-two-single-block-files.car",
    "trustless_gateway_car/subdir-with-mixed-block-files.car",
    "trustless_gateway_car/single-layer-hamt-with-multi-block-files.car",
    "trustless_gateway_car/dir-with-dag-cbor-with-links.car",
    "trustless_gateway_car/dir-with-duplicate-files.car",
    "trustless_gateway_car/file-3k-and-3-blocks-missing-block.car",
]
MULTIBLOCK_LEAVES = [  # multiblock.txt (4 * 256 + 2 bytes), as the conformance suite lists them
    "bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm",
    "bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq",
    "bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue",
    "bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe",
    "bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm",
]


class Fixture:
    """A fixture CAR's blocks, walked by name the way the suite's ``MustGetCid`` does."""

    def __init__(self, name: str) -> None:
        with open(FIXTURES / name, "rb") as f:
            reader = CarReader(f, verify=True)
            self.blocks = {b.cid: b.data for b in reader}
            self.root = reader.roots[0]

    def links(self, cid: CID) -> list[tuple[str, CID]]:
        if cid.codec != 0x70:
            return []
        return [(lk.name or "", lk.cid) for lk in dag_pb.decode_node(self.blocks[cid]).links]

    def cid(self, *names: str) -> CID:
        cid = self.root
        for name in names:
            cid = self._child(cid, name)
        return cid

    def _child(self, cid: CID, name: str) -> CID:
        for label, child in self.links(cid):
            if label == name or (len(label) > 2 and label[2:] == name):
                return child
        for label, child in self.links(cid):  # HAMT: look inside child shards
            if len(label) == 2:
                try:
                    return self._child(child, name)
                except KeyError:
                    continue
        raise KeyError(name)

    def hamt_path(self, name: str) -> list[CID]:
        """Child shards between the HAMT root and ``name``."""

        def walk(cid: CID) -> list[CID] | None:
            for label, child in self.links(cid):
                if len(label) > 2 and label[2:] == name:
                    return []
                if len(label) == 2:
                    below = walk(child)
                    if below is not None:
                        return [child, *below]
            return None

        found = walk(self.root)
        assert found is not None
        return found

    def hamt_shards(self) -> list[CID]:
        out: list[CID] = []

        def walk(cid: CID) -> None:
            for label, child in self.links(cid):
                if len(label) == 2:
                    out.append(child)
                    walk(child)

        walk(self.root)
        return out

    def descendants(self, *names: str) -> list[CID]:
        out: list[CID] = []

        def walk(cid: CID) -> None:
            for child in Block(cid, self.blocks[cid]).links():
                out.append(child)
                if child in self.blocks:
                    walk(child)

        walk(self.cid(*names))
        return out


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with IPFSSimpleAPI(tmp_path_factory.mktemp("conf") / "repo") as api:
        for name in CARS:
            with open(FIXTURES / name, "rb") as f:
                api.dag_import(f, pin_roots=False)
        with serve(create_app(api)) as base, httpx.Client(base_url=base, timeout=30) as client:
            yield client


def car_blocks(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.ipld.car; version=1")
    return [str(b.cid) for b in CarReader(io.BytesIO(r.content), verify=True)]


def strs(*cids: CID | str | list[CID]) -> list[str]:
    out: list[str] = []
    for c in cids:
        out.extend(str(x) for x in (c if isinstance(c, list) else [c]))
    return out


# -- trustless CAR (trustless_gateway_car_test.go) -------------------------------------------------

TWO = "trustless_gateway_car/subdir-with-two-single-block-files.car"
MIXED = "trustless_gateway_car/subdir-with-mixed-block-files.car"
HAMT = "trustless_gateway_car/single-layer-hamt-with-multi-block-files.car"
CBOR_LINKS = "trustless_gateway_car/dir-with-dag-cbor-with-links.car"
DUPS = "trustless_gateway_car/dir-with-duplicate-files.car"
MISSING = "trustless_gateway_car/file-3k-and-3-blocks-missing-block.car"


def test_car_pathing(gw: httpx.Client) -> None:
    f = Fixture(TWO)
    r = gw.get(f"/ipfs/{f.root}/subdir/ascii.txt?format=car")
    assert car_blocks(r) == strs(f.root, f.cid("subdir"), f.cid("subdir", "ascii.txt"))
    h = Fixture(HAMT)
    r = gw.get(f"/ipfs/{h.root}/685.txt?format=car")
    assert car_blocks(r) == strs(
        h.root, h.hamt_path("685.txt"), h.cid("685.txt"), h.descendants("685.txt")
    )
    c = Fixture(CBOR_LINKS)
    doc = c.cid("document")
    r = gw.get(f"/ipfs/{doc}/files/single?format=car")
    single = car_blocks(r)
    assert single[0] == str(doc)
    assert len(single) >= 2
    r = gw.get(f"/ipfs/{f.root}/subdir/i-do-not-exist?format=car")
    assert r.status_code == 404


def test_car_dag_scope_block(gw: httpx.Client) -> None:
    f = Fixture(TWO)
    r = gw.get(f"/ipfs/{f.root}/subdir?format=car&dag-scope=block")
    assert car_blocks(r) == strs(f.root, f.cid("subdir"))
    r = gw.get(f"/ipfs/{f.root}/subdir/ascii.txt?format=car&dag-scope=block")
    assert car_blocks(r) == strs(f.root, f.cid("subdir"), f.cid("subdir", "ascii.txt"))
    h = Fixture(HAMT)
    r = gw.get(f"/ipfs/{h.root}/1.txt?format=car&dag-scope=block")
    assert car_blocks(r) == strs(h.root, h.hamt_path("1.txt"), h.cid("1.txt"))


def test_car_dag_scope_entity(gw: httpx.Client) -> None:
    f = Fixture(TWO)
    assert car_blocks(gw.get(f"/ipfs/{f.root}?format=car&dag-scope=entity")) == strs(f.root)
    h = Fixture(HAMT)
    r = gw.get(f"/ipfs/{h.root}?format=car&dag-scope=entity")
    assert car_blocks(r) == strs(h.root, h.hamt_shards())
    m = Fixture(MIXED)
    r = gw.get(f"/ipfs/{m.root}/subdir/ascii.txt?format=car&dag-scope=entity")
    assert car_blocks(r) == strs(m.root, m.cid("subdir"), m.cid("subdir", "ascii.txt"))
    r = gw.get(f"/ipfs/{m.root}/subdir/multiblock.txt?format=car&dag-scope=entity")
    file = m.cid("subdir", "multiblock.txt")
    assert car_blocks(r) == strs(m.root, m.cid("subdir"), file, MULTIBLOCK_LEAVES)
    assert m.descendants("subdir", "multiblock.txt") == [CID.parse(c) for c in MULTIBLOCK_LEAVES]
    c = Fixture(CBOR_LINKS)
    r = gw.get(f"/ipfs/{c.root}/document?format=car&dag-scope=entity")
    assert car_blocks(r) == strs(c.root, c.cid("document"))


def test_car_dag_scope_all(gw: httpx.Client) -> None:
    m = Fixture(MIXED)
    r = gw.get(f"/ipfs/{m.root}/subdir?format=car&dag-scope=all")
    assert car_blocks(r) == strs(m.root, m.cid("subdir"), m.descendants("subdir"))


def test_car_entity_bytes_with_missing_block(gw: httpx.Client) -> None:
    f = Fixture(MISSING)
    r = gw.get(f"/ipfs/{f.root}?format=car&dag-scope=entity&entity-bytes=0:1000")
    assert car_blocks(r) == strs(f.root, "QmPKt7ptM2ZYSGPUc8PmPT2VBkLDK3iqpG9TBJY7PCE9rF")
    r = gw.get(f"/ipfs/{f.root}?format=car&dag-scope=entity&entity-bytes=2200:*")
    assert car_blocks(r) == strs(f.root, "QmWXY482zQdwecnfBsj78poUUuPXvyw2JAFAEMw4tzTavV")
    with pytest.raises(httpx.HTTPError):  # the middle block is missing: the stream aborts
        gw.get(f"/ipfs/{f.root}?format=car").read()
    with pytest.raises(httpx.HTTPError):  # deserialized too: never a complete-looking body
        gw.get(f"/ipfs/{f.root}").read()


@pytest.mark.parametrize(
    ("spec", "leaves"),
    [
        ("0:*", slice(0, 5)),
        ("512:*", slice(2, 5)),
        ("512:1023", slice(2, 4)),
        ("512:-256", slice(2, 4)),
        ("-5:*", slice(3, 5)),
        ("-9999:*", slice(0, 5)),
        ("-9999:-3", slice(0, 4)),
        ("0:0", slice(0, 1)),
    ],
)
def test_car_entity_bytes_ranges(gw: httpx.Client, spec: str, leaves: slice) -> None:
    m = Fixture(MIXED)
    file = m.cid("subdir", "multiblock.txt")
    r = gw.get(f"/ipfs/{file}?format=car&dag-scope=entity&entity-bytes={spec}")
    assert car_blocks(r) == strs(file, MULTIBLOCK_LEAVES[leaves])


def test_car_entity_bytes_of_directory_is_ignored(gw: httpx.Client) -> None:
    h = Fixture(HAMT)
    r = gw.get(f"/ipfs/{h.root}?format=car&dag-scope=entity&entity-bytes=0:*")
    assert car_blocks(r) == strs(h.root, h.hamt_shards())


def test_car_order_and_duplicates(gw: httpx.Client) -> None:
    d = Fixture(DUPS)
    accept = "application/vnd.ipld.car; version=1; order=dfs; dups=y"
    r = gw.get(f"/ipfs/{d.root}", headers={"Accept": accept})
    assert "order=dfs" in r.headers["content-type"]
    assert "dups=y" in r.headers["content-type"]
    expected_y = strs(
        d.root,
        d.cid("ascii-copy.txt"),
        d.cid("ascii.txt"),
        d.cid("hello.txt"),
        d.cid("multiblock.txt"),
        MULTIBLOCK_LEAVES,
    )
    assert d.cid("ascii.txt") == d.cid("ascii-copy.txt")
    assert car_blocks(r) == expected_y
    r = gw.get(f"/ipfs/{d.root}?format=car", headers={"Accept": accept})  # Accept params kept
    assert car_blocks(r) == expected_y
    accept_n = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
    r = gw.get(f"/ipfs/{d.root}", headers={"Accept": accept_n})
    assert "dups=n" in r.headers["content-type"]
    assert car_blocks(r) == expected_y[:1] + expected_y[2:]
    r = gw.get(
        f"/ipfs/{d.root}", headers={"Accept": "application/vnd.ipld.car; version=1; order=unk"}
    )
    assert "order=" in r.headers["content-type"]
    assert set(car_blocks(r)) == set(expected_y)


def test_car_identity_cid_has_no_blocks(gw: httpx.Client) -> None:
    cid = "bafkqaf3imvwgy3zaneqgc3janfxgy2lomvscay3jmqfa"
    r = gw.get(f"/ipfs/{cid}", headers={"Accept": "application/vnd.ipld.car; dups=y"})
    assert "dups=y" in r.headers["content-type"]
    assert car_blocks(r) == []


# -- raw blocks (trustless_gateway_raw_test.go, t0117) -------------------------------------------


def test_raw_block_fixture(gw: httpx.Client) -> None:
    f = Fixture("gateway-raw-block.car")
    file = f.cid("dir", "ascii.txt")
    r = gw.get(f"/ipfs/{file}?format=raw")
    assert r.content == b"hello application/vnd.ipld.raw\n"  # from the fixture README
    assert r.headers["content-type"] == "application/vnd.ipld.raw"
    assert r.headers["content-length"] == str(len(r.content))
    assert r.headers["content-disposition"] == f'attachment; filename="{file}.bin"'
    assert r.headers["x-content-type-options"] == "nosniff"
    r = gw.get(f"/ipfs/{f.root}/dir?format=raw")
    assert r.content == f.blocks[f.cid("dir")]


# -- path gateway: UnixFS (path_gateway_unixfs_test.go) -----------------------------------------


def test_dir_listing(gw: httpx.Client) -> None:
    f = Fixture("dir_listing/fixtures.car")
    root = f.root
    assert str(root) == "bafybeig6ka5mlwkl4subqhaiatalkcleo4jgnr3hqwvpmsqfca27cijp3i"  # README
    r = gw.get(f"/ipfs/{root}/")
    assert "Index of" in r.text
    assert f'<a href="/ipfs/{root}/">..</a>' not in r.text
    r = gw.get(f"/ipfs/{root}/ą/ę")
    assert r.status_code == 301
    assert r.headers["location"] == f"/ipfs/{root}/%C4%85/%C4%99/"
    r = gw.get(f"/ipfs/{root}/ą/ę/")
    assert '"DirIndex-' in r.headers["etag"]
    file = "bafkreialihlqnf5uwo4byh4n3cmwlntwqzxxs2fg5vanqdi3d7tb2l5xkm"  # README FILE_CID
    for needle in (
        f'/ipfs/<a href="/ipfs/{root}">{root}</a>/<a href="/ipfs/{root}/%C4%85">ą</a>'
        f'/<a href="/ipfs/{root}/%C4%85/%C4%99">ę</a>',
        f'<a href="/ipfs/{root}/%C4%85/%C4%99/..">..</a>',
        f'<a href="/ipfs/{root}/%C4%85/%C4%99/file-%C5%BA%C5%82.txt">file-źł.txt</a>',
        f'<a class="ipfs-hash" translate="no" href="/ipfs/{file}'
        '?filename=file-%25C5%25BA%25C5%2582.txt">',
    ):
        assert needle in r.text
    r = gw.get(f"/ipfs/{root}/ą/ę/file-źł.txt")
    assert r.content == b"I am a txt file on path with utf8\n"
    assert r.headers["content-length"] == "34"  # README FILE_SIZE
    assert gw.get(f"/ipfs/{root}/i-do-not-exist").status_code == 404


def test_gateway_cache_headers(gw: httpx.Client) -> None:
    f = Fixture("gateway-cache/fixtures.car")
    root = f.root
    r = gw.get(f"/ipfs/{root}/root2/root3/")
    assert r.status_code == 200
    assert r.headers["x-ipfs-path"] == f"/ipfs/{root}/root2/root3/"
    assert r.headers["x-ipfs-roots"] == ",".join(
        strs(root, f.cid("root2"), f.cid("root2", "root3"))
    )
    dir_etag = r.headers["etag"]
    assert dir_etag.startswith('"DirIndex-')
    assert dir_etag.endswith(f'_CID-{f.cid("root2", "root3")}"')
    root4 = f.cid("root2", "root3", "root4")
    r = gw.get(f"/ipfs/{root}/root2/root3/root4/")
    assert r.headers["cache-control"] == "public, max-age=29030400, immutable"
    assert r.headers["etag"] == f'"{root4}"'
    assert r.headers["x-ipfs-roots"].split(",")[-1] == str(root4)
    index = f.cid("root2", "root3", "root4", "index.html")
    r = gw.get(f"/ipfs/{root}/root2/root3/root4/index.html")
    assert r.headers["etag"] == f'"{index}"'
    assert len(r.headers["x-ipfs-roots"].split(",")) == 5
    for tag in (f'"{index}"', f'"fakeEtag1", "fakeEtag2", "{index}"', f'W/"{index}"', "*"):
        r = gw.get(f"/ipfs/{root}/root2/root3/root4/index.html", headers={"If-None-Match": tag})
        assert r.status_code == 304, tag
    r = gw.get(f"/ipfs/{root}/root2/root3/root4/", headers={"If-None-Match": f'"{root4}"'})
    assert r.status_code == 304
    for tag in (dir_etag, "W/" + dir_etag):
        r = gw.get(f"/ipfs/{root}/root2/root3/", headers={"If-None-Match": tag})
        assert r.status_code == 304
    for method in ("HEAD", "GET"):
        ok = gw.request(
            method,
            f"/ipfs/{root}/root2/root3/root4/?format=json",
            headers={"Cache-Control": "only-if-cached"},
        )
        assert ok.status_code == 200
        missing = gw.request(
            method,
            "/ipfs/QmYzfKSE55XCjD1MW128RfciAf2DViABhEiXfgVFMabSjN",
            headers={"Cache-Control": "only-if-cached"},
        )
        assert missing.status_code == 412
    r = gw.get(f"/ipfs/{root}/root2/root3/root4/?format=dag-json")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=29030400, immutable"
    assert {lk["Name"] for lk in r.json()["Links"]} >= {"index.html"}


def test_symlink(gw: httpx.Client) -> None:
    f = Fixture("path_gateway_unixfs/symlink.car")
    r = gw.get(f"/ipfs/{f.root}/")
    assert ">foo<" in r.text
    assert ">bar<" in r.text
    assert gw.get(f"/ipfs/{f.root}?format=raw").content == f.blocks[f.root]
    r = gw.get(f"/ipfs/{f.root}/bar")
    assert r.status_code == 200
    assert r.content == b"foo"
    assert gw.get(f"/ipfs/{f.root}/foo").content == b"content\n"  # README: echo "content"


def test_percent_encoded_filename(gw: httpx.Client) -> None:
    f = Fixture("path_gateway_unixfs/dir-with-percent-encoded-filename.car")
    name = "Portugal%2C+España=Peninsula Ibérica.txt"  # a literal "%2C" in the name
    r = gw.get(f"/ipfs/{f.root}/Portugal%252C+Espa%C3%B1a=Peninsula%20Ib%C3%A9rica.txt")
    assert r.status_code == 200
    assert r.content == b"hello from a percent encoded filename\n"  # README
    listing = gw.get(f"/ipfs/{f.root}/").text
    assert "Portugal%2C+España=Peninsula Ibérica.txt" in listing
    assert "/Portugal%252C+Espa%C3%B1a=Peninsula%20Ib%C3%A9rica.txt" in listing
    assert name


def test_multiblock_file_ranges(gw: httpx.Client) -> None:
    f = Fixture("path_gateway_unixfs/dir-with-files.car")
    full = gw.get(f"/ipfs/{f.root}/multiblock.txt")
    assert full.status_code == 200
    body = full.content
    assert body == b"".join(f.blocks[c] for c in f.descendants("multiblock.txt"))
    r = gw.get(f"/ipfs/{f.root}/multiblock.txt", headers={"Range": "bytes=250-260"})
    assert r.status_code == 206
    assert r.content == body[250:261]
    r = gw.get(f"/ipfs/{f.root}/multiblock.txt", headers={"Range": "bytes=0-1,300-301"})
    assert r.status_code == 206
    assert body[:2] in r.content
    assert body[300:302] in r.content


# -- path gateway: DAG (path_gateway_dag_test.go) -----------------------------------------------


def test_dag_cbor_and_dag_json_roots(gw: httpx.Client) -> None:
    cbor = "bafyreibs4utpgbn7uqegmd2goqz4bkyflre2ek2iwv743fhvylwi4zeeim"  # README
    r = gw.get(f"/ipfs/{cbor}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.ipld.dag-cbor"
    assert CID.from_data(r.content, 0x71) == CID.parse(cbor)
    assert gw.get(f"/ipfs/{cbor}?format=raw").content == r.content
    roots_car = car_blocks(gw.get(f"/ipfs/{cbor}?format=car&dag-scope=block"))
    assert roots_car == [cbor]
    js = "baguqeeram5ujjqrwheyaty3w5gdsmoz6vittchvhk723jjqxk7hakxkd47xq"  # README
    r = gw.get(f"/ipfs/{js}")
    assert r.headers["content-type"] == "application/vnd.ipld.dag-json"
    assert CID.from_data(r.content, 0x0129) == CID.parse(js)
    r = gw.get(f"/ipfs/{js}?format=dag-cbor")
    assert r.headers["content-type"] == "application/vnd.ipld.dag-cbor"
