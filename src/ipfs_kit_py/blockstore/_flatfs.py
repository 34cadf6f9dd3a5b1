"""``FlatFSBlockstore``: one file per block, in Kubo's flatfs layout.

A block whose multihash is ``mh`` lives at ``ROOT/<SHARD>/<KEY>.data`` where
``KEY`` is the RFC 4648 base32 of ``mh`` (upper case, unpadded, no multibase
prefix) and ``SHARD`` is ``KEY[-3:-1]``: go-ds-flatfs's
``/repo/flatfs/shard/v1/next-to-last/2``, which ``ROOT/SHARDING`` names. Kubo's
``REPO/blocks`` is such a directory, so the same code reads a Kubo repo and
writes one Kubo can read.

Writes go to a fresh file in ``ROOT/.temp/`` (Kubo's own temp directory, which it
empties when it opens the store and which neither of us lists), are optionally
flushed to disk, then renamed into place: a reader, or a crash, never sees a
partial ``.data`` file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import errno
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

from ipfs_kit_py.blockstore._common import missing, storable, verified
from ipfs_kit_py.cid import CID, multihash
from ipfs_kit_py.codecs import Block
from ipfs_kit_py.errors import (
    InvalidInputError,
    InvalidMultihashError,
    IPFSKitError,
    ReadOnlyError,
    StorageError,
    UnsupportedError,
)

__all__ = ["SHARDING", "TEMP_DIR", "FlatFSBlockstore", "flatfs_key", "flatfs_shard"]

#: The sharding scheme we implement, as ``ROOT/SHARDING`` names it (Kubo's default).
SHARDING: Final = "/repo/flatfs/shard/v1/next-to-last/2"
#: Where writes are staged before the rename (go-ds-flatfs >= 0.5 uses the same).
TEMP_DIR: Final = ".temp"
#: Staged files older than this (seconds) are left over from a crash; removed on open.
STALE_TEMP_S: Final = 3600.0
_EXT: Final = ".data"
_KEY_RE: Final = re.compile(r"[A-Z2-7]+")
_OPEN_FLAGS: Final = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_DIR_FLAGS: Final = getattr(os, "O_DIRECTORY", None)  # None: directories cannot be fsynced


def flatfs_key(mh: bytes) -> str:
    """The flatfs key (file name without ``.data``) of a multihash.

    >>> flatfs_key(bytes.fromhex("1220" + "00" * 32))
    'CIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    """
    return base64.b32encode(mh).decode("ascii").rstrip("=")


def flatfs_shard(key: str) -> str:
    """The shard directory of ``key``: its next-to-last two characters.

    Keys shorter than three characters are padded with ``_`` on the left, as
    go-ds-flatfs does (no multihash is that short).

    >>> flatfs_shard("CIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    'AA'
    """
    return ("___" + key)[-3:-1]


def _decode_key(name: str, shard: str) -> bytes | None:
    """The multihash a ``<KEY>.data`` name in ``shard`` stands for, or ``None`` (not a block)."""
    if not name.endswith(_EXT):
        return None
    key = name[: -len(_EXT)]
    if not _KEY_RE.fullmatch(key) or flatfs_shard(key) != shard:
        return None
    try:
        mh = base64.b32decode(key + "=" * (-len(key) % 8))
    except binascii.Error:  # a length no byte string encodes to
        return None
    if flatfs_key(mh) != key:  # non-zero padding bits: not the canonical name
        return None
    try:
        if multihash.decode(mh)[2] != len(mh):
            return None
    except InvalidMultihashError:
        return None
    return mh


def _sharding_matches(text: str) -> bool:
    """Whether a ``SHARDING`` file's text names our scheme, read as go-ds-flatfs reads it."""
    parts = text.strip().split("/")[-3:]
    if len(parts) == 3 and parts[0] != "v1":
        return False
    return parts[-2:] == ["next-to-last", "2"]


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs(fd)`` (Linux), or ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int]
    func.restype = ctypes.c_int
    return func


_SYNCFS: Final = _load_syncfs()


def _flush(fd: int) -> None:
    if sys.platform == "darwin":  # fsync alone leaves data in the drive's cache
        import fcntl

        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    elif hasattr(os, "fdatasync"):  # size and data; skips the mtime update
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def _sync_dir(path: str) -> None:
    if _DIR_FLAGS is None:
        return
    fd = os.open(path, os.O_RDONLY | _DIR_FLAGS)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _storage_error(err: OSError, what: str) -> StorageError:
    return StorageError(
        f"{what}: {err.strerror or err}",
        errno=err.errno,
        filename=None if err.filename is None else os.fsdecode(err.filename),
    )


class FlatFSBlockstore:
    """A :class:`~ipfs_kit_py.blockstore.Blockstore` on disk, in Kubo's flatfs layout.

    Args:
        root: the flatfs directory (Kubo's ``REPO/blocks``). Created, with its
            ``SHARDING`` file, when missing or empty and not ``read_only``.
        verify: hash every block ``get`` returns (cheap next to the read).
        sync: flush each block to disk before renaming it into place and the
            directory after, so a block survives power loss once ``put`` returns.
            Without it a crash of the process still never exposes a partial block,
            but power loss may (``get`` then raises IntegrityError; ``put`` repairs).
        read_only: refuse ``put``/``delete`` with :class:`~ipfs_kit_py.errors.ReadOnlyError`
            and never touch the directory: the way to read a Kubo repo's blocks.

    Raises:
        UnsupportedError: ``SHARDING`` names another scheme.
        InvalidInputError: ``root`` has files but no ``SHARDING``: not a flatfs.
        StorageError: ``root`` cannot be read or created (``read_only``: is missing).

    Concurrent use from threads needs no lock: every write is a rename of a
    private temp file. ``put`` skips a block already stored at its full size, so
    re-putting repairs a truncated file but not one corrupted at the same length
    (``get`` reports that one).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        verify: bool = True,
        sync: bool = True,
        read_only: bool = False,
    ) -> None:
        self.root = Path(root)
        self.verify = verify
        self.sync = sync
        self.read_only = read_only
        self._root = os.fspath(self.root)
        self._temp = os.path.join(self._root, TEMP_DIR)
        self._shards: set[str] = set()  # shard directories known to exist
        try:
            self._open()
        except IPFSKitError:
            raise
        except OSError as err:
            raise _storage_error(err, f"cannot open flatfs at {self._root}") from err

    def __repr__(self) -> str:
        flags = f"verify={self.verify}, sync={self.sync}, read_only={self.read_only}"
        return f"FlatFSBlockstore({self._root!r}, {flags})"

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> None:
        sharding = os.path.join(self._root, "SHARDING")
        try:
            with open(sharding, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            if self.read_only:
                raise StorageError(
                    f"no flatfs at {self._root}: no SHARDING file",
                    errno=errno.ENOENT,
                    filename=sharding,
                ) from None
            self._create(sharding)
        else:
            if not _sharding_matches(text):
                raise UnsupportedError(
                    f"flatfs at {self._root} is sharded by {text.strip()!r}; "
                    f"only {SHARDING} is implemented"
                )
        if not self.read_only:
            os.makedirs(self._temp, mode=0o755, exist_ok=True)
            self.sweep_temp()

    def _create(self, sharding: str) -> None:
        os.makedirs(self._root, mode=0o755, exist_ok=True)
        ours = (TEMP_DIR, ".SHARDING-")  # what an interrupted creation leaves
        if any(not name.startswith(ours) for name in os.listdir(self._root)):
            raise InvalidInputError(
                f"{self._root} is not empty and has no SHARDING file: not a flatfs directory"
            )
        staged = os.path.join(self._root, f".SHARDING-{os.urandom(6).hex()}")
        with open(staged, "xb") as f:
            f.write(SHARDING.encode("ascii") + b"\n")  # Kubo's exact bytes
            f.flush()
            if self.sync:
                _flush(f.fileno())
        os.replace(staged, sharding)
        if self.sync:
            _sync_dir(self._root)

    def sweep_temp(self, older_than: float = STALE_TEMP_S) -> int:
        """Remove files a crashed writer left in ``.temp``; how many were removed.

        Opening the store removes only those older than ``older_than`` seconds: without
        a lock, another process may be writing the rest. An owner that holds the
        directory exclusively (a :class:`~ipfs_kit_py.node.Node`, under ``repo.lock``)
        passes ``0`` and empties it, as Kubo does when it opens its repo.
        """
        cutoff = time.time() - older_than
        removed = 0
        with os.scandir(self._temp) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and (
                        older_than <= 0 or entry.stat().st_mtime < cutoff
                    ):
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass  # gone already, or not ours to remove: harmless either way
        return removed

    # -- paths -----------------------------------------------------------------------------

    def block_path(self, cid: CID) -> Path:
        """Where the block of ``cid`` is (or would be) stored."""
        return Path(self._file(cid.multihash)[1])

    def _file(self, mh: bytes) -> tuple[str, str]:
        key = flatfs_key(mh)
        shard_dir = f"{self._root}{os.sep}{flatfs_shard(key)}"  # os.path.join is slower
        return shard_dir, f"{shard_dir}{os.sep}{key}{_EXT}"

    # -- reads -----------------------------------------------------------------------------

    def get(self, cid: CID) -> bytes:
        """The block's bytes, verified unless ``verify=False``."""
        if cid.is_identity:
            return cid.digest
        path = self._file(cid.multihash)[1]
        try:
            fd = os.open(path, _READ_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            raise missing(cid) from None
        except OSError as err:
            raise _storage_error(err, f"cannot read block {cid}") from err
        try:
            data = _read_all(fd)
        except OSError as err:
            raise _storage_error(err, f"cannot read block {cid}") from err
        finally:
            os.close(fd)
        return verified(cid, data, path) if self.verify else data

    def has(self, cid: CID) -> bool:
        """Whether the block is stored (identity CIDs: always)."""
        if cid.is_identity:
            return True
        try:
            os.stat(self._file(cid.multihash)[1])
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as err:
            raise _storage_error(err, f"cannot stat block {cid}") from err
        return True

    def size(self, cid: CID) -> int:
        """The block's length in bytes (one ``stat``, no read)."""
        if cid.is_identity:
            return len(cid.digest)
        try:
            return os.stat(self._file(cid.multihash)[1]).st_size
        except (FileNotFoundError, NotADirectoryError):
            raise missing(cid) from None
        except OSError as err:
            raise _storage_error(err, f"cannot stat block {cid}") from err

    def multihashes(self) -> Iterator[bytes]:
        """Every stored multihash, shard by shard.

        Only ``<KEY>.data`` files whose key is canonical base32 of a multihash and
        sit in their own shard count; temp files, ``SHARDING``, ``_README``,
        ``diskUsage.cache`` and anything else are skipped.
        """
        try:
            with os.scandir(self._root) as top:
                shards = [
                    e.name
                    for e in top
                    if len(e.name) == 2 and not e.name.startswith(".") and e.is_dir()
                ]
        except OSError as err:
            raise _storage_error(err, f"cannot list flatfs at {self._root}") from err
        for shard in shards:
            try:
                with os.scandir(os.path.join(self._root, shard)) as files:
                    names = [e.name for e in files if e.is_file(follow_symlinks=False)]
            except FileNotFoundError:
                continue  # removed while we walked
            except OSError as err:
                raise _storage_error(err, f"cannot list flatfs shard {shard}") from err
            for name in names:
                mh = _decode_key(name, shard)
                if mh is not None:
                    yield mh

    # -- writes ----------------------------------------------------------------------------

    def put(self, block: Block) -> None:
        """Store one block: staged, flushed (``sync``), renamed, directory flushed."""
        self._writable()
        if not storable(block):
            return
        try:
            stored = self._write(block)
            if stored is not None and self.sync:
                shard_dir, created = stored
                _sync_dir(shard_dir)
                if created:
                    _sync_dir(self._root)
        except OSError as err:
            raise _storage_error(err, f"cannot store block {block.cid}") from err

    def put_many(self, blocks: Iterable[Block]) -> None:
        """Store blocks as one batch: all staged, flushed, renamed into place, flushed.

        With ``sync`` on Linux the batch costs two ``syncfs`` calls (one makes the
        staged data durable before any rename, one makes the renames durable) instead
        of an fsync per block and per directory; elsewhere each staged file and each
        directory is flushed. On error nothing of the batch is left staged; blocks
        already renamed into place stay (they are whole and valid).
        """
        self._writable()
        by_fs = self.sync and _SYNCFS is not None
        staged: list[tuple[str, str, str]] = []  # (temp, final path, shard directory)
        created = False
        try:
            for block in blocks:
                if not storable(block):
                    continue
                try:
                    item = self._stage(block, flush=self.sync and not by_fs)
                except OSError as err:
                    raise _storage_error(err, f"cannot store block {block.cid}") from err
                if item is not None:
                    staged.append(item[:3])
                    created |= item[3]
            if not staged:
                return
            try:
                if by_fs:
                    self._syncfs()  # the data, before any rename can reach the disk
                for i, (temp, path, shard_dir) in enumerate(staged):
                    try:
                        os.replace(temp, path)
                    except FileNotFoundError:  # the shard directory was removed under us
                        self._shards.discard(shard_dir)
                        created |= self._make_shard(shard_dir)
                        os.replace(temp, path)
                    staged[i] = ("", path, shard_dir)
                if by_fs:
                    self._syncfs()
                elif self.sync:
                    for shard_dir in {shard for _, _, shard in staged}:
                        _sync_dir(shard_dir)
                    if created:
                        _sync_dir(self._root)
            except OSError as err:
                raise _storage_error(err, "cannot store a batch of blocks") from err
        finally:
            for temp, _, _ in staged:
                if temp:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)

    def _syncfs(self) -> None:
        """Flush everything written to the file system holding the store (Linux)."""
        assert _SYNCFS is not None
        fd = os.open(self._root, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), self._root)
        finally:
            os.close(fd)

    def _stage(self, block: Block, *, flush: bool) -> tuple[str, str, str, bool] | None:
        """Write a block to a temp file: ``(temp, path, shard_dir, shard_created)``, or
        ``None`` when it is already stored."""
        shard_dir, path = self._file(block.cid.multihash)
        data = block.data
        try:
            if os.stat(path).st_size == len(data):
                return None
        except (FileNotFoundError, NotADirectoryError):
            pass
        created = shard_dir not in self._shards and self._make_shard(shard_dir)
        temp, fd = self._staged()
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if flush:
                    _flush(fd)
            finally:
                os.close(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return temp, path, shard_dir, created

    def delete(self, cid: CID) -> None:
        """Remove the block if present (not flushed: a block back after a crash is harmless)."""
        self._writable()
        if cid.is_identity:
            return
        try:
            os.unlink(self._file(cid.multihash)[1])
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as err:
            raise _storage_error(err, f"cannot delete block {cid}") from err

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(
                f"flatfs at {self._root} is open read-only", errno=errno.EROFS, filename=self._root
            )

    def _write(self, block: Block) -> tuple[str, bool] | None:
        """Put one block in place; ``(shard_dir, shard_dir_created)``, or ``None`` if present."""
        staged = self._stage(block, flush=self.sync)
        if staged is None:
            return None
        temp, path, shard_dir, created = staged
        try:
            try:
                os.replace(temp, path)
            except FileNotFoundError:  # the shard directory was removed behind our back
                self._shards.discard(shard_dir)
                created = self._make_shard(shard_dir)
                os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return shard_dir, created

    def _make_shard(self, shard_dir: str) -> bool:
        """Create a shard directory if missing; whether it was created (the root needs a flush)."""
        try:
            os.mkdir(shard_dir, 0o755)
            created = True
        except FileExistsError:
            created = False
        self._shards.add(shard_dir)  # at most 1024 names: skip the mkdir next time
        return created

    def _staged(self) -> tuple[str, int]:
        """A new, empty, uniquely named file in ``.temp``: ``(path, fd)``."""
        for _ in range(16):
            temp = f"{self._temp}{os.sep}put-{os.urandom(8).hex()}"
            try:
                return temp, os.open(temp, _OPEN_FLAGS, 0o666)
            except FileExistsError:
                continue
            except FileNotFoundError:  # .temp removed under us (e.g. Kubo opened the repo)
                os.makedirs(self._temp, mode=0o755, exist_ok=True)
        raise OSError(errno.EEXIST, "no unique temp file name", self._temp)


def _read_all(fd: int) -> bytes:
    """The whole file behind ``fd``: one ``read`` of its ``stat`` size in the usual case."""
    size = os.fstat(fd).st_size
    data = os.read(fd, size)
    if len(data) < size:  # a short read (signal, network file system): finish it
        parts = [data]
        got = len(data)
        while got < size and (chunk := os.read(fd, size - got)):
            parts.append(chunk)
            got += len(chunk)
        data = b"".join(parts)
    return data
