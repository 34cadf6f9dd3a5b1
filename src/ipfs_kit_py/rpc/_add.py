"""``POST /api/v0/add``: a multipart upload streamed into the UnixFS importer.

The body is never held in memory nor spooled to disk: it is parsed part by part
on a worker thread (:func:`~ipfs_kit_py.rpc._body.stream_parts`) and each part is
handed to :meth:`Importer.add_entries` as a stream; the lines emitted go out as
NDJSON while the upload is still going on, as Kubo does. Progress lines are coalesced (only the
latest count waits), so a client that does not read during its upload cannot
stall the import. The adding itself is
:meth:`IPFSSimpleAPI.add_entries` (the same path as ``add_paths``: under the shared
side of the GC lock, roots pinned, then recorded in the index).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from ipfs_kit_py.rpc._body import Emit
from ipfs_kit_py.rpc._errors import RPCError
from ipfs_kit_py.rpc._multipart import DIRECTORY, SYMLINK, MultipartReader
from ipfs_kit_py.rpc._streaming import json_line
from ipfs_kit_py.unixfs import AddedEntry, Importer, ImportOptions

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["AddJob"]

#: Longest symlink target accepted in a part (Linux's PATH_MAX).
_MAX_SYMLINK = 4096


class AddJob:
    """One ``add`` request: options, and what to emit as the import goes."""

    def __init__(
        self,
        api: IPFSSimpleAPI,
        options: ImportOptions,
        *,
        pin: bool,
        only_hash: bool,
        progress: bool,
        silent: bool,
        tags: Sequence[str] = (),
    ) -> None:
        self.api = api
        self.tags = tags
        self.options = options
        self.pin = pin
        self.only_hash = only_hash
        self.progress = progress
        self.silent = silent
        self._current = ""
        self._bytes = 0
        self._progress_waiting = False

    # -- the worker thread -----------------------------------------------------------------

    def run(self, reader: MultipartReader, emit: Emit) -> None:
        """Import every part; ``emit`` each output line (bytes) or progress marker."""

        def on_progress(n: int) -> None:
            self._bytes += n
            if self.progress and not self._progress_waiting:
                self._progress_waiting = True
                emit(self.progress_line)  # formatted when the response gets to it

        entries = self._entries(reader)
        if self.only_hash:
            with Importer(self.options, progress=on_progress) as imp:
                for entry in imp.add_entries(entries):
                    self._emit_entry(entry, emit)
            return
        added = self.api.add_entries(
            entries, options=self.options, pin=self.pin, progress=on_progress, tags=self.tags
        )
        for entry in added:
            self._emit_entry(entry, emit)

    def _entries(
        self, reader: MultipartReader
    ) -> Iterator[tuple[str, str, BinaryIO | bytes | None]]:
        seen = False
        for part in reader:
            seen = True
            path = part.filename if part.filename is not None else ""
            self._current, self._bytes = path, 0
            if part.content_type == DIRECTORY:
                yield path, "directory", None
            elif part.content_type == SYMLINK:
                yield path, "symlink", part.read_all(_MAX_SYMLINK, "a symlink target")
            else:
                yield path, "file", part  # type: ignore[misc]
        if not seen:
            raise RPCError("file argument 'path' is required")

    def _emit_entry(self, entry: AddedEntry, emit: Emit) -> None:
        if self.silent:
            return
        # Kubo's AddEvent.Size is the DAG size of the entry's root (ipld Node.Size()),
        # a string; a nameless file (stdin) is named by its CID.
        size = entry.dag_size
        name = entry.path
        if not name and entry.kind == "file":
            name = str(entry.cid)
        emit(json_line({"Name": name, "Hash": str(entry.cid), "Size": str(size)}))

    def progress_line(self) -> bytes:
        """The latest progress, as Kubo's ``{"Name", "Bytes"}`` (cumulative per file)."""
        self._progress_waiting = False
        return json_line({"Name": self._current, "Bytes": self._bytes})
