"""``get``'s tar stream: a UnixFS file or tree as the tar archive Kubo sends.

Kubo's ``get`` (boxo ``files`` tar writer) answers with a tar archive whose top
entry is named after the last component of the requested path (the CID for a bare
CID): directories, regular files and symlinks, nothing else. We write it as a
generator of byte pieces (headers from :class:`tarfile.TarInfo`, then the file's
verified chunks, then padding), so a tree of any size streams in constant memory.
Modification times are the ones the DAG records, else 0 (Kubo writes the current
time; a fixed one keeps the archive of a CID reproducible). With ``compress`` the
stream is gzipped on the fly, as ``ipfs get --compress`` does.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator

from ipfs_kit_py.cid import CID
from ipfs_kit_py.codecs import dag_pb
from ipfs_kit_py.errors import DecodeError
from ipfs_kit_py.unixfs import Exporter, safe_name
from ipfs_kit_py.unixfs._pb import UnixFSData

__all__ = ["gzip_stream", "symlink_target", "tar_stream"]

_BLOCK = 512
_MAX_DEPTH = 128


def tar_stream(exporter: Exporter, cid: CID, name: str) -> Iterator[bytes]:
    """The tar archive of the file, symlink or directory ``cid``, rooted at ``name``."""
    yield from _entry(exporter, cid, name, 0)
    yield b"\0" * (2 * _BLOCK)  # end of archive, as Go's tar.Writer.Close writes it


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _entry(exporter: Exporter, cid: CID, name: str, depth: int) -> Iterator[bytes]:
    if depth > _MAX_DEPTH:
        raise DecodeError(f"directory tree deeper than {_MAX_DEPTH}")
    stat = exporter.stat(cid)
    info = tarfile.TarInfo(name)
    info.mtime = stat.mtime.seconds if stat.mtime is not None else 0
    if stat.kind == "directory":
        info.type = tarfile.DIRTYPE
        info.mode = stat.mode & 0o777 if stat.mode is not None else 0o755
        yield _header(info)
        for child in exporter.ls(cid):
            yield from _entry(exporter, child.cid, f"{name}/{safe_name(child.name)}", depth + 1)
    elif stat.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.mode = 0o777
        info.linkname = symlink_target(exporter, cid)
        yield _header(info)
    else:
        info.type = tarfile.REGTYPE
        info.mode = stat.mode & 0o777 if stat.mode is not None else 0o644
        info.size = stat.size
        yield _header(info)
        written = 0
        for chunk in exporter.cat(cid):
            written += len(chunk)
            yield chunk
        if written != stat.size:
            raise DecodeError(f"{cid}: file is {written} bytes, not {stat.size} as recorded")
        if stat.size % _BLOCK:
            yield b"\0" * (_BLOCK - stat.size % _BLOCK)


def symlink_target(exporter: Exporter, cid: CID) -> str:
    node = dag_pb.decode_node(exporter.block(cid))
    data = UnixFSData.decode(node.data or b"").data or b""
    return data.decode("utf-8", "surrogateescape")


def gzip_stream(pieces: Iterator[bytes], level: int = -1) -> Iterator[bytes]:
    """``pieces`` gzipped on the fly (``level`` -1 is zlib's default)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    for piece in pieces:
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()
