"""Pins and garbage collection, with Kubo's semantics.

Design note
-----------
:class:`PinStore` keeps ``recursive`` pins (a root and everything reachable from it)
and ``direct`` pins (one block) in SQLite (WAL, synchronous commits); ``indirect`` pins
are computed by walking the recursive pins' DAGs through a
:class:`~ipfs_kit_py.blockstore.Blockstore`, never stored. The rules and error
messages are Kubo's (boxo ``dspinner``, ``core/commands/pin``): a CID is pinned at most
once, pinning recursively upgrades a direct pin, ``pin add -r=false`` on a recursive
pin is refused, ``pin rm`` of what has no stored pin says ``not pinned or pinned
indirectly``; ``pin update`` keeps the old pin's name. One deliberate difference: a
CIDv0 and its CIDv1 twin are one pin here (the key is the CIDv1), where Kubo keys
pins by the exact CID and would hold two.

Garbage collection (:func:`plan_gc`, :func:`execute_gc`, :func:`collect_garbage`) is
mark and sweep by multihash, as Kubo's: keep each recursive pin's DAG, each direct
pin's block and any extra roots, remove every other stored block. A missing or corrupt
block under a recursive pin aborts the plan instead of sweeping around it.

Invariant: no pinned block, no block reachable from a recursive pin and no block of an
add in progress is ever removed. It holds by one protocol on one :class:`GCLock` per
repo: adds hold the shared side from their first block written until their root is
pinned (``with lock.shared(): import blocks; pins.add(root)``), and a collection holds
the exclusive side from planning to the last delete. A pin added behind the lock's
back between plan and execute is caught: :func:`execute_gc` refuses a plan older
than :attr:`PinStore.additions`.

Trade-offs: the walks read (and hash-verify) every pinned block, so a collection and
``ls --type=indirect`` cost a pass over the pinned data, as in Kubo; the mark set is
in memory (a few dozen bytes per block). The lock is in-process: a repo is owned by
one process (the repo lock sees to that).
"""

from __future__ import annotations

from ipfs_kit_py.pinning._gc import (
    GCFailure,
    GCPlan,
    GCReport,
    collect_garbage,
    execute_gc,
    plan_gc,
)
from ipfs_kit_py.pinning._lock import GCLock
from ipfs_kit_py.pinning._pins import (
    NOT_PINNED,
    BadNode,
    Pin,
    PinStore,
    PinType,
    PinVerifyResult,
)

__all__ = [
    "NOT_PINNED",
    "BadNode",
    "GCFailure",
    "GCLock",
    "GCPlan",
    "GCReport",
    "Pin",
    "PinStore",
    "PinType",
    "PinVerifyResult",
    "collect_garbage",
    "execute_gc",
    "plan_gc",
]
