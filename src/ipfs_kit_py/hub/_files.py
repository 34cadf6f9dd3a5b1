"""Artifact files in and out of the repo, each with its size, sha256 and CID.

Registries store a directory as one UnixFS tree (so ``ipfs://<root>/config.json``
works and the root CID equals ``ipfs add -r``'s) and list each file in their
manifest with its sha256 too: the digest Hugging Face records for LFS files, and a
whole-file check that block CIDs alone cannot give a reader who fetched the blocks
from several places. Both are computed in the one pass that imports the file.

Reading a directory refuses what could smuggle content from elsewhere: a symlink
that leads outside the directory (or, for a Hugging Face cache snapshot, outside
its ``blobs/``), names that are not plain path components, special files.
Writing files back (:func:`materialise`) hashes every byte, writes each file to a
temp name beside its target and renames it only when size and sha256 match.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import DecodeError, IntegrityError, InvalidInputError
from ipfs_kit_py.unixfs import AddedEntry, TreeEntry, safe_name

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["FileRecord", "import_directory", "materialise", "read_ahead", "scan_directory"]

_SKIP_DIRS = frozenset({".git", ".cache", "__pycache__"})  # VCS and download bookkeeping


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file of an artifact: relative POSIX path, size, sha256 (hex) and CID."""

    path: str
    size: int
    sha256: str
    cid: CID

    def to_ipld(self) -> dict[str, Any]:
        """The manifest form (a dag-cbor map; the CID is a link)."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "cid": self.cid}

    @classmethod
    def from_ipld(cls, value: Any) -> FileRecord:
        """Parse and check a manifest entry (paths are re-checked: manifests can be hostile)."""
        try:
            path, size, digest, cid = value["path"], value["size"], value["sha256"], value["cid"]
        except (KeyError, TypeError) as err:
            raise DecodeError(f"malformed file entry in manifest: {value!r:.120}") from err
        if not (isinstance(path, str) and type(size) is int and isinstance(cid, CID)):
            raise DecodeError(f"malformed file entry in manifest: {value!r:.120}")
        if size < 0:
            raise DecodeError(f"{path}: negative size {size}")
        if not isinstance(digest, str) or len(digest) != 64:
            raise DecodeError(f"{path}: sha256 must be 64 hex digits")
        safe_relpath(path)
        return cls(path, size, digest, cid)


def safe_relpath(path: str) -> str:
    """``path`` if it is relative and every component a plain name; else raise."""
    if not path or path.startswith("/") or "\\" in path:
        raise InvalidInputError(f"unsafe path {path!r}")
    for part in path.split("/"):
        safe_name(part)
    return path


def scan_directory(directory: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """The regular files under ``directory`` as ``(relative path, real path)``, sorted.

    Symlinks are followed only to files inside ``directory`` or, when it is a Hugging
    Face cache snapshot (``…/snapshots/<rev>``), inside that repo's ``blobs/``;
    anything else raises :class:`InvalidInputError`. ``.git`` and ``.cache`` are skipped.
    """
    top = Path(directory)
    if not top.is_dir():
        raise InvalidInputError(f"{top} is not a directory")
    real_top = top.resolve()
    allowed = [real_top]
    if real_top.parent.name == "snapshots":
        allowed.append(real_top.parent.parent / "blobs")
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                raise InvalidInputError(f"{Path(dirpath) / d}: symlinked directories are refused")
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(top).as_posix()
            try:
                safe_relpath(rel)
                rel.encode("utf-8")
            except (InvalidInputError, UnicodeEncodeError) as err:
                raise InvalidInputError(f"{path}: unsafe file name") from err
            real = path.resolve()
            if not any(real.is_relative_to(root) for root in allowed):
                raise InvalidInputError(f"{path} links outside the directory (to {real})")
            if not stat.S_ISREG(real.stat().st_mode):
                raise InvalidInputError(f"{path} is not a regular file")
            found.append((rel, real))
    found.sort(key=lambda item: item[0].encode("utf-8"))
    return found


class _Sha256Reader(io.RawIOBase):
    """A file read for import, hashed with sha256 as it goes (one pass for both)."""

    def __init__(self, fp: io.BufferedReader) -> None:
        self._fp = fp
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self._fp.readinto(buffer)
        if n:
            view = memoryview(buffer)
            self.sha256.update(view[:n])
            self.size += n
        return n or 0

    def close(self) -> None:
        self._fp.close()
        super().close()


def import_directory(
    api: IPFSSimpleAPI,
    files: Sequence[tuple[str, Path]],
    *,
    pin: bool = False,
    tags: Sequence[str] = (),
) -> tuple[AddedEntry, list[FileRecord]]:
    """Store ``files`` (from :func:`scan_directory`) as one UnixFS tree.

    Returns the tree's root (its CID is what ``ipfs add -r`` of the directory gives,
    with the repo's import profile) and one :class:`FileRecord` per file, in order.
    """
    readers: dict[str, _Sha256Reader] = {}

    def entries() -> Iterator[TreeEntry]:
        for rel, real in files:
            reader = _Sha256Reader(open(real, "rb"))  # noqa: SIM115 - closed below, once read
            readers[rel] = reader
            yield rel, "file", reader  # type: ignore[misc]

    options = api._options(None, {"wrap_with_directory": True})
    records: list[FileRecord] = []
    root: AddedEntry | None = None
    try:
        for entry in api.add_entries(entries(), options=options, pin=pin, tags=tags):
            if entry.path == "":
                root = entry
            elif entry.kind == "file":
                reader = readers[entry.path]
                reader.close()
                records.append(
                    FileRecord(entry.path, reader.size, reader.sha256.hexdigest(), entry.cid)
                )
    finally:
        for reader in readers.values():
            reader.close()
    if root is None:  # pragma: no cover - wrap_with_directory always yields one
        raise InvalidInputError("nothing was imported")
    order = {rel: i for i, (rel, _) in enumerate(files)}
    records.sort(key=lambda r: order[r.path])
    return root, records


def materialise(
    api: IPFSSimpleAPI, files: Iterable[FileRecord], target: str | os.PathLike[str]
) -> Path:
    """Write ``files`` under ``target``, each verified by CID (every block) and sha256.

    A file whose bytes disagree with its record raises :class:`IntegrityError` and
    leaves no file behind under its name; files already written stay (they were
    verified). Existing files of the same name are replaced only by verified bytes.
    """
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for record in files:
        dest = out.joinpath(*safe_relpath(record.path).split("/"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.partial")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as fp:
                for piece in read_ahead(api.stream(record.cid)):
                    digest.update(piece)
                    size += len(piece)
                    fp.write(piece)
            if size != record.size or digest.hexdigest() != record.sha256:
                raise IntegrityError(
                    f"{record.path}: the manifest says {record.size} bytes with sha256 "
                    f"{record.sha256[:16]}…, {record.cid} holds {size} bytes with "
                    f"sha256 {digest.hexdigest()[:16]}…"
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return out


_DONE = object()


def read_ahead(pieces: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """``pieces``, produced on a second thread up to ``depth`` ahead of the consumer.

    Reading and verifying blocks (hashing, in C, without the GIL) then overlaps with
    what the consumer does with them (another hash, a write): a snapshot runs on two
    cores instead of one. An error of the producer is raised to the consumer; a
    consumer that stops early stops the producer.
    """
    slots: queue.Queue[object] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for piece in pieces:
                while not stop.is_set():
                    try:
                        slots.put(piece, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            item: object = _DONE
        except BaseException as err:  # handed to the consumer, raised there
            item = err
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="ipfs-kit-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
