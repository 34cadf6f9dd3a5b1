"""Where the ``ipfs`` file system gets its blocks, and where it writes new ones.

Two small roles: a :class:`BlockSource` hands out *verified* block bytes by CID; a
:class:`BlockWriter` stores blocks and keeps a root pinned. Three implementations:

* :class:`RepoBlockSource`: a local repo through its :class:`~ipfs_kit_py.api.IPFSSimpleAPI`
  (the repo's blockstore; GC is held off while a new root is written and pinned).
* :class:`GatewayBlockSource`: a trustless gateway, ``GET /ipfs/{cid}?format=raw``; every
  block is hashed here, so a wrong byte from the server is an
  :class:`~ipfs_kit_py.errors.IntegrityError`, never data. Read-only. A small LRU of
  recent blocks serves a stat followed by a read of the same block.
* :class:`RPCBlockSource`: a daemon's Kubo RPC API (``block/get``, verified here;
  ``block/put`` in batches, ``pin/*``).

Each counts what it fetched (``fetched_blocks``, ``fetched_bytes``), so tests and
benchmarks can see that a ranged read touched only the blocks it needed.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

from ipfs_kit_py.blockstore import BatchWriter, BlockCache
from ipfs_kit_py.cid import CID, multicodec
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import BlockNotFoundError, IntegrityError, IPFSKitError
from ipfs_kit_py.unixfs import NodeCache

if TYPE_CHECKING:
    import httpx

    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.rpc import RemoteAPI

__all__ = [
    "BlockSource",
    "BlockWriter",
    "GatewayBlockSource",
    "RPCBlockSource",
    "RepoBlockSource",
]

#: No valid block is bigger (Kubo refuses blocks over 2 MiB; a margin for odd peers).
MAX_BLOCK_BYTES = 4 << 20
_RAW_TYPE = "application/vnd.ipld.raw"
_BATCH_BYTES = 8 << 20  # block/put request bodies (the daemon takes up to 128 MiB)


@runtime_checkable
class BlockSource(Protocol):
    """Verified blocks by CID. A source may also carry ``nodes``, a
    :class:`~ipfs_kit_py.unixfs.NodeCache` of decoded nodes shared by its readers."""

    def get(self, cid: CID) -> bytes:
        """The block's bytes, hash-verified (:class:`IntegrityError` if they are wrong)."""
        ...

    def size(self, cid: CID) -> int:
        """The block's length (may fetch it)."""
        ...


@runtime_checkable
class BlockWriter(Protocol):
    """Stores blocks and pins roots. Blocks are durable only after :meth:`flush`."""

    @property
    def profile(self) -> str:
        """The import profile new files are written with."""
        ...

    def hold(self) -> AbstractContextManager[None]:
        """Keep garbage collection away while a root is written and pinned."""
        ...

    def put(self, block: Block) -> None:
        """Store one block (buffered; thread-safe)."""
        ...

    def flush(self) -> None:
        """Make every block put so far durable."""
        ...

    def pin_name(self, cid: CID) -> str | None:
        """The name of ``cid``'s recursive pin (``""``: unnamed); ``None``: not pinned."""
        ...

    def pin(self, cid: CID, name: str) -> None:
        """Pin ``cid`` recursively."""
        ...

    def repin(self, old: CID, new: CID) -> None:
        """Move the recursive pin of ``old`` to ``new`` (Kubo's ``pin update``)."""
        ...

    def unpin(self, cid: CID) -> None:
        """Remove the pin of ``cid``."""
        ...


class _Counted:
    def __init__(self) -> None:
        self.fetched_blocks = 0
        self.fetched_bytes = 0
        self._count_lock = threading.Lock()

    def _count(self, n: int) -> None:
        with self._count_lock:
            self.fetched_blocks += 1
            self.fetched_bytes += n


class RepoBlockSource(_Counted):
    """The blocks of a local repo, read and written through its API."""

    def __init__(self, api: IPFSSimpleAPI) -> None:
        super().__init__()
        self.api = api
        self.nodes = api.node_cache
        self._batch: BatchWriter | None = None

    def get(self, cid: CID) -> bytes:
        blocks = self.api.node.blocks
        data = cid.digest if cid.is_identity else blocks.get(cid)
        if not blocks.verify:  # a trusting store: hash here instead
            Block(cid, data).verify()
        self._count(len(data))
        return data

    def size(self, cid: CID) -> int:
        return len(cid.digest) if cid.is_identity else self.api.node.blocks.size(cid)

    @property
    def profile(self) -> str:
        return self.api.profile

    def hold(self) -> AbstractContextManager[None]:
        return self.api.node.gc_lock.shared()

    def put(self, block: Block) -> None:
        if self._batch is None:
            self._batch = BatchWriter(self.api.node.blocks.put_many)
        self._batch(block)

    def flush(self) -> None:
        if self._batch is not None:
            self._batch.flush()
        self.api.node.blocks.flush()

    def pin_name(self, cid: CID) -> str | None:
        from ipfs_kit_py.pinning import PinType

        pin = self.api.node.pins.get(cid)
        if pin is None or pin.type is not PinType.RECURSIVE:
            return None
        return pin.name or ""

    def pin(self, cid: CID, name: str) -> None:
        node = self.api.node
        node.pins.add(cid, recursive=True, name=name, blockstore=node.blocks)

    def repin(self, old: CID, new: CID) -> None:
        self.api.node.pins.update(old, new, blockstore=self.api.node.blocks)

    def unpin(self, cid: CID) -> None:
        self.api.node.pins.rm(cid)


class GatewayBlockSource(_Counted):
    """Blocks from a trustless gateway (``?format=raw``), each verified here. Read-only.

    ``cache_bytes`` bounds an LRU of recent blocks (0: none).
    """

    def __init__(
        self,
        url: str,
        *,
        cache_bytes: int = 16 << 20,
        timeout: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        import httpx

        super().__init__()
        self.url = url.rstrip("/")
        self.nodes = NodeCache()
        self._cache = BlockCache(cache_bytes)
        self._http = client or httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout, connect=10.0),
            trust_env=not _is_loopback(self.url),  # never proxy a local gateway
        )
        self._owns_client = client is None

    def get(self, cid: CID) -> bytes:
        import httpx

        if cid.is_identity:
            return cid.digest
        hit = self._cache.get(cid)
        if hit is not None:
            return hit
        buf = bytearray()
        try:
            with self._http.stream(
                "GET", f"/ipfs/{cid}", params={"format": "raw"}, headers={"Accept": _RAW_TYPE}
            ) as response:
                if response.status_code in (404, 410):
                    raise BlockNotFoundError(f"gateway {self.url} does not have block {cid}")
                if response.status_code != 200:
                    raise IPFSKitError(
                        f"gateway {self.url} answered {response.status_code} for block {cid}"
                    )
                for piece in response.iter_bytes():
                    buf += piece
                    if len(buf) > MAX_BLOCK_BYTES:
                        raise IntegrityError(
                            f"gateway {self.url} sent more than {MAX_BLOCK_BYTES} bytes "
                            f"for block {cid}: not a block"
                        )
        except httpx.HTTPError as err:
            raise IPFSKitError(f"fetching block {cid} from {self.url} failed: {err}") from err
        data = bytes(buf)
        self._count(len(data))
        Block(cid, data).verify()  # IntegrityError: nothing unverified goes further
        self._cache.put(cid, data)
        return data

    def size(self, cid: CID) -> int:
        return len(self.get(cid))

    def close(self) -> None:
        """Close the HTTP connections (when this source made the client)."""
        if self._owns_client:
            self._http.close()


class RPCBlockSource(_Counted):
    """Blocks through a daemon's Kubo RPC API: ``block/get`` (verified here),
    ``block/put`` (batched, one request per few MiB) and ``pin/*``."""

    def __init__(self, remote: RemoteAPI, *, profile: str | None = None) -> None:
        super().__init__()
        self.remote = remote
        self.nodes = NodeCache()
        self._profile = profile or remote.profile
        self._batch: BatchWriter | None = None

    @classmethod
    def connect(
        cls, url: str, *, token: str | None = None, profile: str | None = None
    ) -> RPCBlockSource:
        """A source over the RPC API at ``url`` (``http://127.0.0.1:5001``)."""
        from ipfs_kit_py.rpc import RemoteAPI, RPCClient

        return cls(RemoteAPI(RPCClient(url, token=token)), profile=profile)

    def get(self, cid: CID) -> bytes:
        if cid.is_identity:
            return cid.digest
        data = self.remote.block_get(cid)  # verifies against the CID
        self._count(len(data))
        return data

    def size(self, cid: CID) -> int:
        return len(cid.digest) if cid.is_identity else self.remote.block_stat(cid).size

    @property
    def profile(self) -> str:
        return self._profile

    def hold(self) -> AbstractContextManager[None]:
        # The daemon's GC lock cannot be held from here: blocks put are unpinned until
        # the new root is pinned, a window a concurrent ``repo gc`` there could hit.
        return contextlib.nullcontext()

    def put(self, block: Block) -> None:
        if block.cid.is_identity:
            return
        if self._batch is None:
            self._batch = BatchWriter(self._put_many, max_bytes=_BATCH_BYTES)
        self._batch(block)

    def flush(self) -> None:
        if self._batch is not None:
            self._batch.flush()

    def _put_many(self, blocks: Iterable[Block]) -> None:
        by_codec: dict[tuple[int, int], list[Block]] = defaultdict(list)
        for block in blocks:
            by_codec[block.cid.codec, block.cid.hash_code].append(block)
        for (codec, hash_code), group in by_codec.items():
            boundary = secrets.token_hex(16)
            params = {
                "cid-codec": multicodec.name_of(codec),
                "mhtype": multicodec.name_of(hash_code),
            }
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            body = b"".join(_multipart(group, boundary))
            lines = self.remote.client.ndjson(
                "block/put", params=params, content=body, headers=headers
            )
            stored = [CID.parse(line["Key"]) for line in lines]
            if [c.multihash for c in stored] != [b.cid.multihash for b in group]:
                raise IntegrityError(f"the daemon at {self.remote.client.url} stored other blocks")

    def pin_name(self, cid: CID) -> str | None:
        params = {"type": "recursive", "names": True}
        try:
            answer = self.remote.client.json("pin/ls", str(cid), params=params)
        except IPFSKitError:  # not pinned (or the daemon is gone: pin() will say)
            return None
        for pin in (answer.get("Keys") or {}).values():
            return str(pin.get("Name") or "")
        return None

    def pin(self, cid: CID, name: str) -> None:
        self.remote.pin(cid, name=name)

    def repin(self, old: CID, new: CID) -> None:
        self.remote.pin_update(old, new)

    def unpin(self, cid: CID) -> None:
        self.remote.unpin(cid)

    def close(self) -> None:
        """Close the connection to the daemon."""
        self.remote.close()


def _multipart(blocks: list[Block], boundary: str) -> Iterator[bytes]:
    for block in blocks:
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="block"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        yield block.data
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def _is_loopback(url: str) -> bool:
    from ipfs_kit_py.daemon import is_loopback

    return is_loopback(urlsplit(url).hostname or "")
