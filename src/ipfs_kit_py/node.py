"""A node: one repo directory, its lock, and the parts that live in it.

Layout of ``$IPFS_KIT_PATH`` (default ``~/.ipfs-kit``)::

    config.toml     the node's configuration (YAML or JSON accepted instead)
    version         the repo format version (one line)
    repo.lock       held (flock) by the one process that owns the repo; holds its pid
    blocks/         blocks, in Kubo's flatfs layout (next-to-last/2, base32 multihash keys)
    pins.sqlite     pins (SQLite, WAL)
    filestore.sqlite  no-copy references of ``add --nocopy`` (SQLite, WAL; made on first use)
    index/          the metadata index: objects-NNNNNNNN.parquet + journal.jsonl
    identity.key    the node's libp2p Ed25519 key (0600); its peer ID names the node
    api, gateway    while a daemon runs: the addresses it serves (Kubo's ``api`` file)

:class:`Node` only composes these parts; what is done with them (adding,
reading, pinning, collecting garbage) is :class:`ipfs_kit_py.api.IPFSSimpleAPI`'s.
One process owns a repo: a second :meth:`Node.open` of the same repo, from this
process or another, raises :class:`~ipfs_kit_py.errors.RepoLockedError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ipfs_kit_py._identity import Identity, load_identity
from ipfs_kit_py.blockstore import FilestoreBlockstore, FlatFSBlockstore
from ipfs_kit_py.config import Config, config_file, default_repo_path, dump_config, load_config
from ipfs_kit_py.errors import ConfigError, RepoError, RepoLockedError, RepoNotFoundError
from ipfs_kit_py.index import IndexKeeper, MetadataIndex
from ipfs_kit_py.pinning import GCLock, PinStore

__all__ = ["REPO_VERSION", "Node", "init_repo"]

#: The repo format this code reads and writes.
REPO_VERSION: Final = 1
_LOCK = "repo.lock"


def init_repo(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    exist_ok: bool = False,
    **settings: Any,
) -> Path:
    """Create a repo (config, version marker, empty stores) and return its path.

    ``settings`` are config keys (``role="worker"``, ``blockstore__sync=False``)
    written into ``config.toml``.

    >>> import tempfile
    >>> repo = init_repo(Path(tempfile.mkdtemp()) / "repo", role="worker")
    >>> print((repo / "config.toml").read_text().splitlines()[0])
    role = "worker"
    """
    repo = Path(path) if path is not None else default_repo_path(env)
    if (repo / "version").exists():
        if exist_ok:
            return repo
        raise RepoError(f"{repo} is already a repo")
    config = load_config(None, env={}, **settings)
    _check_profile(config)
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "config.toml").write_text(dump_config(config), encoding="utf-8")
    FlatFSBlockstore(repo / "blocks")  # creates the directory and its SHARDING file
    PinStore(repo / "pins.sqlite").close()
    tmp = repo / "version.tmp"
    tmp.write_text(f"{REPO_VERSION}\n", encoding="ascii")
    os.replace(tmp, repo / "version")  # written last: its presence means "complete"
    return repo


def _check_profile(config: Config) -> None:
    from ipfs_kit_py.unixfs import PROFILES

    if config.profile not in PROFILES:
        raise ConfigError(
            f"unknown import profile {config.profile!r}; known: {', '.join(PROFILES)}"
        )


class Node:
    """An open repo: config, blockstore, pins and the GC lock, owned by this process.

    >>> import tempfile
    >>> repo = init_repo(Path(tempfile.mkdtemp()) / "repo")
    >>> with Node.open(repo) as node:
    ...     node.config.role
    'master'
    """

    def __init__(self, path: Path, config: Config, lock_fd: int) -> None:
        self.path = path
        self.config = config
        self._lock_fd: int | None = lock_fd
        flatfs = FlatFSBlockstore(
            path / "blocks", verify=config.blockstore.verify, sync=config.blockstore.sync
        )
        #: flatfs (``blocks.inner``) plus the no-copy references of ``add --nocopy``
        self.blocks = FilestoreBlockstore(flatfs, path / "filestore.sqlite")
        flatfs.sweep_temp(0)  # we hold repo.lock: what is staged there, a crash left
        self.gc_lock = GCLock()  # adds and pin changes: shared; garbage collection: exclusive
        self.pins = PinStore(path / "pins.sqlite", gc_lock=self.gc_lock)
        # The journal is not fsynced: a process crash loses nothing (the page cache has it),
        # power loss at most the last reads and adds, and the index is rebuilt from the pins.
        self.index = MetadataIndex(path / "index")
        #: keeps ``index`` current as the API adds, reads, pins and collects
        self.keeper = IndexKeeper(
            self.index, self.blocks, self.pins, replication=config.replication
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        create: bool = False,
        **overrides: Any,
    ) -> Node:
        """Open (with ``create``: first make) the repo at ``path`` and take its lock.

        ``overrides`` are config keys that win over the environment and the file.
        """
        repo = Path(path) if path is not None else default_repo_path(env)
        if not (repo / "version").is_file():
            if not create:
                raise RepoNotFoundError(f"no repo at {repo}: run `ipfs-kit init` first")
            init_repo(repo, exist_ok=True)
        version = (repo / "version").read_text(encoding="ascii").strip()
        if version != str(REPO_VERSION):
            raise RepoError(f"{repo} is repo version {version}; this code reads {REPO_VERSION}")
        config = load_config(repo, env=env, **overrides)
        _check_profile(config)
        fd = _lock(repo)
        try:
            return cls(repo, config, fd)
        except BaseException:
            os.close(fd)
            raise

    @functools.cached_property
    def identity(self) -> Identity:
        """This node's libp2p key pair (made on first use, kept in ``identity.key``)."""
        return load_identity(self.path)

    @property
    def peer_id(self) -> str:
        """This node's libp2p peer ID (``12D3KooW…``), stable for the life of the repo."""
        return self.identity.peer_id

    @property
    def config_path(self) -> Path | None:
        """The config file in use, if the repo has one."""
        return config_file(self.path)

    def close(self) -> None:
        """Release the stores and the repo lock (idempotent)."""
        if self._lock_fd is None:
            return
        self.index.close()
        self.pins.close()
        self.blocks.close()
        fd, self._lock_fd = self._lock_fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Node({str(self.path)!r}, role={self.config.role!r})"


def _lock(repo: Path) -> int:
    """Take ``repo.lock`` exclusively without waiting; record our pid in it."""
    fd = os.open(repo / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise RepoLockedError(
            f"{repo} is in use by process {holder} (a daemon?): one process owns a repo"
        ) from None
    # The pid only names the holder in RepoLockedError; the flock is the lock. On a
    # full disk the write fails (ENOSPC), and that must not keep the repo from opening.
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd
