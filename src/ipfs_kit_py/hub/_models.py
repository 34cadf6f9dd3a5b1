"""``ModelRegistry``: Hugging Face model directories by CID, versioned, loaded back verified.

A registered version is one dag-cbor *record* (schema ``ipfs-kit/model/1``)::

    {"schema": "ipfs-kit/model/1", "name": "org/minilm", "version": "1",
     "root": <UnixFS directory: what `ipfs add -r` of the model gives>,
     "files": [{"path", "size", "sha256", "cid", "format": "safetensors" | "pickle" | "other",
                "tensors": <safetensors index block>}, ...],        # tensors: safetensors only
     "config": {"model_type": "bert", "architectures": ["BertModel"]} | null,
     "base_model": <record CID> | null, "tags": [...], "profile": "unixfs-v1-2025",
     "created": "2025-01-31T12:00:00Z"}

Everything in it but ``created`` follows from the files and the arguments, so
registering the same directory twice gives the same record up to that timestamp.
Names, versions and aliases live in the model :class:`Catalogue`, whose pin keeps
every listed record, its files, tensor indexes and base models (lineage is kept
alive by its links) out of garbage collection.

Reading back never trusts a record: records from another node are re-checked
(paths, sizes, digests, index offsets), every block is verified against its CID and
every materialised file against its size and sha256. Pickle-based weights
(``.bin``, ``.pt``, ``.pth``, ``.pkl``, ``.pickle``, ``.ckpt``, ``.joblib``) are
refused by file name, whatever a record claims, unless ``allow_pickle=True``.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipfs_kit_py.blockstore import BlockCache
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_CBOR, DAG_PB, RAW
from ipfs_kit_py.errors import (
    DecodeError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
    RefNotFoundError,
    UnsupportedError,
)
from ipfs_kit_py.hub._catalogue import Entry, check_name, check_tag
from ipfs_kit_py.hub._files import FileRecord, import_directory, materialise, scan_directory
from ipfs_kit_py.hub._registry import Registry
from ipfs_kit_py.hub._safetensors import (
    SafetensorsIndex,
    TensorInfo,
    check_framework,
    header_length,
    read_index,
    to_numpy,
    to_torch,
)
from ipfs_kit_py.hub._snapshot import file_format, refuse_pickle, select_files, write_hf_cache
from ipfs_kit_py.pinning._walk import walk
from ipfs_kit_py.unixfs import Exporter

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["DedupReport", "ModelFile", "ModelRecord", "ModelRegistry", "TensorRead"]

SCHEMA = "ipfs-kit/model/1"
#: The longest ``base_model`` chain :meth:`ModelRegistry.lineage` follows.
MAX_LINEAGE = 64
_FORMATS = frozenset({"safetensors", "pickle", "other"})
_CONFIG_MAX = 16 << 20  # a bigger config.json is not summarised


@dataclass(frozen=True, slots=True)
class ModelFile(FileRecord):
    """A file of a model: a :class:`FileRecord` plus its format and tensor index link."""

    format: str = "other"
    tensors: CID | None = None

    def to_ipld(self) -> dict[str, Any]:
        """The record form: the file entry plus ``format`` (and ``tensors``)."""
        value = FileRecord.to_ipld(self)
        value["format"] = self.format
        if self.tensors is not None:
            value["tensors"] = self.tensors
        return value

    @classmethod
    def from_ipld(cls, value: Any) -> ModelFile:
        """Parse and check a record's file entry (the format must match the name)."""
        base = FileRecord.from_ipld(value)
        fmt, tensors = value.get("format"), value.get("tensors")
        if fmt not in _FORMATS or fmt != file_format(base.path):
            raise DecodeError(f"{base.path}: format {fmt!r} does not match the file name")
        if fmt == "safetensors" and not (isinstance(tensors, CID) and tensors.codec == DAG_CBOR):
            raise DecodeError(f"{base.path}: a safetensors file needs a tensor index link")
        if fmt != "safetensors" and tensors is not None:
            raise DecodeError(f"{base.path}: only safetensors files have a tensor index")
        if base.size < 0:
            raise DecodeError(f"{base.path}: negative size")
        return cls(base.path, base.size, base.sha256, base.cid, fmt, tensors)


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """One registered model version, as its record says (``cid`` names the record)."""

    name: str
    version: str
    cid: CID
    root: CID
    files: tuple[ModelFile, ...]
    base_model: CID | None = None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    model_type: str | None = None
    architectures: tuple[str, ...] = ()
    profile: str = ""
    created: str = ""

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @property
    def size(self) -> int:
        """Total bytes of the files."""
        return sum(f.size for f in self.files)

    def file(self, path: str) -> ModelFile:
        """The file at ``path``; :class:`~ipfs_kit_py.errors.PathNotFoundError` if none."""
        for item in self.files:
            if item.path == path:
                return item
        raise PathNotFoundError(f"{self.ref} has no file {path!r}")


@dataclass(frozen=True, slots=True)
class TensorRead:
    """One tensor's raw bytes, and how much of the file's DAG was fetched to get them.

    ``blocks_fetched`` and ``bytes_fetched`` count the blocks of the file's DAG read
    from the store (its root node and the leaves that overlap the tensor), not the
    record and index blocks.
    """

    tensor: TensorInfo
    data: bytearray
    blocks_fetched: int
    bytes_fetched: int


@dataclass(frozen=True, slots=True)
class DedupReport:
    """How much of version ``b``'s UnixFS DAG is already in version ``a``'s.

    Blocks are counted once each (by multihash); ``new`` means in ``b`` but not ``a``.
    Files are compared by path and sha256.
    """

    a: CID
    b: CID
    blocks_a: int
    bytes_a: int
    blocks_b: int
    bytes_b: int
    blocks_shared: int
    bytes_shared: int
    blocks_new: int
    bytes_new: int
    files_changed: tuple[str, ...]
    files_added: tuple[str, ...]
    files_removed: tuple[str, ...]

    @property
    def shared_fraction(self) -> float:
        """The part of ``b``'s bytes that ``a`` already holds (0.0 to 1.0)."""
        return self.bytes_shared / self.bytes_b if self.bytes_b else 1.0


class ModelRegistry(Registry[ModelRecord]):
    """Register model directories, resolve ``name[@version|@alias]``, load them back.

    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "m").mkdir(); _ = (tmp / "m" / "config.json").write_text('{"model_type": "bert"}')
    >>> with ModelRegistry(repo=tmp / "repo") as models:
    ...     record = models.add(tmp / "m", name="org/tiny", aliases=["prod"])
    ...     snap = models.snapshot("org/tiny@prod", tmp / "out")
    ...     record.version, record.model_type, (snap / "config.json").read_text()
    ('1', 'bert', '{"model_type": "bert"}')
    """

    kind = "model"

    def __init__(
        self, api: IPFSSimpleAPI | None = None, *, repo: str | os.PathLike[str] | None = None
    ) -> None:
        """Use ``api``'s node, or open (and own) ``IPFSSimpleAPI(repo)``."""
        super().__init__(api, repo=repo)
        self._indexes: dict[CID, SafetensorsIndex] = {}  # immutable blocks: safe to keep
        #: the last verified leaves read_tensor fetched: a model loaded tensor by tensor
        #: reads each 1 MiB leaf once, not once per tensor that overlaps it
        self._leaves = BlockCache(LEAF_CACHE_BYTES)

    # -- registering ------------------------------------------------------------------------

    def add(
        self,
        path: str | os.PathLike[str],
        *,
        name: str,
        version: str | None = None,
        aliases: Sequence[str] = (),
        base_model: str | CID | ModelRecord | None = None,
        tags: Sequence[str] = (),
    ) -> ModelRecord:
        """Store the model directory ``path`` as ``name@version`` and list it.

        ``path`` is a model directory or a Hugging Face cache snapshot
        (``models--org--name/snapshots/<rev>``). ``version`` defaults to one more than
        the highest integer version of ``name`` (``"1"`` first). ``base_model`` is a
        reference to the version this one derives from (fine-tuned from, quantised
        from); its record is linked, so it stays stored while this one is listed.

        Everything is checked before anything is stored: names, that the version is
        new, unsafe paths or links leaving the directory
        (:class:`~ipfs_kit_py.errors.InvalidInputError`), every safetensors header
        (:class:`~ipfs_kit_py.errors.DecodeError`).
        """
        check_name(name)
        if version is not None:
            check_tag(version)
            self._check_new(name, version)
        for text in (*aliases, *tags):
            check_tag(text, "alias or tag")
        base = self._as_record(base_model).cid if base_model is not None else None
        files = scan_directory(path)
        if not files:
            raise InvalidInputError(f"{path} holds no files")
        headers = {
            rel: _read_header(real, rel) for rel, real in files if file_format(rel) == "safetensors"
        }
        config = _config_summary(dict(files).get("config.json"))
        api = self.api
        with api.node.gc_lock.shared():  # nothing we store can be collected before it is listed
            root, stored = import_directory(api, files, tags=tags)
            entries = []
            for item in stored:
                fmt, tensors = file_format(item.path), None
                if fmt == "safetensors":
                    index, head = headers[item.path]
                    if item.size != index.file_size or api.cat(item.cid, length=len(head)) != head:
                        raise IntegrityError(f"{item.path} changed while it was being added")
                    tensors = api.dag_put(index.to_ipld(), pin=False)
                entries.append(ModelFile(item.path, item.size, item.sha256, item.cid, fmt, tensors))
            doc: dict[str, Any] = {
                "schema": SCHEMA,
                "name": name,
                "root": root.cid,
                "files": [f.to_ipld() for f in entries],
                "config": config,
                "base_model": base,
                "tags": list(tags),
                "profile": api.profile,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            entry = self._list(doc, name, version, aliases)
        return self._record(entry, doc)

    def remove(self, ref: str) -> ModelRecord:
        """Unlist the version ``ref`` names; GC may then reclaim what nothing else keeps.

        A version that is another listed version's ``base_model`` stays stored (linked).
        """
        return super().remove(ref)

    # -- reading records --------------------------------------------------------------------

    def lineage(self, ref: str | CID) -> builtins.list[ModelRecord]:
        """``ref``'s record, then its base model's, and so on to the first ancestor."""
        chain = [self.get(ref)]
        while chain[-1].base_model is not None:
            if len(chain) > MAX_LINEAGE:
                raise DecodeError(f"lineage of {ref} is longer than {MAX_LINEAGE}")
            base = chain[-1].base_model
            if any(r.cid == base for r in chain):
                raise DecodeError(f"lineage of {ref} loops back to {base}")
            chain.append(self.get(base))
        return chain

    def tensors(self, ref: str | CID | ModelRecord, file: str) -> SafetensorsIndex:
        """The tensor index of the safetensors file ``file`` of ``ref``."""
        item = self._as_record(ref).file(file)
        if item.tensors is None:
            raise UnsupportedError(f"{file} is not a safetensors file")
        return self._index(item)

    def _index(self, item: ModelFile) -> SafetensorsIndex:
        assert item.tensors is not None
        index = self._indexes.get(item.tensors)
        if index is None or index.file_size != item.size:
            index = SafetensorsIndex.from_ipld(self.api.dag_get(item.tensors), item.size)
            if len(self._indexes) >= 64:
                self._indexes.pop(next(iter(self._indexes)))
            self._indexes[item.tensors] = index
        return index

    def _as_record(self, ref: str | CID | ModelRecord) -> ModelRecord:
        return ref if isinstance(ref, ModelRecord) else self.get(ref)

    def _record(self, entry: Entry, doc: Any) -> ModelRecord:
        """Check a record block as hostile input and build its :class:`ModelRecord`."""
        where = str(entry.record)
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise DecodeError(f"{where} is not a model record ({SCHEMA})")
        try:
            name, version = check_name(doc["name"]), check_tag(doc["version"])
            root, files, base = doc["root"], doc["files"], doc.get("base_model")
            tags, profile, created = doc.get("tags", []), doc.get("profile", ""), doc["created"]
        except (KeyError, TypeError, InvalidInputError) as err:
            raise DecodeError(f"{where}: malformed model record ({err})") from err
        if entry.name and (entry.name, entry.version) != (name, version):
            raise DecodeError(f"{where} says it is {name}@{version}, listed as {entry.ref}")
        if not isinstance(root, CID) or root.codec != DAG_PB:
            raise DecodeError(f"{where}: root must link a UnixFS directory")
        if base is not None and not (isinstance(base, CID) and base.codec == DAG_CBOR):
            raise DecodeError(f"{where}: base_model must link a model record")
        if not isinstance(files, list) or not files:
            raise DecodeError(f"{where}: files must be a non-empty list")
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            raise DecodeError(f"{where}: tags must be strings")
        if not (isinstance(profile, str) and isinstance(created, str)):
            raise DecodeError(f"{where}: profile and created must be strings")
        parsed = tuple(ModelFile.from_ipld(f) for f in files)
        _check_paths(where, [f.path for f in parsed])
        model_type, architectures = _config_fields(where, doc.get("config"))
        return ModelRecord(
            name,
            version,
            entry.record,
            root,
            parsed,
            base,
            entry.aliases,
            tuple(tags),
            model_type,
            architectures,
            profile,
            created,
        )

    # -- loading ----------------------------------------------------------------------------

    def snapshot(
        self,
        ref: str | CID | ModelRecord,
        directory: str | os.PathLike[str],
        *,
        allow_pickle: bool = False,
        allow_patterns: str | Sequence[str] | None = None,
        ignore_patterns: str | Sequence[str] | None = None,
        layout: str = "plain",
    ) -> Path:
        """Write ``ref``'s files, verified, where ``from_pretrained`` can load them.

        ``layout="plain"`` writes the model directory at ``directory``
        (``AutoModel.from_pretrained(directory)``) and returns it. ``layout="hf-cache"``
        writes a Hugging Face cache under ``directory``: ``models--org--name/blobs/<sha256>``,
        ``snapshots/<revision>/<path>`` (relative links to the blobs) and ``refs/main``, so
        ``from_pretrained("org/name", cache_dir=directory, local_files_only=True)`` finds
        it; ``<revision>`` is the first 40 hex digits of the record CID's sha2-256 digest
        (a commit hash to Hugging Face). It returns the snapshot directory.

        Patterns (``fnmatch``, as ``huggingface_hub``'s) pick files. Pickle weights among
        them raise :class:`~ipfs_kit_py.errors.PickleRefusedError` before anything is
        written, unless ``allow_pickle``. A file whose bytes disagree with the record
        raises :class:`~ipfs_kit_py.errors.IntegrityError` and is not left behind.
        """
        record = self._as_record(ref)
        files = select_files(record.files, allow_patterns, ignore_patterns)
        refuse_pickle(files, allow_pickle)
        if layout == "plain":
            return materialise(self.api, files, directory)
        if layout == "hf-cache":
            folder = "models--" + record.name.replace("/", "--")
            revision = record.cid.digest.hex()[:40]
            return write_hf_cache(self.api, Path(directory), folder, revision, files)
        raise InvalidInputError(f"unknown layout {layout!r}: use 'plain' or 'hf-cache'")

    def read_tensor(
        self, ref: str | CID | ModelRecord, file: str, tensor: str, *, allow_pickle: bool = False
    ) -> TensorRead:
        """The raw bytes of one tensor, fetching only the blocks its byte range overlaps.

        The byte range comes from the stored tensor index (the header is not read
        again); every block fetched is verified against its CID.
        """
        item = self._as_record(ref).file(file)
        refuse_pickle([item], allow_pickle)
        if item.format == "pickle":
            raise UnsupportedError(
                f"{file} is a pickle file: tensors are read from safetensors files only; "
                "snapshot(..., allow_pickle=True) it and torch.load it yourself"
            )
        if item.tensors is None:
            raise UnsupportedError(f"{file} is not a safetensors file")
        index = self._index(item)
        try:
            info = index[tensor]
        except KeyError:
            sample = ", ".join(index.keys()[:5])
            raise RefNotFoundError(
                f"{file} has no tensor {tensor!r} (it has {sample}, ...)"
            ) from None
        counter = _CountingGet(self.api.node.blocks.get, self._leaves)
        # the file's inner nodes come from the API's cache after the first read: a model
        # read tensor by tensor decodes its root once, not once per tensor
        exporter = Exporter(
            counter, verify=not self.api.node.blocks.verify, nodes=self.api.node_cache
        )
        data = bytearray(info.nbytes)
        pos = 0
        for piece in exporter.cat(item.cid, offset=info.begin, length=info.nbytes):
            data[pos : pos + len(piece)] = piece
            pos += len(piece)
        if pos != info.nbytes:
            raise IntegrityError(f"{file}: {item.cid} ends before tensor {tensor!r} does")
        return TensorRead(info, data, counter.blocks, counter.bytes)

    def load_tensor(
        self,
        ref: str | CID | ModelRecord,
        file: str,
        tensor: str,
        *,
        framework: str = "numpy",
        allow_pickle: bool = False,
    ) -> Any:
        """One tensor as a numpy array (``framework="numpy"``) or torch tensor (``"pt"``).

        Reads only the tensor's bytes (see :meth:`read_tensor`). ``BF16`` and ``F8_*``
        need ``framework="pt"``: numpy has no such dtypes.
        """
        which = check_framework(framework)
        read = self.read_tensor(ref, file, tensor, allow_pickle=allow_pickle)
        return (
            to_numpy(read.tensor, read.data)
            if which == "numpy"
            else to_torch(read.tensor, read.data)
        )

    # -- comparing and checking -------------------------------------------------------------

    def dedup(self, ref_a: str | CID, ref_b: str | CID) -> DedupReport:
        """What version ``b`` shares with version ``a``: blocks, bytes and changed files."""
        a, b = self.get(ref_a), self.get(ref_b)
        blocks_a, blocks_b = self._dag_sizes(a.root), self._dag_sizes(b.root)
        shared = blocks_a.keys() & blocks_b.keys()
        new = blocks_b.keys() - blocks_a.keys()
        files_a = {f.path: f.sha256 for f in a.files}
        files_b = {f.path: f.sha256 for f in b.files}
        return DedupReport(
            a.cid,
            b.cid,
            len(blocks_a),
            sum(blocks_a.values()),
            len(blocks_b),
            sum(blocks_b.values()),
            len(shared),
            sum(blocks_b[k] for k in shared),
            len(new),
            sum(blocks_b[k] for k in new),
            tuple(p for p in files_b if p in files_a and files_a[p] != files_b[p]),
            tuple(p for p in files_b if p not in files_a),
            tuple(p for p in files_a if p not in files_b),
        )

    def _dag_sizes(self, root: CID) -> dict[bytes, int]:
        blocks = self.api.node.blocks
        return {cid.multihash: blocks.size(cid) for cid in walk([root], blocks.get, has=blocks.has)}

    def verify(self, ref: str | CID) -> ModelRecord:
        """Re-check a version completely; the record if it holds, else raise.

        The root tree must list exactly the record's files with the same CIDs; every
        file must hash to its size and sha256; every tensor index must equal the
        header parsed afresh from the stored file.
        """
        record = self.get(ref)
        exporter = self.api.exporter
        tree = dict(_tree_files(exporter, record.root, ""))
        listed = {f.path: f.cid for f in record.files}
        if tree != listed:
            odd = sorted(p for p in tree.keys() | listed.keys() if tree.get(p) != listed.get(p))
            raise IntegrityError(
                f"{record.ref}: the root tree and the record disagree on {odd[:5]}"
            )
        for item in record.files:
            digest, size = hashlib.sha256(), 0
            for piece in exporter.cat(item.cid):
                digest.update(piece)
                size += len(piece)
            if (size, digest.hexdigest()) != (item.size, item.sha256):
                raise IntegrityError(
                    f"{record.ref}: {item.path} does not match its size and sha256"
                )
            if item.tensors is not None:
                n = header_length(b"".join(exporter.cat(item.cid, length=8)), item.size)
                fresh = SafetensorsIndex.parse(
                    b"".join(exporter.cat(item.cid, length=8 + n)), item.size
                )
                if fresh != self._index(item):
                    raise IntegrityError(f"{record.ref}: the tensor index of {item.path} is wrong")
        return record

    # -- listing (last: ``list`` would shadow the builtin in annotations above) -------------


#: bytes of recently read leaves that :meth:`ModelRegistry.read_tensor` keeps
LEAF_CACHE_BYTES = 8 << 20


class _CountingGet:
    """A block getter that counts what it fetches from the store (not cache hits)."""

    def __init__(self, get: Callable[[CID], bytes], cache: BlockCache) -> None:
        self._get = get
        self._cache = cache
        self.blocks = 0
        self.bytes = 0

    def __call__(self, cid: CID) -> bytes:
        data = self._cache.get(cid)
        if data is None:
            data = self._get(cid)  # verified by the store (or by the exporter after us)
            self.blocks += 1
            self.bytes += len(data)
            self._cache.put(cid, data)
        return data


def _read_header(real: Path, rel: str) -> tuple[SafetensorsIndex, bytes]:
    with open(real, "rb") as fp:
        try:
            return read_index(fp, os.fstat(fp.fileno()).st_size)
        except DecodeError as err:
            raise DecodeError(f"{rel}: {err.message}") from err


def _config_summary(path: Path | None) -> dict[str, Any] | None:
    """``model_type`` and ``architectures`` from ``config.json``, if it has them."""
    if path is None or path.stat().st_size > _CONFIG_MAX:
        return None
    try:
        config = json.loads(path.read_bytes())
    except ValueError as err:
        raise DecodeError(f"config.json is not valid JSON: {err}") from err
    if not isinstance(config, dict):
        raise DecodeError("config.json is not a JSON object")
    out: dict[str, Any] = {}
    if isinstance(config.get("model_type"), str):
        out["model_type"] = config["model_type"]
    archs = config.get("architectures")
    if isinstance(archs, list) and all(isinstance(a, str) for a in archs):
        out["architectures"] = archs
    return out


def _config_fields(where: str, config: Any) -> tuple[str | None, tuple[str, ...]]:
    if config is None:
        return None, ()
    if not isinstance(config, dict):
        raise DecodeError(f"{where}: config must be a map")
    model_type, archs = config.get("model_type"), config.get("architectures", [])
    if model_type is not None and not isinstance(model_type, str):
        raise DecodeError(f"{where}: config.model_type must be a string")
    if not (isinstance(archs, list) and all(isinstance(a, str) for a in archs)):
        raise DecodeError(f"{where}: config.architectures must be strings")
    return model_type, tuple(archs)


def _check_paths(where: str, paths: Iterable[str]) -> None:
    """No path twice, and none that is also another's directory (``a`` and ``a/b``)."""
    seen: set[str] = set()
    dirs: set[str] = set()
    for path in paths:
        if path in seen or path in dirs:
            raise DecodeError(f"{where}: {path!r} is listed twice or is also a directory")
        seen.add(path)
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in seen:
                raise DecodeError(f"{where}: {prefix!r} is both a file and a directory")
            dirs.add(prefix)


def _tree_files(exporter: Exporter, cid: CID, prefix: str) -> Iterable[tuple[str, CID]]:
    """``(path, CID)`` of every file under the UnixFS directory ``cid``."""
    for entry in exporter.ls(cid):
        path = f"{prefix}{entry.name}"
        if entry.cid.codec != RAW and exporter.stat(entry.cid).kind == "directory":
            yield from _tree_files(exporter, entry.cid, path + "/")
        else:
            yield path, entry.cid
