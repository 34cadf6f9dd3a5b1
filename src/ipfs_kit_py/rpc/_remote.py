"""``RemoteAPI``: :class:`~ipfs_kit_py.api.IPFSSimpleAPI`'s methods, over a daemon's RPC.

While a daemon owns a repo, the CLI cannot open it; it talks to the daemon instead,
as Kubo's CLI does. ``RemoteAPI`` returns the same dataclasses as the local API, so
every command prints the same thing either way. Adds stream files from disk as
Kubo's multipart body (one file open at a time, never a whole file in memory);
reads of DAG structure (``stat``) fetch blocks and decode them here, verifying
each against its CID, so a confused daemon cannot make us misreport a tree.
"""

from __future__ import annotations

import io
import os
import secrets
import stat as stat_module
import tarfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidInputError, IPFSKitError, UnsupportedError
from ipfs_kit_py.rpc._client import RPCClient

if TYPE_CHECKING:
    import pyarrow as pa

    from ipfs_kit_py.api import BlockStat, RepoStat, VerifyReport
    from ipfs_kit_py.blockstore import FilestoreCheck, FilestoreEntry
    from ipfs_kit_py.pinning import GCReport, Pin, PinVerifyResult
    from ipfs_kit_py.unixfs import AddedEntry, DirEntry, ImportOptions, Stat

__all__ = ["RemoteAPI"]

_PIECE = 1 << 20
_LINK_KIND = {1: "directory", 2: "file", 4: "symlink", 5: "directory"}


class RemoteAPI:
    """The API of the daemon that owns ``repo`` (or listens at ``client``'s URL)."""

    def __init__(self, client: RPCClient, *, profile: str = "unixfs-v1-2025") -> None:
        self.client = client
        self._profile = profile
        self._stats: dict[CID, Stat] = {}  # what ``ls`` already told us

    @classmethod
    def for_repo(cls, repo: Path) -> RemoteAPI | None:
        """The daemon serving ``repo``, with the token and profile of its config."""
        from ipfs_kit_py.config import load_config

        config = load_config(repo)
        client = RPCClient.for_repo(repo, token=config.server.token)
        return None if client is None else cls(client, profile=config.profile)

    @property
    def profile(self) -> str:
        """The import profile adds use unless told otherwise."""
        return self._profile

    def close(self) -> None:
        """Close the connection to the daemon."""
        self.client.close()

    def __enter__(self) -> RemoteAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adding -------------------------------------------------------------------------------

    def add_paths(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        options: ImportOptions | None = None,
        recursive: bool = True,
        pin: bool = True,
        progress: Callable[[int], None] | None = None,
        tags: Sequence[str] = (),
        nocopy: bool = False,
    ) -> list[AddedEntry]:
        """``ipfs add -r PATHS`` through the daemon; entries as the local API returns them."""
        from ipfs_kit_py.unixfs import AddedEntry, resolve_options

        opts = options or resolve_options(self._profile)
        if nocopy:  # the daemon would have to trust a path we name: not over RPC
            raise UnsupportedError("--nocopy is not available through the daemon; stop it first")
        if opts.preserve_mode or opts.preserve_mtime:
            raise UnsupportedError(
                "--preserve-mode/--preserve-mtime are not available through the daemon yet"
            )
        roots = [Path(p) for p in paths]
        for root in roots:
            if not recursive and root.is_dir() and not root.is_symlink():
                raise InvalidInputError(f"{root} is a directory; add it recursively (-r)")
        params: dict[str, Any] = {
            "profile": opts.profile,
            "cid-version": opts.cid_version,
            "raw-leaves": opts.raw_leaves,
            "chunker": opts.chunker.spec,
            "max-links": opts.max_links,
            "trickle": opts.layout == "trickle",
            "hash": _hash_name(opts.hash_code),
            "inline": opts.inline_limit is not None,
            "inline-limit": opts.inline_limit,
            "wrap-with-directory": opts.wrap_with_directory,
            "pin": pin,
            "tag": list(tags),
            "progress": progress is not None,
            "stream-channels": True,
        }
        boundary = secrets.token_hex(16)
        sent: dict[str, tuple[str, int]] = {}  # name -> (kind, content bytes), as sent
        body = _multipart(roots, boundary, hidden=opts.hidden, sent=sent)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        entries: list[AddedEntry] = []
        seen: dict[str, int] = {}
        for line in self.client.ndjson("add", params=params, content=body, headers=headers):
            if "Hash" in line:
                name, dag_size = line["Name"], int(line.get("Size", 0))
                kind, size = sent.get(name, ("directory", dag_size))  # "": the wrapper
                if kind == "directory":
                    size = dag_size
                entries.append(AddedEntry(name, CID.parse(line["Hash"]), size, kind, dag_size))
            elif "Bytes" in line and progress is not None:
                name, total = line.get("Name", ""), int(line["Bytes"])
                progress(total - seen.get(name, 0))
                seen[name] = total
        return entries

    # -- reading ------------------------------------------------------------------------------

    def stream(
        self, path: str | CID, *, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        """The file at ``path``, streamed by the daemon's ``cat``."""
        return self.client.bytes(
            "cat", str(path), params={"offset": offset or None, "length": length}
        )

    def cat(self, path: str | CID, *, offset: int = 0, length: int | None = None) -> bytes:
        """The bytes of the file at ``path``."""
        return b"".join(self.stream(path, offset=offset, length=length))

    def ls(self, path: str | CID) -> list[DirEntry]:
        """The entries of the directory at ``path`` (Kubo's ``ls``)."""
        from ipfs_kit_py.unixfs import DirEntry, Stat

        answer = self.client.json("ls", str(path), params={"resolve-type": True, "size": True})
        out: list[DirEntry] = []
        for obj in answer.get("Objects", []):
            for link in obj.get("Links") or []:
                cid = CID.parse(link["Hash"])
                out.append(DirEntry(link["Name"], cid, int(link.get("Size", 0))))
                kind = _LINK_KIND.get(int(link.get("Type", -1)))
                if kind is not None:
                    size = 0 if kind == "directory" else int(link.get("Size", 0))
                    if kind == "symlink":  # Kubo's Size is 0 there; ours is the target's
                        size = len(os.fsencode(link.get("Target", "")))
                    self._stats[cid] = Stat(cid, kind, size)
        return out

    def stat(self, path: str | CID) -> Stat:
        """Kind and size of what ``path`` names (blocks fetched and verified here)."""
        from ipfs_kit_py.unixfs import Exporter

        if isinstance(path, CID) and path in self._stats:
            return self._stats[path]
        return Exporter(self.block_get).stat(path)

    def get(
        self,
        path: str | CID,
        target: str | os.PathLike[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """Write the file or tree at ``path`` to ``target`` (the daemon's tar, unpacked)."""
        out = Path(target)
        if out.exists() or out.is_symlink():
            raise InvalidInputError(f"{out} already exists")
        with self.client.stream("get", str(path)) as response:
            reader = _Chunks(response.iter_bytes())
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    _, _, rest = member.name.partition("/")
                    member.name = str(Path(out.name, rest)) if rest else out.name
                    if member.islnk():
                        continue  # UnixFS has no hard links: a daemon that sends one lies
                    # "data": no absolute names, no way out of out.parent, symlinks only
                    # to inside it, no devices; a tar from a confused daemon cannot escape
                    tar.extract(member, out.parent, filter="data")
                    if progress is not None and member.isfile():
                        progress(member.size)
        return out

    # -- pins ---------------------------------------------------------------------------------

    def pin(self, cid: str | CID, *, recursive: bool = True, name: str | None = None) -> Pin:
        """Pin ``cid`` (recursively by default)."""
        from ipfs_kit_py.pinning import Pin, PinType

        params = {"recursive": recursive, "name": name}
        answer = self.client.json("pin/add", str(cid), params=params)
        pinned = CID.parse(answer["Pins"][0])
        kind = PinType.RECURSIVE if recursive else PinType.DIRECT
        return Pin(pinned, kind, name)

    def pin_update(self, old: str | CID, new: str | CID, *, unpin: bool = True) -> Pin:
        """Move a recursive pin from ``old`` to ``new``."""
        from ipfs_kit_py.pinning import Pin, PinType

        self.client.json("pin/update", str(old), str(new), params={"unpin": unpin})
        return Pin(CID.parse(str(new)), PinType.RECURSIVE)

    def unpin(self, cid: str | CID) -> None:
        """Remove the pin on ``cid``."""
        self.client.json("pin/rm", str(cid))

    def pins(self, type: str = "all") -> list[Pin]:
        """The pins of a type: ``all``, ``recursive``, ``direct`` or ``indirect``."""
        from ipfs_kit_py.pinning import Pin, PinType

        lines = self.client.ndjson("pin/ls", params={"type": type, "stream": True, "names": True})
        return [
            Pin(CID.parse(p["Cid"]), PinType(p["Type"].split(" ")[0]), p.get("Name") or None)
            for p in lines
        ]

    def pin_verify(self) -> list[PinVerifyResult]:
        """Whether each pinned DAG is whole and intact (Kubo's ``pin verify --verbose``)."""
        from ipfs_kit_py.pinning import BadNode, PinVerifyResult

        return [
            PinVerifyResult(
                CID.parse(r["Cid"]),
                bool(r.get("Ok")),
                tuple(
                    BadNode(CID.parse(b["Cid"]), b.get("Err", "")) for b in r.get("BadNodes") or ()
                ),
            )
            for r in self.client.ndjson("pin/verify", params={"verbose": True})
        ]

    # -- repo ---------------------------------------------------------------------------------

    def gc(
        self,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> GCReport:
        """Collect garbage in the daemon's repo."""
        from ipfs_kit_py.pinning import GCFailure, GCReport

        removed: list[CID] = []
        failed: list[GCFailure] = []
        params = {"dry-run": dry_run or None, "stream-errors": True}
        for line in self.client.ndjson("repo/gc", params=params):
            if line.get("Error"):
                key = (line.get("Key") or {}).get("/")
                if key:
                    failed.append(GCFailure(CID.parse(key), line["Error"]))
                else:
                    raise IPFSKitError(line["Error"])
            elif line.get("Key"):
                removed.append(CID.parse(line["Key"]["/"]))
                if progress is not None:
                    progress(1)
        return GCReport(tuple(removed), tuple(failed), 0, dry_run)

    def repo_stat(self) -> RepoStat:
        """Blocks and bytes in the daemon's repo."""
        from ipfs_kit_py.api import RepoStat

        s = self.client.json("repo/stat")
        version = str(s.get("Version", "")).rpartition("@")[2]
        return RepoStat(int(s["NumObjects"]), int(s["RepoSize"]), s.get("RepoPath", ""), version)

    def repo_verify(
        self,
        *,
        progress: Callable[[int], None] | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Re-hash every block in the daemon's repo."""
        from ipfs_kit_py.api import VerifyReport

        corrupt: list[CID] = []
        unreadable: list[CID] = []
        checked = 0
        for line in self.client.ndjson("repo/verify"):
            msg = str(line.get("Msg", ""))
            if line.get("Progress") is not None:
                step = int(line["Progress"]) - checked
                checked = int(line["Progress"])
                if progress is not None and step > 0:
                    progress(step)
            if msg.startswith("block ") and "corrupt" in msg:
                corrupt.append(CID.parse(msg.split()[1]))
            elif msg.startswith("block ") and "could not be read" in msg:
                unreadable.append(CID.parse(msg.split()[1]))
        return VerifyReport(checked, tuple(corrupt), tuple(unreadable))

    # -- blocks and DAGs ----------------------------------------------------------------------

    def block_put(self, data: bytes, *, codec: str = "raw", hash: str = "sha2-256") -> BlockStat:
        """Store one block."""
        from ipfs_kit_py.api import BlockStat

        boundary = secrets.token_hex(16)
        body = _one_part(data, boundary)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        answer = self.client.json(
            "block/put", params={"cid-codec": codec, "mhtype": hash}, content=body, headers=headers
        )
        return BlockStat(CID.parse(answer["Key"]), int(answer["Size"]))

    def block_get(self, cid: str | CID) -> bytes:
        """One block's bytes, verified against its CID here."""
        from ipfs_kit_py.codecs import Block

        target = CID.parse(cid) if isinstance(cid, str) else cid
        data = b"".join(self.client.bytes("block/get", str(target)))
        Block(target, data).verify()
        return data

    def block_stat(self, cid: str | CID) -> BlockStat:
        """A block's CID and size."""
        from ipfs_kit_py.api import BlockStat

        answer = self.client.json("block/stat", str(cid))
        return BlockStat(CID.parse(answer["Key"]), int(answer["Size"]))

    def block_rm(self, cid: str | CID) -> None:
        """Delete one block."""
        for line in self.client.ndjson("block/rm", str(cid)):
            if line.get("Error"):
                from ipfs_kit_py.errors import BlockNotFoundError

                raise BlockNotFoundError(str(line["Error"]))

    def dag_put(self, value: Any, *, codec: str = "dag-cbor", pin: bool = True) -> CID:
        """Store a value as one IPLD block (sent as dag-json)."""
        from ipfs_kit_py.codecs import Block

        data = Block.encode(value, "dag-json").data
        boundary = secrets.token_hex(16)
        params = {"store-codec": codec, "input-codec": "dag-json", "pin": pin}
        answer = self.client.json(
            "dag/put",
            params=params,
            content=_one_part(data, boundary),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return CID.parse(answer["Cid"]["/"])

    def dag_get(self, cid: str | CID) -> Any:
        """The decoded value of one block (fetched raw and decoded here)."""
        from ipfs_kit_py.codecs import Block

        target = CID.parse(cid) if isinstance(cid, str) else cid
        return Block(target, self.block_get(target)).decode()

    def dag_export(self, cid: str | CID, out: BinaryIO) -> int:
        """Write the DAG under ``cid`` as a CAR to ``out``; return the bytes written."""
        written = 0
        for piece in self.client.bytes("dag/export", str(cid)):
            out.write(piece)
            written += len(piece)
        return written

    def dag_import(self, car: BinaryIO, *, pin_roots: bool = True) -> list[CID]:
        """Import a CAR's blocks (pinning its roots); return the roots."""
        boundary = secrets.token_hex(16)
        body = _stream_part(car, boundary)
        lines = self.client.ndjson(
            "dag/import",
            params={"pin-roots": pin_roots},
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        roots: list[CID] = []
        for line in lines:
            root = line.get("Root")
            if root:
                if root.get("PinErrorMsg"):
                    raise IPFSKitError(root["PinErrorMsg"])
                roots.append(CID.parse(root["Cid"]["/"]))
        return roots

    def refs(
        self, cid: str | CID, *, recursive: bool = False, unique: bool = False
    ) -> Iterator[CID]:
        """The CIDs ``cid`` links to (all below it, with ``recursive``)."""
        params = {"recursive": recursive, "unique": unique}
        for line in self.client.ndjson("refs", str(cid), params=params):
            if line.get("Err"):
                raise IPFSKitError(line["Err"])
            yield CID.parse(line["Ref"])

    # -- the metadata index -------------------------------------------------------------------

    def index_query(self, sql: str) -> pa.Table:
        """Run SQL over the daemon's index; the result as an Arrow table."""
        import pyarrow as pa

        headers = {"Accept": "application/vnd.apache.arrow.stream"}
        with self.client.stream("index/query", sql, headers=headers) as response:
            data = response.read()
        return pa.ipc.open_stream(data).read_all()

    def index(self) -> pa.Table:
        """The daemon's whole index table."""
        return self.index_query("SELECT * FROM objects")

    def tag(self, cid: str | CID, *tags: str, replace: bool = False) -> list[str]:
        """Label an indexed object; return its tags now."""
        answer = self.client.json("index/tag", str(cid), *tags, params={"replace": replace})
        return list(answer.get("Tags", []))

    def index_rebuild(self) -> int:
        """Rebuild the daemon's index from its pins; return the rows."""
        return int(self.client.json("index/rebuild").get("Rows", 0))

    # -- no-copy references -------------------------------------------------------------------

    def filestore_ls(self) -> Iterator[FilestoreEntry]:
        """The daemon's no-copy references (Kubo's ``filestore ls``)."""
        for line in self.client.ndjson("filestore/ls"):
            yield _filestore_entry(line)

    def filestore_verify(self) -> Iterator[FilestoreCheck]:
        """Read back every no-copy reference (Kubo's ``filestore verify``)."""
        from ipfs_kit_py.blockstore import FilestoreCheck
        from ipfs_kit_py.blockstore._filestore import FileStatus

        statuses = {0: FileStatus.OK, 1: FileStatus.CHANGED, 2: FileStatus.NO_FILE}
        for line in self.client.ndjson("filestore/verify"):
            status = statuses.get(int(line.get("Status", 3)), FileStatus.ERROR)
            yield FilestoreCheck(status, _filestore_entry(line), line.get("ErrorMsg", ""))

    def filestore_dups(self) -> Iterator[CID]:
        """No-copy references whose block is also copied into the repo."""
        for line in self.client.ndjson("filestore/dups"):
            yield CID.parse(line["Ref"])


# -- request bodies ----------------------------------------------------------------------------


def _hash_name(code: int) -> str:
    from ipfs_kit_py.cid import multicodec

    return multicodec.name_of(code)


def _filestore_entry(line: dict[str, Any]) -> FilestoreEntry:
    from ipfs_kit_py.blockstore import FilestoreEntry

    return FilestoreEntry(
        CID.parse(line["Key"]["/"]),
        line.get("FilePath", ""),
        int(line.get("Offset", 0)),
        int(line.get("Size", 0)),
    )


def _part_head(boundary: str, filename: str, content_type: str) -> bytes:
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quote(filename, safe="")}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


def _one_part(data: bytes, boundary: str) -> bytes:
    head = _part_head(boundary, "data", "application/octet-stream")
    return head + data + f"\r\n--{boundary}--\r\n".encode()


def _stream_part(fp: BinaryIO, boundary: str) -> Iterator[bytes]:
    yield _part_head(boundary, "data.car", "application/octet-stream")
    while piece := fp.read(_PIECE):
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def _multipart(
    roots: Sequence[Path], boundary: str, *, hidden: bool, sent: dict[str, tuple[str, int]]
) -> Iterator[bytes]:
    """Kubo's multipart body for ``add``: directories before their contents, files streamed.

    ``sent`` gets each entry's kind and content size as its part goes out.
    """
    for root in roots:
        yield from _parts(root, root.name, boundary, hidden=hidden, sent=sent)
    yield f"--{boundary}--\r\n".encode()


def _parts(
    path: Path, name: str, boundary: str, *, hidden: bool, sent: dict[str, tuple[str, int]]
) -> Iterator[bytes]:
    st = path.lstat()
    if stat_module.S_ISLNK(st.st_mode):
        target = os.fsencode(os.readlink(path))
        sent[name] = ("symlink", len(target))
        yield _part_head(boundary, name, "application/symlink")
        yield target + b"\r\n"
    elif stat_module.S_ISDIR(st.st_mode):
        sent[name] = ("directory", 0)
        yield _part_head(boundary, name, "application/x-directory") + b"\r\n"
        with os.scandir(path) as it:
            children = sorted((e.name for e in it), key=os.fsencode)
        for child in children:
            if hidden or not child.startswith("."):
                yield from _parts(
                    path / child, f"{name}/{child}", boundary, hidden=hidden, sent=sent
                )
    elif stat_module.S_ISREG(st.st_mode):
        sent[name] = ("file", st.st_size)
        yield _part_head(boundary, name, "application/octet-stream")
        with path.open("rb") as fp:
            while piece := fp.read(_PIECE):
                yield piece
        yield b"\r\n"
    else:
        raise InvalidInputError(f"{path}: not a regular file, directory or symlink")


class _Chunks(io.RawIOBase):
    """A readable stream over an iterator of byte pieces (for ``tarfile``'s stream mode)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = piece
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n
