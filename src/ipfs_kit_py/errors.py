"""The single exception tree of ipfs_kit_py.

Every error we raise derives from :class:`IPFSKitError` and, where one fits, from
the matching builtin as well, so ``except ValueError`` keeps working for callers
who do not know our types::

    IPFSKitError
    ├── InvalidInputError (ValueError)         bad bytes or arguments from outside
    │   ├── InvalidCIDError                    malformed CID / multibase / varint
    │   ├── InvalidMultihashError              malformed multihash
    │   ├── DecodeError                        bytes are not valid for the codec
    │   ├── EncodeError                        value cannot be encoded by the codec
    │   └── CARError                           malformed CAR file
    │       └── CARLimitError                  block or section over the configured limit
    ├── UnsupportedError (NotImplementedError) codec / hash / base we do not implement
    ├── IntegrityError                         bytes do not hash to their CID
    │   └── FileChangedError                   a no-copy block's file changed, shrank or is gone
    ├── BlockNotFoundError (KeyError)          a block we need is absent
    ├── PathNotFoundError (FileNotFoundError)  no entry at a path inside a DAG
    ├── RefNotFoundError (KeyError)            no registry entry ``name[@version|@alias]``
    ├── PickleRefusedError (PermissionError)   a pickle weight file, loaded without opt-in
    ├── StorageError (OSError)                 a block store's disk failed (full, I/O error)
    │   └── ReadOnlyError                      a write to a store opened read-only
    ├── ConfigError (ValueError)               a bad config file, variable or argument
    └── RepoError                              the node's repo cannot be used
        ├── RepoNotFoundError (FileNotFoundError)  no repo there: run ``ipfs-kit init``
        ├── RepoLockedError                    another process owns the repo
        └── IndexCorruptError                  the metadata index cannot be read (rebuild it)

Each class has a stable ``code`` (a short string used in JSON output and RPC
error bodies), an HTTP status in :data:`HTTP_STATUS` and a process exit status
in :data:`EXIT_STATUS`. Translate errors only at seams, always with
``raise ... from err``.
"""

from __future__ import annotations

__all__ = [
    "EXIT_STATUS",
    "HTTP_STATUS",
    "BlockNotFoundError",
    "CARError",
    "CARLimitError",
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "FileChangedError",
    "IPFSKitError",
    "IndexCorruptError",
    "IntegrityError",
    "InvalidCIDError",
    "InvalidInputError",
    "InvalidMultihashError",
    "PathNotFoundError",
    "PickleRefusedError",
    "ReadOnlyError",
    "RefNotFoundError",
    "RepoError",
    "RepoLockedError",
    "RepoNotFoundError",
    "StorageError",
    "UnsupportedError",
]


class IPFSKitError(Exception):
    """Root of every error raised by ipfs_kit_py."""

    code: str = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class InvalidInputError(IPFSKitError, ValueError):
    """Input from outside (bytes, strings, arguments) is malformed."""

    code = "invalid_input"


class InvalidCIDError(InvalidInputError):
    """A CID, its multibase string or one of its varints is malformed."""

    code = "invalid_cid"


class InvalidMultihashError(InvalidInputError):
    """A multihash is malformed (bad varint, length mismatch, truncated digest)."""

    code = "invalid_multihash"


class DecodeError(InvalidInputError):
    """Bytes are not a valid (canonical) encoding for the codec."""

    code = "decode_error"


class EncodeError(InvalidInputError):
    """A value cannot be represented in the codec (wrong kind, out of range)."""

    code = "encode_error"


class CARError(InvalidInputError):
    """A CAR file (v1 or v2) is malformed or truncated."""

    code = "invalid_car"


class CARLimitError(CARError):
    """A CAR block or section is larger than the configured limit."""

    code = "car_limit"


class UnsupportedError(IPFSKitError, NotImplementedError):
    """A codec, hash function or multibase we recognise but do not implement."""

    code = "unsupported"


class IntegrityError(IPFSKitError):
    """Bytes do not hash to the digest their CID claims."""

    code = "integrity"


class FileChangedError(IntegrityError):
    """A no-copy (filestore) block cannot be read back from the file it references.

    The file changed, was truncated, moved or deleted since it was added with
    ``nocopy``; ``path`` names it. Wrong bytes are never returned instead.
    """

    code = "file_changed"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class BlockNotFoundError(IPFSKitError, KeyError):
    """A block needed to complete the operation is not available."""

    code = "block_not_found"


class PathNotFoundError(IPFSKitError, FileNotFoundError):
    """A path inside a DAG (``CID/a/b``) names no entry."""

    code = "path_not_found"


class RefNotFoundError(IPFSKitError, KeyError):
    """A registry reference (``name``, ``name@version``, ``name@alias``) names nothing."""

    code = "ref_not_found"


class PickleRefusedError(IPFSKitError, PermissionError):
    """A pickle-based weight file (``.bin``, ``.pt``, ``.pth``, ``.pkl``, ``.ckpt``) was
    about to be loaded without ``allow_pickle=True``: unpickling runs arbitrary code.

    ``files`` names the refused files.
    """

    code = "pickle_refused"

    def __init__(self, message: str, *, files: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.files = files


class StorageError(IPFSKitError, OSError):
    """A block store could not read or write its storage (disk full, I/O error, ...).

    ``errno`` and ``filename`` carry the underlying OS error's, so callers can
    tell ``ENOSPC`` from ``EIO`` without unwrapping ``__cause__``.
    """

    code = "storage"

    def __init__(
        self, message: str, *, errno: int | None = None, filename: str | None = None
    ) -> None:
        super().__init__(message)
        self.errno = errno
        self.filename = filename


class ReadOnlyError(StorageError):
    """A write (``put``, ``delete``) to a store opened read-only (``errno`` is ``EROFS``)."""

    code = "read_only"


class ConfigError(IPFSKitError, ValueError):
    """A config file, ``IPFS_KIT_*`` variable or argument is malformed or unknown."""

    code = "config"


class RepoError(IPFSKitError):
    """The repo is missing, locked, or from an incompatible version."""

    code = "repo"


class RepoNotFoundError(RepoError, FileNotFoundError):
    """No repo at the path: it must be created with ``ipfs-kit init`` first."""

    code = "repo_not_found"


class RepoLockedError(RepoError):
    """Another process holds the repo lock (one process owns a repo)."""

    code = "repo_locked"


class IndexCorruptError(RepoError):
    """The metadata index's files cannot be read: ``ipfs-kit index rebuild`` recovers."""

    code = "index_corrupt"


#: HTTP status for each error code (used by the RPC server and gateway).
HTTP_STATUS: dict[str, int] = {
    IPFSKitError.code: 500,
    InvalidInputError.code: 400,
    InvalidCIDError.code: 400,
    InvalidMultihashError.code: 400,
    DecodeError.code: 400,
    EncodeError.code: 400,
    CARError.code: 400,
    CARLimitError.code: 413,
    UnsupportedError.code: 501,
    IntegrityError.code: 502,
    FileChangedError.code: 500,
    BlockNotFoundError.code: 404,
    PathNotFoundError.code: 404,
    RefNotFoundError.code: 404,
    PickleRefusedError.code: 403,
    StorageError.code: 507,
    ReadOnlyError.code: 403,
    ConfigError.code: 400,
    RepoError.code: 500,
    RepoNotFoundError.code: 500,
    RepoLockedError.code: 503,
    IndexCorruptError.code: 500,
}

#: Process exit status for each error code (used by the CLI). 2 is kept for usage errors.
EXIT_STATUS: dict[str, int] = {
    IPFSKitError.code: 1,
    InvalidInputError.code: 3,
    InvalidCIDError.code: 3,
    InvalidMultihashError.code: 3,
    DecodeError.code: 3,
    EncodeError.code: 3,
    CARError.code: 3,
    CARLimitError.code: 3,
    UnsupportedError.code: 4,
    IntegrityError.code: 5,
    FileChangedError.code: 5,
    BlockNotFoundError.code: 6,
    PathNotFoundError.code: 6,
    RefNotFoundError.code: 6,
    PickleRefusedError.code: 9,
    StorageError.code: 8,
    ReadOnlyError.code: 8,
    ConfigError.code: 3,
    RepoError.code: 7,
    RepoNotFoundError.code: 7,
    RepoLockedError.code: 7,
    IndexCorruptError.code: 7,
}
