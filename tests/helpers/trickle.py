"""Trickle-layout test helpers shared by the unit and interop trickle tests."""

from __future__ import annotations

import dataclasses

from ipfs_kit_py.unixfs import BlockSink, Importer, ImportOptions, resolve_options
from ipfs_kit_py.unixfs._trickle import LAYER_REPEAT


def trickle_importer(
    options: ImportOptions,
    sink: BlockSink | None = None,
    *,
    layer_repeat: int = LAYER_REPEAT,
    kubo: bool = False,
) -> Importer:
    """An importer building ``options`` as a trickle DAG, Kubo's flavour or the JS one."""
    trickle = dataclasses.replace(
        options, layout="trickle", trickle_layer_repeat=layer_repeat, kubo_trickle=kubo
    )
    return Importer(trickle, sink)


def js_trickle_options(cid_version: int, raw_leaves: bool, chunk: int, width: int) -> ImportOptions:
    """Trickle options in the JS importer's flavour (its defaults are what we compare)."""
    options = resolve_options(
        "unixfs-v0-2015",
        cid_version=cid_version,
        raw_leaves=raw_leaves,
        chunker=f"size-{chunk}",
        max_links=width,
        trickle=True,
    )
    return dataclasses.replace(options, kubo_trickle=False)


def full_leaves(width: int, repeat: int, depth: int) -> int:
    """Leaves in a full trickle subtree of ``depth``."""
    return int(width * (1 + repeat) ** (depth - 1))


def layer_edge(width: int, repeat: int, depth: int) -> int:
    """Leaves before the layer of depth ``depth + 1`` starts."""
    return width + repeat * sum(full_leaves(width, repeat, d) for d in range(1, depth + 1))


def leaf_counts(width: int, repeat: int, depth: int) -> list[int]:
    """Leaf counts around every layer and sibling boundary up to subtrees of ``depth``."""
    counts = {0, 1, 2, width, width + 1}
    for d in range(1, depth + 1):
        edge = layer_edge(width, repeat, d - 1)  # leaves before this layer
        full = full_leaves(width, repeat, d)
        # a layer starts, its first subtree gets past its own leaves, a sibling starts
        counts |= {edge + 1, edge + width + 1, edge + full, edge + full + 1}
        end = edge + repeat * full
        counts |= {end - 1, end, end + 1}  # the layer ends; the next one starts
    return sorted(counts)
