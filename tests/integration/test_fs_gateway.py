"""``IPFSFileSystem`` against real HTTP servers: our gateway, a hostile one, a daemon.

Servers are real uvicorn instances on port 0 (``helpers.asgi.serve``) or a real
``ipfs-kit daemon`` process (``helpers.daemon.running_daemon``). Bytes over HTTP are
counted on the server side, independently of what the client believes it fetched.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import fsspec
import pytest

from helpers.asgi import serve
from helpers.corpus import write_tree
from helpers.daemon import running_daemon
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError, IntegrityError, ReadOnlyError
from ipfs_kit_py.fs import GatewayBlockSource, IPFSFileSystem
from ipfs_kit_py.gateway import create_app
from ipfs_kit_py.rpc import RemoteAPI, RPCClient
from ipfs_kit_py.unixfs import add_path, resolve_options

MiB = 1 << 20
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Counting:
    """ASGI middleware: requests served and response body bytes sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0
        self.body_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.body_bytes += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counted)


@pytest.fixture
def make_fs() -> Iterator[Callable[..., IPFSFileSystem]]:
    """``IPFSFileSystem(**kwargs)``, uncached, closed (HTTP clients) after the test."""
    made: list[IPFSFileSystem] = []

    def make(**kwargs: Any) -> IPFSFileSystem:
        made.append(IPFSFileSystem(skip_instance_cache=True, **kwargs))
        return made[-1]

    yield make
    for fs in made:
        fs.close()


@pytest.fixture
def big(tmp_path: Path) -> Iterator[tuple[IPFSSimpleAPI, CID, bytes]]:
    data = random.Random(7).randbytes(50 * MiB)
    with IPFSSimpleAPI(tmp_path / "repo", blockstore__sync=False) as api:
        yield api, api.add(data).cid, data


def test_ranged_read_over_a_gateway_fetches_a_few_blocks(
    make_fs: Callable[..., IPFSFileSystem],
    big: tuple[IPFSSimpleAPI, CID, bytes],
) -> None:
    api, cid, data = big
    counting = Counting(create_app(api))
    with serve(counting) as url:
        source = GatewayBlockSource(url)
        fs = make_fs(source=source)
        start = 25 * MiB + 12_345
        assert fs.cat_file(f"ipfs://{cid}", start, start + MiB) == data[start : start + MiB]
        # the file's root node and the two 1 MiB leaves the range straddles, of 51 blocks
        assert (counting.requests, source.fetched_blocks) == (3, 3)
        assert counting.body_bytes == source.fetched_bytes
        assert 2 * MiB < counting.body_bytes < 2 * MiB + 8192
        before = counting.requests
        with fs.open(str(cid), "rb") as f:  # an open file: the root is cached now
            f.seek(start)
            assert f.read(MiB) == data[start : start + MiB]
        assert counting.requests - before <= 2  # leaves it did not have (LRU holds 16 MiB)
        source.close()


def test_reads_and_listings_through_a_gateway(
    make_fs: Callable[..., IPFSFileSystem], tmp_path: Path
) -> None:
    local = write_tree(tmp_path / "tree")
    with IPFSSimpleAPI(tmp_path / "repo") as api, serve(create_app(api)) as url:
        cid = api.add_path(local)[-1].cid
        fs = make_fs(gateway=url)
        local_fs = make_fs(api=api)
        assert fs.ls(str(cid)) == local_fs.ls(str(cid))
        assert fs.find(str(cid)) == local_fs.find(str(cid))
        assert fs.cat(f"{cid}/水/𐅑/deep.bin") == (local / "水" / "𐅑" / "deep.bin").read_bytes()
        opened = fsspec.open(f"ipfs://{cid}/repeat.txt", gateway=url, skip_instance_cache=True)
        with opened as f:
            assert f.read() == (local / "repeat.txt").read_bytes()
        opened.fs.close()
        with pytest.raises(ReadOnlyError):
            fs.pipe("/x", b"read-only")
        with pytest.raises(BlockNotFoundError):
            fs.info(str(Block.from_data(b"never stored").cid))


def hostile(blocks: dict[str, bytes], *, lie_about: set[str], extra: int = 0) -> Any:
    """A gateway that serves ``blocks`` but flips a byte of those in ``lie_about`` (and
    pads every answer with ``extra`` bytes)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        cid = scope["path"].removeprefix("/ipfs/")
        body = blocks.get(cid)
        if body is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found"})
            return
        if cid in lie_about:
            body = bytes([body[0] ^ 1]) + body[1:]
        body += b"\0" * extra
        headers = [(b"content-type", b"application/vnd.ipld.raw")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def test_a_gateway_that_lies_gets_integrity_errors_never_bytes(
    make_fs: Callable[..., IPFSFileSystem], tmp_path: Path
) -> None:
    data = random.Random(9).randbytes(3 * MiB)
    with IPFSSimpleAPI(tmp_path / "repo") as api:
        cid = api.add(data).cid
        leaves = list(api.refs(cid))
        blocks = {str(c): api.block_get(c) for c in [cid, *leaves]}
    with serve(hostile(blocks, lie_about={str(leaves[1])})) as url:
        fs = make_fs(gateway=url)
        assert fs.cat_file(str(cid), 0, 100) == data[:100]  # an honest leaf
        with pytest.raises(IntegrityError):
            fs.cat_file(str(cid), MiB + 5, MiB + 10)  # the leaf it lies about
        with fs.open(str(cid)) as f, pytest.raises(IntegrityError):
            f.read()
    with serve(hostile(blocks, lie_about={str(cid)})) as url:
        fs = make_fs(gateway=url)
        with pytest.raises(IntegrityError):
            fs.info(str(cid))  # a lying root: not even its size is believed
    with serve(hostile(blocks, lie_about=set(), extra=5 * MiB)) as url:
        fs = make_fs(gateway=url)
        with pytest.raises(IntegrityError, match="not a block"):
            fs.cat_file(str(cid), 0, 1)  # endless bodies are cut off, not buffered


@pytest.mark.slow
def test_through_a_daemon_gateway_reads_and_rpc_writes(
    make_fs: Callable[..., IPFSFileSystem], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = write_tree(tmp_path / "tree")
    (local / "link").unlink()  # the file system writes files and directories only
    expected = add_path(local, resolve_options())[-1].cid  # hash only, as add -r would
    repo = tmp_path / "repo"
    with running_daemon(repo) as daemon:
        monkeypatch.setenv("IPFS_KIT_PATH", str(repo))
        fs = make_fs()  # finds the daemon's api/gateway files
        fs.put(str(local) + "/", "/", recursive=True)
        assert fs.root == expected
        assert fs.cat("/水/ελληνικά.txt") == "γειά\n".encode()
        assert sorted(fs.ls("/", detail=False)) == sorted(f"/{p.name}" for p in local.iterdir())
        with RemoteAPI(RPCClient(daemon.rpc_url)) as remote:
            assert [p.cid for p in remote.pins("recursive")] == [fs.root]
            assert remote.cat(f"{fs.root}/repeat.txt") == (local / "repeat.txt").read_bytes()
        # explicitly: reads from the gateway, writes through RPC, same root as locally
        explicit = make_fs(gateway=daemon.gateway_url, rpc=daemon.rpc_url)
        explicit.pipe("/a/b.txt", b"written over RPC")
        with IPFSSimpleAPI(tmp_path / "local-repo") as api:
            here = make_fs(api=api)
            here.pipe("/a/b.txt", b"written over RPC")
            assert explicit.root == here.root
        assert explicit.cat("/a/b.txt") == b"written over RPC"
        with RemoteAPI(RPCClient(daemon.rpc_url)) as remote:  # api= a RemoteAPI: RPC only
            over_rpc = make_fs(api=remote)
            over_rpc.pipe("/a/b.txt", b"written over RPC")
            assert over_rpc.root == here.root
            assert over_rpc.ls(f"{here.root}/a", detail=False) == [f"{here.root}/a/b.txt"]
