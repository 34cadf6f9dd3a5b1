"""Request bodies: small ones read whole (bounded), big multipart ones streamed.

:func:`stream_parts` runs a job over a multipart body on a worker thread that pulls
the body from the event loop chunk by chunk (``run_coroutine_threadsafe`` on the
running asyncio loop, which is what uvicorn runs), so the synchronous core
(importer, CAR reader) reads the upload as a plain blocking stream. What the job
emits comes back through an ``asyncio.Queue`` (unbounded: jobs emit one line per
entry and coalesce their progress lines) and is yielded as the response body.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator

from starlette.requests import Request

from ipfs_kit_py.rpc._errors import RPCError
from ipfs_kit_py.rpc._multipart import MultipartReader, boundary_of

__all__ = ["Emit", "read_body", "small_parts", "stream_parts"]

#: What a job emits: an output line, or a callable that makes one when it is sent.
Emit = Callable[[bytes | Callable[[], bytes]], None]


async def read_body(request: Request, limit: int, what: str = "request body") -> bytes:
    """The whole body, refused with 413 once it passes ``limit`` bytes."""
    out = bytearray()
    async for chunk in request.stream():
        out += chunk
        if len(out) > limit:
            raise RPCError(f"{what} is over the {limit}-byte limit", 413, kind="too_large")
    return bytes(out)


async def small_parts(
    request: Request, limit: int, what: str
) -> list[tuple[str | None, str, bytes]]:
    """``(filename, content type, data)`` of each part of a multipart body whose parts
    are at most ``limit`` bytes each (``block put``, ``dag put``)."""
    boundary = boundary_of(request.headers.get("content-type"))
    body = await read_body(request, 64 * limit + 65536)
    return [
        (part.filename, part.content_type, part.read_all(limit, what))
        for part in MultipartReader(iter([body]), boundary)
    ]


async def stream_parts(
    request: Request, run: Callable[[MultipartReader, Emit], None]
) -> AsyncIterator[bytes]:
    """Run ``run(parts, emit)`` over the multipart body on a worker thread; yield what
    it emits. Its exception is raised here, after the lines emitted before it."""
    boundary = boundary_of(request.headers.get("content-type"))
    loop = asyncio.get_running_loop()
    out: asyncio.Queue[object] = asyncio.Queue()
    body = request.stream()
    stop = threading.Event()

    async def next_chunk() -> bytes | None:
        return await anext(body, None)

    def chunks() -> Iterator[bytes]:
        while not stop.is_set():
            chunk = asyncio.run_coroutine_threadsafe(next_chunk(), loop).result()
            if chunk is None:
                return
            if chunk:
                yield chunk
        raise RPCError("request cancelled", 499, kind="cancelled")

    def emit(item: bytes | Callable[[], bytes]) -> None:
        if stop.is_set():
            raise RPCError("request cancelled", 499, kind="cancelled")
        loop.call_soon_threadsafe(out.put_nowait, item)

    def work() -> None:
        result: BaseException | None = None
        try:
            run(MultipartReader(chunks(), boundary), emit)
        except BaseException as exc:
            result = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
            loop.call_soon_threadsafe(out.put_nowait, _Done(result))

    threading.Thread(target=work, name="ipfs-kit-rpc-upload", daemon=True).start()
    try:
        while True:
            item = await out.get()
            if isinstance(item, _Done):
                if item.exc is not None:
                    raise item.exc
                return
            yield item() if callable(item) else item  # type: ignore[misc]
    finally:
        stop.set()


class _Done:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException | None) -> None:
        self.exc = exc
