"""Writing an artifact's files out for ML libraries: selection, pickle refusal, HF cache layout.

:func:`select_files` applies ``allow_patterns`` / ``ignore_patterns`` as
``huggingface_hub`` does; :func:`refuse_pickle` stops pickle-based weights (by file
name, whatever a record claims) before a byte is written; :func:`write_hf_cache`
lays verified files out as a Hugging Face cache repo::

    <cache>/models--org--name/blobs/<sha256>                 each distinct file once
    <cache>/models--org--name/snapshots/<revision>/<path>    relative links to the blobs
    <cache>/models--org--name/refs/main                      <revision>, no newline

so ``from_pretrained("org/name", cache_dir=cache, local_files_only=True)`` and
``snapshot_download(..., local_files_only=True)`` find it. Blobs are written through
:func:`~ipfs_kit_py.hub._files.materialise` (verified, temp file then rename); links
next, then ``refs/main`` last, so an interrupted snapshot never moves ``main``.
Hugging Face names non-LFS blobs by their git SHA-1; we name every blob by its
sha256, which its loaders never check.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from ipfs_kit_py.errors import InvalidInputError, PickleRefusedError
from ipfs_kit_py.hub._files import FileRecord, materialise, safe_relpath

if TYPE_CHECKING:
    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["PICKLE_SUFFIXES", "file_format", "refuse_pickle", "select_files", "write_hf_cache"]

#: File name endings of pickle-based weights (unpickling runs arbitrary code).
PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"})

F = TypeVar("F", bound=FileRecord)


def file_format(path: str) -> str:
    """``"safetensors"``, ``"pickle"`` or ``"other"``, from the file name alone.

    >>> file_format("model.safetensors"), file_format("pytorch_model.bin")
    ('safetensors', 'pickle')
    """
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".safetensors":
        return "safetensors"
    return "pickle" if suffix in PICKLE_SUFFIXES else "other"


def select_files(
    files: Iterable[F],
    allow_patterns: str | Sequence[str] | None,
    ignore_patterns: str | Sequence[str] | None,
) -> list[F]:
    """The files any allow pattern matches (all, with none), minus those an ignore matches.

    ``fnmatch`` patterns against the relative path; ``dir/`` means ``dir/*``
    (``huggingface_hub.utils.filter_repo_objects``). Selecting nothing is an error.
    """
    allowed, ignored = _patterns(allow_patterns), _patterns(ignore_patterns)
    chosen = [
        f
        for f in files
        if (allowed is None or any(fnmatch.fnmatch(f.path, p) for p in allowed))
        and not (ignored and any(fnmatch.fnmatch(f.path, p) for p in ignored))
    ]
    if not chosen:
        raise InvalidInputError("allow_patterns / ignore_patterns leave no file to write")
    return chosen


def _patterns(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return [p + "*" if p.endswith("/") else p for p in items]


def refuse_pickle(files: Iterable[FileRecord], allow_pickle: bool) -> None:
    """Raise :class:`~ipfs_kit_py.errors.PickleRefusedError` if ``files`` hold pickles.

    The message says how to opt in, or how to leave them out.
    """
    pickles = tuple(f.path for f in files if file_format(f.path) == "pickle")
    if pickles and not allow_pickle:
        suffixes = sorted({"*" + PurePosixPath(p).suffix for p in pickles})
        raise PickleRefusedError(
            f"refusing pickle-based weights {', '.join(pickles)}: loading them runs arbitrary "
            f"code. Pass allow_pickle=True if you trust this model, or leave them out with "
            f"ignore_patterns={suffixes!r} (safetensors weights need no pickle).",
            files=pickles,
        )


def write_hf_cache(
    api: IPFSSimpleAPI, cache: Path, folder: str, revision: str, files: Sequence[FileRecord]
) -> Path:
    """Write ``files`` as revision ``revision`` of the cache repo ``folder`` (``models--a--b``).

    Returns the snapshot directory. A blob already there with the right size and
    sha256 is kept (re-hashed, not re-fetched).
    """
    repo = cache / safe_relpath(folder)
    blobs = repo / "blobs"
    snap = repo / "snapshots" / safe_relpath(revision)
    for item in {f.sha256: f for f in files}.values():  # one blob per distinct content
        if not _holds(blobs / item.sha256, item):
            blob = FileRecord(item.sha256, item.size, item.sha256, item.cid)
            materialise(api, [blob], blobs)
    for item in files:
        link = snap.joinpath(*safe_relpath(item.path).split("/"))
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(blobs / item.sha256, link.parent), tmp)
        os.replace(tmp, link)
    (repo / "refs").mkdir(exist_ok=True)
    ref_tmp = repo / "refs" / f".main.{os.getpid()}.tmp"
    ref_tmp.write_text(revision, encoding="ascii")  # huggingface_hub reads it as is
    os.replace(ref_tmp, repo / "refs" / "main")
    return snap


def _holds(path: Path, item: FileRecord) -> bool:
    """Whether ``path`` is a regular file with ``item``'s size and sha256 already."""
    with contextlib.suppress(OSError):
        if not path.is_symlink() and path.is_file() and path.stat().st_size == item.size:
            digest = hashlib.sha256()
            with open(path, "rb") as fp:
                while chunk := fp.read(1 << 20):
                    digest.update(chunk)
            return digest.hexdigest() == item.sha256
    return False
