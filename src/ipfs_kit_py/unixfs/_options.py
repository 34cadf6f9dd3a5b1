"""Import options, the IPIP-499 profiles, and Kubo's flag semantics."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from ipfs_kit_py.cid import multicodec, multihash
from ipfs_kit_py.errors import InvalidInputError, UnsupportedError
from ipfs_kit_py.unixfs._chunker import Chunker, parse_chunker

__all__ = ["DEFAULT_PROFILE", "PROFILES", "ImportOptions", "resolve_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOptions:
    """How bytes become a UnixFS DAG. Build with :func:`resolve_options`.

    Attributes:
        profile: the profile these options started from (recorded with imports).
        cid_version: 0 or 1 for dag-pb nodes.
        raw_leaves: leaves are ``raw`` blocks (CIDv1) instead of dag-pb file nodes.
        chunker: how files are cut into leaves (``size-N``, ``buzhash`` or ``rabin-…``).
        max_links: most children per file node (balanced layout width).
        layout: ``balanced`` or ``trickle``.
        hash_code: multihash function for every block.
        inline_limit: blocks up to this many bytes become identity CIDs (``None``: never).
        shard_threshold: a directory larger than this (by ``shard_estimate``) is sharded.
        shard_estimate: ``links-bytes`` (Kubo legacy) or ``block-bytes``.
        hidden: include names starting with ``.``.
        wrap_with_directory: wrap what is added in a directory.
        trickle_layer_repeat: subtrees per depth in the trickle layout (4 in Kubo and JS).
        kubo_trickle: build trickle DAGs as Kubo does (dag-pb leaves of UnixFS type Raw,
            a root node even for one leaf) rather than as the JS importer does.
        preserve_mode: record each file's, directory's and symlink's permission bits.
        preserve_mtime: record each file's, directory's and symlink's modification time.
    """

    profile: str
    cid_version: int
    raw_leaves: bool
    chunker: Chunker
    max_links: int
    layout: Literal["balanced", "trickle"] = "balanced"
    hash_code: int = multicodec.SHA2_256
    inline_limit: int | None = None
    shard_threshold: int = 256 * 1024
    shard_estimate: Literal["links-bytes", "block-bytes"] = "block-bytes"
    hidden: bool = True
    wrap_with_directory: bool = False
    trickle_layer_repeat: int = 4
    kubo_trickle: bool = False
    preserve_mode: bool = False
    preserve_mtime: bool = False

    @property
    def chunk_size(self) -> int:
        """The fixed chunk size, or the largest chunk a content-defined chunker makes."""
        return self.chunker.size


PROFILES: dict[str, ImportOptions] = {
    "unixfs-v1-2025": ImportOptions(
        profile="unixfs-v1-2025",
        cid_version=1,
        raw_leaves=True,
        chunker=Chunker("size", 1 << 20),
        max_links=1024,
        shard_estimate="block-bytes",
    ),
    "unixfs-v0-2015": ImportOptions(
        profile="unixfs-v0-2015",
        cid_version=0,
        raw_leaves=False,
        chunker=Chunker("size", 256 * 1024),
        max_links=174,
        shard_estimate="links-bytes",
        # Kubo v0.22 shards once the estimate reaches 256 KiB (boxo's pre-IPIP-499
        # ``>=``); with our strictly-greater rule that is a threshold of 256 KiB - 1.
        shard_threshold=256 * 1024 - 1,
        kubo_trickle=True,
    ),
}
DEFAULT_PROFILE = "unixfs-v1-2025"


def resolve_options(
    profile: str | None = None,
    *,
    cid_version: int | None = None,
    raw_leaves: bool | None = None,
    chunker: str | None = None,
    max_links: int | None = None,
    trickle: bool | None = None,
    hash: str | int | None = None,
    inline: bool = False,
    inline_limit: int = 32,
    hidden: bool | None = None,
    wrap_with_directory: bool = False,
    preserve_mode: bool = False,
    preserve_mtime: bool = False,
) -> ImportOptions:
    """Options from a profile plus Kubo-style overrides.

    With no profile the default is ``unixfs-v1-2025``, except that
    ``cid_version`` given alone starts from Kubo's legacy settings, so
    ``--cid-version 1`` behaves as in Kubo (raw leaves, 256 KiB, 174 links). As
    in Kubo, CIDv1 turns raw leaves on unless ``raw_leaves`` says otherwise, and
    a hash other than sha2-256 forces CIDv1.
    """
    if profile is None:
        profile = "unixfs-v0-2015" if cid_version is not None else DEFAULT_PROFILE
    base = PROFILES.get(profile)
    if base is None:
        raise InvalidInputError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    changes: dict[str, object] = {}
    if cid_version is not None:
        if cid_version not in (0, 1):
            raise InvalidInputError(f"unknown CID version {cid_version}")
        changes["cid_version"] = cid_version
        if raw_leaves is None:
            changes["raw_leaves"] = cid_version == 1
    if raw_leaves is not None:
        changes["raw_leaves"] = raw_leaves
    if chunker is not None:
        changes["chunker"] = parse_chunker(chunker)
    if max_links is not None:
        if max_links < 2:
            raise InvalidInputError("max links must be at least 2")
        changes["max_links"] = max_links
    if trickle is not None:
        changes["layout"] = "trickle" if trickle else "balanced"
    if hash is not None:
        code = multicodec.code_of(hash) if isinstance(hash, str) else hash
        if not multihash.is_supported(code) or code == multicodec.IDENTITY:
            raise UnsupportedError(f"hash {hash!r} cannot be used for import")
        changes["hash_code"] = code
        if code != multicodec.SHA2_256:
            changes["cid_version"] = 1
    if inline:
        changes["inline_limit"] = inline_limit
    if hidden is not None:
        changes["hidden"] = hidden
    changes["wrap_with_directory"] = wrap_with_directory
    changes["preserve_mode"] = preserve_mode
    changes["preserve_mtime"] = preserve_mtime
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
