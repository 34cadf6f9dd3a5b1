"""Which blocks an ``IPFSFileSystem`` reads and writes, decided per operation.

Given ``source=``, ``api=``, ``gateway=`` or ``rpc=``, the answer is fixed. Otherwise (what
``fsspec.open("ipfs://...")`` does) each operation looks for the repo (``repo=``, else
``$IPFS_KIT_PATH`` or ``~/.ipfs-kit``), in this order:

1. a lease on it that an operation in this process (any file system, any thread)
   holds now: its reference count goes up;
2. an :class:`~ipfs_kit_py.api.IPFSSimpleAPI` other code in this process opened
   (:func:`~ipfs_kit_py.api.open_api_for`): the repo lock is per process, so it must be
   shared, not reopened;
3. the repo itself, opened for the operation only (a *lease*, closed when the last
   operation using it ends), so that a process reading ``ipfs://`` does not keep the
   rest of itself from opening the repo between operations (during one, a second
   ``IPFSSimpleAPI(repo)`` still raises :class:`~ipfs_kit_py.errors.RepoLockedError`);
4. when another process (a daemon) holds the repo: its ``gateway`` file for reads and
   its ``api`` file (RPC) for writes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipfs_kit_py.errors import RepoLockedError
from ipfs_kit_py.fs._sources import (
    BlockSource,
    BlockWriter,
    GatewayBlockSource,
    RepoBlockSource,
    RPCBlockSource,
)

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.rpc import RemoteAPI

__all__ = ["Backend", "Connector"]


@dataclass(frozen=True, slots=True)
class Backend:
    """Where one operation reads (``source``) and writes (``writer``; ``None``: read-only)."""

    source: BlockSource
    writer: BlockWriter | None
    where: str


class _Lease:
    def __init__(self, api: IPFSSimpleAPI) -> None:
        self.api = api
        self.count = 0


_LEASES: dict[Path, _Lease] = {}
_LEASES_LOCK = threading.Lock()


class Connector:
    """Finds the backend for each operation (see the module docstring)."""

    def __init__(
        self,
        *,
        api: IPFSSimpleAPI | RemoteAPI | None = None,
        repo: str | os.PathLike[str] | None = None,
        gateway: str | None = None,
        rpc: str | None = None,
        token: str | None = None,
        profile: str | None = None,
        source: BlockSource | None = None,
    ) -> None:
        self._profile = profile
        self._repo = Path(repo).expanduser() if repo is not None else None
        self._fixed: Backend | None = None
        self._closers: list[GatewayBlockSource | RPCBlockSource] = []
        self._sources: weakref.WeakKeyDictionary[IPFSSimpleAPI, RepoBlockSource] = (
            weakref.WeakKeyDictionary()
        )
        self._daemons: dict[tuple[Path, str, str], Backend] = {}
        self._lock = threading.Lock()
        if source is not None:
            sink = source if isinstance(source, BlockWriter) else None
            self._fixed = Backend(source, sink, f"the block source {source!r}")
        elif api is not None:
            from ipfs_kit_py.api import IPFSSimpleAPI

            if isinstance(api, IPFSSimpleAPI):
                repo_source = self._repo_source(api)
                self._fixed = Backend(repo_source, repo_source, f"the repo at {api.node.path}")
            else:
                remote = RPCBlockSource(api, profile=profile)
                self._fixed = Backend(remote, remote, f"the daemon at {api.client.url}")
        elif gateway is not None or rpc is not None:
            writer = RPCBlockSource.connect(rpc, token=token, profile=profile) if rpc else None
            reader: BlockSource | None = writer
            if gateway is not None:
                reader = GatewayBlockSource(gateway)
                self._closers.append(reader)
            if writer is not None:
                self._closers.append(writer)
            assert reader is not None
            where = f"the gateway at {gateway}" if gateway else f"the daemon at {rpc}"
            self._fixed = Backend(reader, writer, where)

    @property
    def where(self) -> str:
        """What a fixed backend is, for messages (``"the default repo"`` otherwise)."""
        return self._fixed.where if self._fixed is not None else "the default repo"

    @property
    def read_only(self) -> bool:
        """Known to have no writer (a gateway alone)."""
        return self._fixed is not None and self._fixed.writer is None

    @contextlib.contextmanager
    def backend(self) -> Iterator[Backend]:
        """The backend for one operation (a leased repo is held until the ``with`` ends)."""
        if self._fixed is not None:
            yield self._fixed
            return
        from ipfs_kit_py.config import default_repo_path

        path = Path(os.path.realpath(self._repo or default_repo_path()))
        backend, lease = self._acquire(path)
        try:
            yield backend
        finally:
            if lease is not None:
                _release(path, lease)

    def _repo_source(self, api: IPFSSimpleAPI) -> RepoBlockSource:
        with self._lock:
            source = self._sources.get(api)
            if source is None:
                source = self._sources[api] = RepoBlockSource(api)
            return source

    def _repo_backend(self, api: IPFSSimpleAPI) -> Backend:
        source = self._repo_source(api)
        return Backend(source, source, f"the repo at {api.node.path}")

    def _acquire(self, path: Path) -> tuple[Backend, _Lease | None]:
        from ipfs_kit_py.api import IPFSSimpleAPI, open_api_for

        for attempt in range(2):
            with _LEASES_LOCK:
                lease = _LEASES.get(path)
                if lease is not None:
                    lease.count += 1
                    return self._repo_backend(lease.api), lease
            api = open_api_for(path)
            if api is not None:
                return self._repo_backend(api), None
            with _LEASES_LOCK:
                if path in _LEASES:
                    continue  # another thread leased it just now
                try:
                    opened = IPFSSimpleAPI(path, create=self._repo is not None)
                except RepoLockedError:
                    daemon = self._daemon(path)
                    if daemon is not None:
                        return daemon, None
                    if attempt:
                        raise
                    continue  # perhaps opened in this process meanwhile: look again
                lease = _LEASES[path] = _Lease(opened)
                lease.count = 1
                return self._repo_backend(opened), lease
        raise RepoLockedError(f"{path} is in use")  # pragma: no cover - loop always returns

    def _daemon(self, path: Path) -> Backend | None:
        """Reads through the gateway, writes through the RPC API of the daemon there."""
        from ipfs_kit_py.daemon import API_FILE, GATEWAY_FILE

        api_text = _read(path / API_FILE)
        gateway_text = _read(path / GATEWAY_FILE)
        if not api_text and not gateway_text:
            return None
        key = (path, api_text, gateway_text)
        with self._lock:
            cached = self._daemons.get(key)
            if cached is not None:
                return cached
        writer: RPCBlockSource | None = None
        if api_text:
            from ipfs_kit_py.rpc import RemoteAPI

            remote = RemoteAPI.for_repo(path)
            if remote is not None:
                writer = RPCBlockSource(remote, profile=self._profile)
                self._closers.append(writer)
        reader: BlockSource | None = writer
        if gateway_text:
            gateway = GatewayBlockSource(gateway_text)
            self._closers.append(gateway)
            reader = gateway
        if reader is None:
            return None
        backend = Backend(reader, writer, f"the daemon that owns {path}")
        with self._lock:
            self._daemons[key] = backend
        return backend

    def close(self) -> None:
        """Close the HTTP clients this connector made."""
        for closer in self._closers:
            closer.close()
        self._closers.clear()
        self._daemons.clear()


def _release(path: Path, lease: _Lease) -> None:
    with _LEASES_LOCK:
        lease.count -= 1
        if lease.count > 0:
            return
        if _LEASES.get(path) is lease:
            del _LEASES[path]
        lease.api.close()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""
