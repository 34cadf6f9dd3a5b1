"""Whole-file CAR checks: ``ipfs-kit car verify``."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ipfs_kit_py.car._format import CarLimits
from ipfs_kit_py.car._reader import CarReader
from ipfs_kit_py.car._writer import CarV2Writer
from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import IntegrityError, IPFSKitError

__all__ = ["CarReport", "index_car", "verify_car"]


@dataclass(frozen=True, slots=True)
class CarReport:
    """What :func:`verify_car` found.

    ``ok`` is true only if the file parsed to the end, every block hashed to its
    CID and every root is present. ``bad_cid`` is the first block that failed,
    ``error`` says why.
    """

    ok: bool
    version: int
    roots: tuple[CID, ...]
    blocks: int
    bytes: int
    missing_roots: tuple[CID, ...] = ()
    bad_cid: CID | None = None
    error: str | None = None


def verify_car(path: str | os.PathLike[str], *, limits: CarLimits | None = None) -> CarReport:
    """Parse a CAR to the end, hash every block and check that every root is present.

    Never raises for a bad file: the problem is in the returned report.
    """
    blocks = size = 0
    roots: tuple[CID, ...] = ()
    version = 0
    seen: set[CID] = set()
    try:
        with CarReader.open(path, limits=limits) as reader:
            roots, version = reader.roots, reader.version
            wanted = set(roots)
            for block in reader:
                try:
                    block.verify()
                except IntegrityError as err:
                    return CarReport(False, version, roots, blocks, size, (), block.cid, str(err))
                blocks += 1
                size += len(block.data)
                if block.cid in wanted:
                    seen.add(block.cid)
    except IPFSKitError as err:
        return CarReport(False, version, roots, blocks, size, (), None, str(err))
    missing = tuple(r for r in roots if r not in seen and not r.is_identity)
    if missing:
        return CarReport(
            False,
            version,
            roots,
            blocks,
            size,
            missing,
            None,
            f"root {missing[0]} is not in the CAR",
        )
    return CarReport(True, version, roots, blocks, size)


def index_car(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    verify: bool = True,
    limits: CarLimits | None = None,
) -> int:
    """Rewrite a CAR (v1 or v2) as a CARv2 with a MultihashIndexSorted index.

    Streams one block at a time; repeated blocks are dropped. The output is
    written to a temporary file beside ``dest`` and renamed into place only when
    complete, so a bad input or a crash never leaves a partial ``dest``.
    Returns the number of blocks written.
    """
    target = Path(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with (
            CarReader.open(source, verify=verify, limits=limits) as reader,
            os.fdopen(fd, "wb") as out,
            CarV2Writer(out, reader.roots) as writer,
        ):
            count = sum(writer.put(block) for block in reader)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
