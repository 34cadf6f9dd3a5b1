"""Trickle layout (``ipfs add --trickle``): a DAG shaped for sequential reading.

Shape (``W`` = ``options.max_links``, ``R`` = :data:`LAYER_REPEAT`)::

    root:      W leaves, then R subtrees of depth 1, R of depth 2, R of depth 3, ...
    depth d:   W leaves, then R subtrees of each depth 1 .. d-1
    depth 1:   W leaves only

Every node, the root included, is first filled with up to ``W`` leaves; then
come layers of child subtrees of increasing depth, ``R`` per depth, bounded by
``d - 1`` inside a depth-``d`` subtree and unbounded at the root. Filling stops
as soon as the leaves run out, so only the last node on each level can be
partial. A depth-``d`` subtree holds ``W * (1 + R) ** (d - 1)`` leaves when
full, so the depth grows with the logarithm of the file size while the first
``W`` leaves always hang directly off the root. That is boxo's
``fillTrickleRec`` (``ipld/unixfs/importer/trickle/trickledag.go``, constant
``depthRepeat = 4``) and the JS importer's ``trickle`` layout
(``ipfs-unixfs-importer`` ``src/layout/trickle.ts``, ``layerRepeat`` default 4,
``maxChildrenPerNode`` default 174); both give this same tree.

Internal nodes, the root included, are plain UnixFS ``File`` nodes with no
data: ``filesize`` plus one ``blocksizes`` entry and one unnamed link (with
``Tsize``) per child, exactly :meth:`Importer._file_node
<ipfs_kit_py.unixfs._importer.Importer._file_node>`. The two reference
implementations differ only at the edges, which ``reduce_single_leaf_to_self``
selects:

* ``True`` (the JS importer's default, as in our balanced layout): a one-leaf
  file is the leaf itself, and the empty file is one empty leaf.
* ``False`` (Kubo, and JS with ``reduceSingleLeafToSelf: false``): the root is
  always an internal node, so a one-leaf file gets a parent with one link and
  the empty file is a ``File`` node with no links (``QmbFMke1...`` /
  ``bafybeif7ztnhq65...``) even with raw leaves.

Kubo also makes its dag-pb trickle leaves UnixFS ``Raw`` (type 0) nodes, not
``File`` nodes (boxo ``FillNodeLayer`` calls ``NewLeafDataNode(ft.TRaw)``; JS:
``leafType: 'raw'``). Leaves are the importer's business: this module only
links the leaves it is given.

Leaves are consumed in order with one leaf of look-ahead, and every node is
built as soon as its subtree is complete, so memory stays bounded by the tree
depth (``W`` + ``R`` links per depth level) however large the file is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from ipfs_kit_py.errors import InvalidInputError
from ipfs_kit_py.unixfs._pb import NO_METADATA, Metadata

if TYPE_CHECKING:
    from ipfs_kit_py.unixfs._importer import Importer, _Link

__all__ = ["LAYER_REPEAT", "trickle_file"]

#: Subtrees of each depth per layer (boxo ``depthRepeat``, JS ``layerRepeat``).
LAYER_REPEAT: Final = 4


class _Leaves:
    """The leaf iterator with one item of look-ahead (boxo's ``Done()``)."""

    __slots__ = ("_it", "_next")

    def __init__(self, leaves: Iterator[_Link]) -> None:
        self._it = leaves
        self._next = next(leaves, None)

    @property
    def done(self) -> bool:
        return self._next is None

    def take(self) -> _Link:
        leaf = self._next
        assert leaf is not None, "take() after the last leaf"
        self._next = next(self._it, None)
        return leaf


def trickle_file(
    importer: Importer,
    leaves: Iterator[_Link],
    *,
    layer_repeat: int = LAYER_REPEAT,
    reduce_single_leaf_to_self: bool = True,
    meta: Metadata = NO_METADATA,
) -> _Link:
    """Fold leaf links, in file order, into a trickle DAG; return its root link.

    ``reduce_single_leaf_to_self`` chooses the JS importer's default (``True``)
    or Kubo's root (``False``) for files of zero or one leaf; see the module
    docstring. Larger files give the same DAG either way. ``meta`` goes on the
    root node (the importer handles a one-leaf file that carries metadata).
    """
    if layer_repeat < 1:
        raise InvalidInputError(f"trickle layer repeat must be at least 1, got {layer_repeat}")
    source = _Leaves(leaves)
    if source.done:  # the empty file: the chunker gave no chunk at all
        if reduce_single_leaf_to_self:
            return importer._leaf(memoryview(b""))
        return importer._file_node([], meta)
    first = source.take()
    if source.done and reduce_single_leaf_to_self:
        return first
    return _fill(importer, source, [first], None, layer_repeat, meta)


def _fill(
    importer: Importer,
    source: _Leaves,
    children: list[_Link],
    max_depth: int | None,
    layer_repeat: int,
    meta: Metadata = NO_METADATA,
) -> _Link:
    """Build one trickle node of depth ``max_depth`` (``None``: the unbounded root)."""
    width = importer.options.max_links
    while len(children) < width and not source.done:
        children.append(source.take())
    depth = 1
    while not source.done and (max_depth is None or depth < max_depth):
        for _ in range(layer_repeat):
            if source.done:
                break
            children.append(_fill(importer, source, [], depth, layer_repeat))
        depth += 1
    return importer._file_node(children, meta)
