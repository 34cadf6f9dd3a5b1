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
