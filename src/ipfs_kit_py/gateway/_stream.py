"""Bridge a synchronous, blocking iterator of verified pieces to an ASGI body.

The storage core is synchronous: each ``next()`` reads a block and hashes it.
:func:`prefetch` runs ``next()`` in a worker thread and keeps exactly one piece in
flight ahead of the one being sent, so reading and hashing block *n + 1* overlaps
sending block *n* (hashlib releases the GIL), with at most two pieces held in
memory. The event loop never blocks on disk or hashing.

An error while producing a piece (a missing or corrupt block mid-file) propagates
out of the body iterator: the server then aborts the connection, so the client
sees a truncated response, never unverified or made-up bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["prefetch"]


def _step(it: Iterator[bytes]) -> bytes | None:
    return next(it, None)


def _close(it: Iterator[bytes]) -> None:
    close: Any = getattr(it, "close", None)
    if close is not None:
        close()


def _finish(done: asyncio.Future[bytes | None], it: Iterator[bytes]) -> None:
    if not done.cancelled():
        done.exception()  # retrieved: no "never retrieved" warning
    _close(it)


async def prefetch(it: Iterator[bytes], first: bytes | None = None) -> AsyncIterator[bytes]:
    """Yield ``first`` (if given) then every piece of ``it``, producing one ahead."""
    loop = asyncio.get_running_loop()
    pending = loop.run_in_executor(None, _step, it)
    try:
        if first:
            yield first
        while True:
            piece = await pending
            if piece is None:
                return
            pending = loop.run_in_executor(None, _step, it)
            if piece:
                yield piece
    finally:
        if pending.done():
            if not pending.cancelled():
                pending.exception()  # retrieved: no "never retrieved" warning
            _close(it)
        else:  # the client went away while a piece was being read: close it after
            pending.add_done_callback(lambda f: _finish(f, it))
