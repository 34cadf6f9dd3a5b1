"""Streamed responses as go-ipfs-cmds sends them, and the bridges that feed them.

Kubo (go-ipfs-cmds ``http/responseemitter.go``) writes its headers only when a
command emits its first value, so a command that fails before that still gets a
plain error response; after that, headers are gone and the error travels in the
``X-Stream-Error`` trailer announced by ``Trailer: X-Stream-Error``. Byte streams
(``cat``, ``get``, ``block get``, ``dag export``) carry ``X-Stream-Output: 1``
and ``text/plain``; value streams (NDJSON) carry ``X-Chunked-Output: 1``.

:class:`StreamResponse` does the same on ASGI. HTTP/1.1 servers such as uvicorn
cannot send trailers, so where the server does not offer the
``http.response.trailers`` extension a late error is written as one more NDJSON
line in Kubo's error shape (value streams only) and the connection is then cut
before the final chunk, so that no client mistakes a failed stream for a complete
one. :func:`pushed` turns a producer that pushes items from a worker thread (an
exporter writing a CAR, a verifier reporting progress) into an iterator with a
bounded queue between them.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ipfs_kit_py.errors import IPFSKitError
from ipfs_kit_py.rpc._errors import error_for, error_response

__all__ = ["PushWriter", "StreamAborted", "StreamResponse", "json_line", "ndjson", "pushed"]

T = TypeVar("T")
STREAM_ERROR = "X-Stream-Error"


class StreamAborted(IPFSKitError):
    """Raised to cut a response whose stream failed after it began (no trailers)."""


def json_line(value: Any) -> bytes:
    """One value as Go's ``json.Encoder`` writes it: compact, newline-terminated."""
    return (json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def ndjson(values: Iterable[Any]) -> Iterator[bytes]:
    """Each value as one JSON line."""
    for value in values:
        yield json_line(value)


class StreamResponse(Response):
    """A response whose headers wait for the first chunk (see the module docstring).

    ``body`` is a sync iterator (run in the thread pool) or an async iterator of
    byte chunks. ``kind`` is ``"output"`` (a byte stream) or ``"values"`` (NDJSON).
    """

    def __init__(
        self,
        body: Iterator[bytes] | AsyncIterator[bytes],
        *,
        kind: str = "values",
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=200, headers=headers)
        self.kind = kind
        if media_type is None:
            media_type = "application/json" if kind == "values" else "text/plain"
        self.media_type = media_type
        self._body = body if isinstance(body, AsyncIterator) else iterate_in_threadpool(body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._body
        try:
            first = await anext(body, None)
        except Exception as exc:
            await error_response(exc)(scope, receive, send)
            return
        trailers = "http.response.trailers" in scope.get("extensions", {})
        headers = dict(self.headers)
        headers["content-type"] = self.media_type or "text/plain"
        headers["trailer"] = STREAM_ERROR
        headers["x-stream-output" if self.kind == "output" else "x-chunked-output"] = "1"
        headers.pop("content-length", None)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
                "trailers": trailers,
            }
        )
        failure: Exception | None = None
        try:
            if first:
                await send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in body:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception as exc:
            failure = exc
        if failure is not None:
            _, err, _ = error_for(failure)
            if self.kind == "values":
                line = json_line(err)
                await send({"type": "http.response.body", "body": line, "more_body": True})
        if failure is not None and not trailers:
            # no way to signal the failure but to cut the body before its last chunk
            raise StreamAborted(f"stream failed after it began: {err['Message']}") from None
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if trailers:
            value = err["Message"].encode("utf-8", "replace") if failure is not None else b""
            await send(
                {
                    "type": "http.response.trailers",
                    "headers": [(STREAM_ERROR.lower().encode(), value)] if failure else [],
                    "more_trailers": False,
                }
            )


class _End:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException | None) -> None:
        self.exc = exc


class _Stopped(Exception):
    pass


def pushed(produce: Callable[[Callable[[T], None]], object], *, depth: int = 16) -> Iterator[T]:
    """Run ``produce(push)`` on its own thread and yield what it pushes, in order.

    At most ``depth`` items wait in between, so a slow reader slows the producer.
    The producer's exception is raised here after the items before it; if the
    reader stops early, the producer's next ``push`` raises and it unwinds.
    """
    items: queue.Queue[object] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: object) -> None:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                items.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def run() -> None:
        end = _End(None)
        try:
            produce(put)
        except _Stopped:
            return
        except BaseException as exc:
            end = _End(exc)
        with contextlib.suppress(_Stopped):
            put(end)

    thread = threading.Thread(target=run, name="ipfs-kit-rpc-stream", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _End):
                if item.exc is not None:
                    raise item.exc
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()


class PushWriter(io.RawIOBase):
    """A writable stream that pushes what is written in pieces of ``size`` bytes."""

    def __init__(self, push: Callable[[bytes], None], size: int = 1 << 16) -> None:
        super().__init__()
        self._push = push
        self._size = size
        self._buf = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buf += view
        if len(self._buf) >= self._size:
            self.flush()
        return len(view)

    def flush(self) -> None:
        if self._buf:
            self._push(bytes(self._buf))
            self._buf.clear()
