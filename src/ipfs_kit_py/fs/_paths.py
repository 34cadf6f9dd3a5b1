"""Paths of the ``ipfs`` file system: content paths under a CID, and the mutable root.

``ipfs://<cid>/a/b``, ``/ipfs/<cid>/a/b`` and ``<cid>/a/b`` all name ``a/b`` inside
``<cid>``'s DAG and normalise to ``<cid>/a/b``. A path that starts with ``/`` and is
not ``/ipfs/...`` names an entry of the mutable root (``/models/x.txt``); ``/`` is
the root itself. Components ``.``, ``..`` and NUL are refused everywhere: no path
can climb out of the tree it names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidCIDError, InvalidInputError

__all__ = ["ROOT", "IPFSPath", "normalize", "parse"]

#: The mutable root's own path.
ROOT = "/"
_PREFIXES = ("ipfs://", "ipfs::")


@dataclass(frozen=True, slots=True)
class IPFSPath:
    """A parsed path: ``cid`` is ``None`` for the mutable root; ``parts`` below it."""

    text: str  # the normalised form, as names in listings are built from it
    cid: CID | None
    parts: tuple[str, ...]

    @property
    def mutable(self) -> bool:
        """Whether the path is under the mutable root (``/...``)."""
        return self.cid is None

    @property
    def name(self) -> str:
        """The last component (the CID string for a bare content path, ``""`` for ``/``)."""
        return self.parts[-1] if self.parts else ("" if self.cid is None else self.text)

    def child(self, name: str) -> str:
        """The normalised path of the entry ``name`` below this one."""
        return f"{self.text.rstrip('/')}/{name}"


def normalize(path: str | os.PathLike[str]) -> str:
    """The normal form of ``path``: protocol and ``/ipfs/`` dropped, slashes collapsed.

    >>> normalize("ipfs://bafkqaaa/a//b/"), normalize("/ipfs/bafkqaaa"), normalize("ipfs:///m/")
    ('bafkqaaa/a/b', 'bafkqaaa', '/m')
    """
    text = os.fspath(path)
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if text.startswith("/ipfs/") or text == "/ipfs":
        text = text[len("/ipfs") :].lstrip("/")
    mutable = text.startswith("/") or not text
    body = "/".join(p for p in text.split("/") if p)
    return "/" + body if mutable else body


def parse(path: str | os.PathLike[str]) -> IPFSPath:
    """Parse a path (:func:`normalize` first); a bad CID raises :class:`InvalidCIDError`.

    >>> p = parse("ipfs://bafkqaaa/a/b")
    >>> str(p.cid), p.parts, parse("/x/y").parts, parse("/").mutable
    ('bafkqaaa', ('a', 'b'), ('x', 'y'), True)
    """
    text = normalize(path)
    parts = tuple(text.split("/")[1:]) if text != ROOT else ()
    cid: CID | None = None
    if not text.startswith("/"):
        head, *rest = text.split("/")
        try:
            cid = CID.parse(head)
        except InvalidInputError as err:
            raise InvalidCIDError(
                f"{head!r} is not a CID: content paths are <cid>/a/b; "
                f"paths of the mutable root start with '/' ({err})"
            ) from err
        parts = tuple(rest)
    for part in parts:
        if part in (".", "..") or "\0" in part:
            raise InvalidInputError(f"invalid path component {part!r} in {text!r}")
    return IPFSPath(text, cid, parts)
