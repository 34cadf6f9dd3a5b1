"""``GCLock``: the readers-writer lock between adds (shared) and garbage collection (exclusive).

Kubo's ``GCBlockstore`` does the same with a ``sync.RWMutex``: ``PinLock`` (shared) around
every add and pin change, ``GCLock`` (exclusive) around a whole collection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["GCLock"]


class GCLock:
    """Many adds at once, or one garbage collection, never both.

    The protocol for anything that writes blocks it means to keep::

        with lock.shared():
            import the blocks
            pin the root

    and for a collection: ``with lock.exclusive(): plan, then execute``. A block of an
    add in progress is therefore either pinned before the collection plans, or written
    after it has finished.

    Phase-fair: once a collection waits, new adds queue behind it, so a steady stream
    of adds cannot starve it; when it finishes, every add that queued meanwhile goes
    before the next collection, so back-to-back collections cannot starve adds. Both
    sides are reentrant within one
    thread (a shared hold inside a shared or exclusive hold of the same thread is
    granted at once, so library code can take the shared side without knowing whether
    its caller already did). Asking for the exclusive side while holding only the
    shared side would deadlock and raises :class:`RuntimeError`. The lock is for
    threads of one process; another process must go through the repo lock.

    >>> lock = GCLock()
    >>> with lock.shared(), lock.shared():
    ...     lock.gc_requested
    False
    >>> with lock.exclusive():
    ...     lock.gc_requested
    True
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0  # threads holding the shared side
        self._writer: int | None = None  # thread holding the exclusive side
        self._writer_depth = 0
        self._writers_waiting = 0
        self._readers_waiting = 0
        self._readers_turn = False  # a collection ended: the adds it held back go first
        self._local = threading.local()

    def _shared_depth(self) -> int:
        depth: int = getattr(self._local, "depth", 0)
        return depth

    @property
    def gc_requested(self) -> bool:
        """Whether a collection holds or waits for the lock (Kubo's ``GCRequested``).

        A long add may check it between files to release and retake the shared side.
        """
        with self._cond:
            return self._writer is not None or self._writers_waiting > 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the shared side: adds and pin changes, many at a time."""
        me = threading.get_ident()
        depth = self._shared_depth()
        counted = False
        if depth == 0:
            with self._cond:
                if self._writer != me:  # inside our own exclusive hold: nothing to wait for
                    self._readers_waiting += 1
                    try:
                        while self._writer is not None or (
                            self._writers_waiting and not self._readers_turn
                        ):
                            self._cond.wait()
                    finally:
                        self._readers_waiting -= 1
                        if not self._readers_waiting:
                            self._readers_turn = False
                            self._cond.notify_all()
                    self._readers += 1
                    counted = True
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if counted:
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the exclusive side: one garbage collection, nothing else."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._writer_depth += 1
            elif self._shared_depth():
                raise RuntimeError(
                    "cannot take the exclusive GC lock while holding its shared side"
                )
            else:
                self._writers_waiting += 1
                try:
                    while (
                        self._writer is not None
                        or self._readers
                        or (self._readers_turn and self._readers_waiting)
                    ):
                        self._cond.wait()
                finally:
                    self._writers_waiting -= 1
                    self._cond.notify_all()  # adds queued behind us may go if we gave up
                self._writer = me
                self._writer_depth = 1
        try:
            yield
        finally:
            with self._cond:
                self._writer_depth -= 1
                if not self._writer_depth:
                    self._writer = None
                    self._readers_turn = self._readers_waiting > 0
                    self._cond.notify_all()
