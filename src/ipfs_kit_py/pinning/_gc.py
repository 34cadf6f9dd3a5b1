"""Garbage collection, Kubo's ``repo gc``: mark what the pins need, sweep the rest.

Plan, then execute (as huggingface_hub deletes cache revisions): :func:`plan_gc` only
reads and says what would go and how many bytes that frees; :func:`execute_gc`
deletes exactly that. Both run under the exclusive side of the repo's :class:`GCLock`,
held across the two (:func:`collect_garbage` does it all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import RAW
from ipfs_kit_py.errors import BlockNotFoundError, InvalidInputError, IPFSKitError
from ipfs_kit_py.pinning._lock import GCLock
from ipfs_kit_py.pinning._pins import PinStore, PinType
from ipfs_kit_py.pinning._walk import walk

if TYPE_CHECKING:
    from ipfs_kit_py.blockstore import Blockstore

__all__ = ["GCFailure", "GCPlan", "GCReport", "collect_garbage", "execute_gc", "plan_gc"]


@dataclass(frozen=True, slots=True)
class GCPlan:
    """What a collection would remove: stored multihashes no pin needs.

    ``keep_count`` is how many stored blocks stay, ``bytes_freed`` the size of those
    that go, ``pin_additions`` the :attr:`PinStore.additions` the plan was made at.
    """

    remove: frozenset[bytes]
    keep_count: int
    bytes_freed: int
    pin_additions: int

    @property
    def cids(self) -> list[CID]:
        """The blocks to remove as CIDv1 ``raw`` (what Kubo prints), sorted.

        >>> GCPlan(frozenset(), 0, 0, 0).cids
        []
        """
        return [CID(1, RAW, mh) for mh in sorted(self.remove)]


@dataclass(frozen=True, slots=True)
class GCFailure:
    """A block the collection could not delete, and Kubo's message for it."""

    cid: CID
    message: str


@dataclass(frozen=True, slots=True)
class GCReport:
    """The outcome of a collection: the blocks removed (or, ``dry_run``, that would be)."""

    removed: tuple[CID, ...]
    errors: tuple[GCFailure, ...]
    bytes_freed: int
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether every planned block was removed.

        >>> GCReport((), (), 0).ok
        True
        """
        return not self.errors


def plan_gc(blockstore: Blockstore, pins: PinStore, *, extra_roots: Iterable[CID] = ()) -> GCPlan:
    """Every stored block minus what the pins need: each recursive pin's whole DAG, each
    direct pin's block, and the DAGs under ``extra_roots`` (an MFS root, say).

    The caller holds ``lock.exclusive()``. As in Kubo, a block of a recursive pin that
    is missing or corrupt aborts the plan (raising the store's error, prefixed
    ``garbage collection aborted``): sweeping around a hole could remove blocks the
    pin needs further down. ``extra_roots`` are best effort (Kubo's
    ``bestEffortRoots``): missing blocks under them are skipped.

    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> from ipfs_kit_py.codecs import Block
    >>> store, pins = MemoryBlockstore(), PinStore()
    >>> keep, drop = Block.from_data(b"keep"), Block.from_data(b"drop")
    >>> store.put_many([keep, drop])
    >>> _ = pins.add(keep.cid, blockstore=store)
    >>> plan = plan_gc(store, pins)
    >>> plan.cids == [drop.cid], plan.keep_count, plan.bytes_freed
    (True, 1, 4)
    """
    additions, stored = pins._snapshot()
    marked: set[bytes] = set()
    seen: set[bytes] = set()
    try:
        for pin in stored:
            if pin.type is PinType.RECURSIVE:
                found = walk([pin.cid], blockstore.get, has=blockstore.has, seen=seen)
                marked.update(c.multihash for c in found)
            else:
                marked.add(pin.cid.multihash)
    except IPFSKitError as err:
        raise type(err)(
            f"garbage collection aborted: could not retrieve some links: {err}"
        ) from err
    marked.update(
        c.multihash
        for c in walk(extra_roots, blockstore.get, has=blockstore.has, seen=seen, missing_ok=True)
    )
    stored_mhs = set(blockstore.multihashes())
    remove = frozenset(stored_mhs - marked)
    freed = 0
    for mh in remove:
        with suppress(BlockNotFoundError):  # deleted behind our back: frees nothing
            freed += blockstore.size(CID(1, RAW, mh))
    return GCPlan(remove, len(stored_mhs) - len(remove), freed, additions)


def execute_gc(
    plan: GCPlan,
    blockstore: Blockstore,
    *,
    pins: PinStore | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> GCReport:
    """Delete the blocks ``plan`` lists, in multihash order; the report.

    ``progress`` is called with 1 after each block (for a progress bar).

    The caller holds ``lock.exclusive()`` since before :func:`plan_gc`. Given ``pins``,
    a plan made before something was pinned is refused
    (:class:`~ipfs_kit_py.errors.InvalidInputError`): a block it lists may be pinned
    now (unpinning since is harmless: the plan only keeps more). A block that cannot
    be deleted is reported (Kubo's ``could not remove CID: ERR``) and the rest still
    go; one already gone is skipped. ``dry_run`` deletes nothing and reports what
    would go.

    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> from ipfs_kit_py.codecs import Block
    >>> store, pins = MemoryBlockstore(), PinStore()
    >>> store.put(Block.from_data(b"drop"))
    >>> report = execute_gc(plan_gc(store, pins), store, pins=pins)
    >>> [str(c) for c in report.removed], report.bytes_freed, len(store)
    (['bafkreigzb3u4z5v6uhjjikt3eeyzgoazrxwcu5dprigqo4lcd4anulqimq'], 4, 0)
    """
    if pins is not None and pins.additions != plan.pin_additions:
        raise InvalidInputError("stale garbage collection plan: pins were added since; plan again")
    if dry_run:
        return GCReport(tuple(plan.cids), (), plan.bytes_freed, dry_run=True)
    removed: list[CID] = []
    errors: list[GCFailure] = []
    freed = 0
    for cid in plan.cids:
        if progress is not None:
            progress(1)
        try:
            size = blockstore.size(cid)
        except BlockNotFoundError:
            continue
        try:
            blockstore.delete(cid)
        except (OSError, IPFSKitError) as err:
            errors.append(GCFailure(cid, f"could not remove {cid}: {err}"))
            continue
        removed.append(cid)
        freed += size
    return GCReport(tuple(removed), tuple(errors), freed)


def collect_garbage(
    blockstore: Blockstore,
    pins: PinStore,
    lock: GCLock,
    *,
    extra_roots: Iterable[CID] = (),
    dry_run: bool = False,
) -> GCReport:
    """Kubo's ``repo gc``: plan and execute under ``lock.exclusive()``.

    >>> from ipfs_kit_py.blockstore import MemoryBlockstore
    >>> from ipfs_kit_py.codecs import Block
    >>> store = MemoryBlockstore()
    >>> store.put(Block.from_data(b"drop"))
    >>> collect_garbage(store, PinStore(), GCLock(), dry_run=True).bytes_freed, len(store)
    (4, 1)
    """
    with lock.exclusive():
        plan = plan_gc(blockstore, pins, extra_roots=extra_roots)
        return execute_gc(plan, blockstore, pins=pins, dry_run=dry_run)
