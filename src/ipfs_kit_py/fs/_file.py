"""``IPFSFile``: a buffered fsspec file over one CID (reads) or a spool (writes)."""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING, Any

from fsspec.spec import AbstractBufferedFile

from ipfs_kit_py.cid import CID
from ipfs_kit_py.fs._tree import Staged

if TYPE_CHECKING:
    from ipfs_kit_py.fs._filesystem import IPFSFileSystem

__all__ = ["IPFSFile"]

_SPOOL_BYTES = 16 << 20


class IPFSFile(AbstractBufferedFile):  # type: ignore[misc]  # fsspec is untyped
    """A file of the ``ipfs`` file system.

    Reading, the file is pinned to the CID its path named when it was opened (a later
    write to the mutable root does not change what it reads); each cache miss reads
    one range through the exporter, which fetches and verifies only the blocks that
    overlap it. The read-ahead is one default chunk (1 MiB) unless ``block_size`` says
    otherwise. Writing, bytes go to a spool (memory, then a temporary file) and land
    in the mutable root on close (or when the transaction commits).
    """

    DEFAULT_BLOCK_SIZE = 1 << 20

    def __init__(
        self,
        fs: IPFSFileSystem,
        path: str,
        mode: str = "rb",
        *,
        cid: CID | None = None,
        staged: Staged | None = None,
        size: int | None = None,
        block_size: int | str | None = None,
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.cid = cid
        self._staged = staged
        self._spool: IO[bytes] | None = None
        super().__init__(
            fs,
            path,
            mode,
            block_size=self.DEFAULT_BLOCK_SIZE if block_size in (None, "default") else block_size,
            autocommit=autocommit,
            cache_type=cache_type,
            cache_options=cache_options,
            size=size,
            **kwargs,
        )

    # -- reading ------------------------------------------------------------------------

    def _fetch_range(self, start: int, end: int) -> bytes:
        if self._staged is not None:
            return self._staged.read(start, end)
        assert self.cid is not None
        data: bytes = self.fs._read_range(self.cid, start, end)
        return data

    # -- writing ------------------------------------------------------------------------

    def _initiate_upload(self) -> None:
        self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115

    def _upload_chunk(self, final: bool = False) -> bool:
        assert self._spool is not None
        self._spool.write(self.buffer.getbuffer())
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        """Put the written bytes into the mutable root (a new root outside a transaction)."""
        spool, self._spool = self._spool, None
        if spool is None:
            return
        size = spool.seek(0, 2)
        self.fs._stage(self.path, Staged(spool, size), exclusive="x" in self.mode)

    def discard(self) -> None:
        """Drop the written bytes."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()
