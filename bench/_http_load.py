"""A small HTTP/1.1 load generator: asyncio, raw sockets, keep-alive, no parser library.

Written for ``bench/gateway.py``, where the client shares two cores with the server it
measures, so it has to be cheap: every connection is an :class:`asyncio.BufferedProtocol`
that receives into one preallocated buffer and parses in place (``bytearray.find`` on
the buffer, no per-read ``bytes`` objects, no copies of the body), so the cost per byte
is the kernel's copy plus an optional ``hashlib`` update. It speaks just enough
HTTP/1.1 for GETs: ``Content-Length`` and ``chunked`` bodies, bodies delimited by
close (HTTP/1.0 servers), ``Connection: close``; no pipelining, no redirects, no TLS.

:func:`run_load` opens ``concurrency`` connections (untimed), then the workers take
requests from one shared list until it is empty, each waiting for its response before
sending the next (or until ``max_seconds`` have passed); it returns wall time, bytes,
per-request latency (request written to last body byte) and time to first byte, and this
process's CPU time over the run.
:func:`fetch` makes one request and can hash the body (sha256) to check the bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadError", "LoadResult", "Request", "Response", "fetch", "run_load"]

BUFSIZE = 1 << 18  # bytes per receive: 256 KiB
_HEAD, _LENGTH, _CLOSE, _SIZE, _CHUNK, _CHUNK_END, _TRAILER, _IDLE = range(8)
_MAX_HEAD = 1 << 16


class LoadError(RuntimeError):
    """A response that is not what the request expects, or a broken connection."""


@dataclass(frozen=True, slots=True)
class Request:
    """One GET: the path (with query), extra headers, and what a good answer is."""

    path: str
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200
    length: int | None = None  # the body length a good answer has, when known


@dataclass(frozen=True, slots=True)
class Response:
    """What :func:`fetch` got back."""

    status: int
    headers: dict[str, str]
    length: int
    sha256: str | None
    ttfb: float
    seconds: float


@dataclass(slots=True)
class LoadResult:
    """One :func:`run_load`: totals, per-request timings and the client's own CPU time."""

    concurrency: int
    requests: int
    bytes: int
    seconds: float
    client_cpu_s: float
    latencies: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)

    @property
    def mbps(self) -> float:
        return self.bytes / 1e6 / self.seconds

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


class _Conn(asyncio.BufferedProtocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self._buf = bytearray(BUFSIZE)
        self._view = memoryview(self._buf)
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[None] | None = None
        self._state = _IDLE
        self._head = bytearray()
        self._line = bytearray()
        self._left = 0
        self._hash: Any = None
        self.reusable = True
        self.status = 0
        self.headers: dict[str, str] = {}
        self.length = 0
        self.t_first = 0.0

    # -- asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self._feed(nbytes)
        except LoadError as err:
            self._fail(err)

    def eof_received(self) -> bool:
        self.reusable = False
        if self._state == _CLOSE:
            self._finish()
        elif self._state != _IDLE:
            self._fail(LoadError("the server closed the connection mid-response"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._state == _CLOSE:
            self._finish()
        elif self._state != _IDLE:
            self._fail(LoadError(f"connection lost mid-response: {exc!r}"))

    # -- requests ---------------------------------------------------------------------

    async def request(self, raw: bytes, *, hash_body: bool = False) -> None:
        """Send ``raw`` and wait for the whole response (fills status, headers, length)."""
        if self._transport is None or not self.reusable:
            raise LoadError("the connection is closed")
        self._waiter = self._loop.create_future()
        self._state, self._head, self.length, self.t_first = _HEAD, bytearray(), 0, 0.0
        self._hash = hashlib.sha256() if hash_body else None
        self._transport.write(raw)
        await self._waiter

    @property
    def sha256(self) -> str | None:
        return None if self._hash is None else str(self._hash.hexdigest())

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # -- parsing ----------------------------------------------------------------------

    def _feed(self, n: int) -> None:
        if self._state == _IDLE:
            raise LoadError("bytes from the server with no request in flight")
        i = 0
        if self._state == _HEAD:
            if not self._head:
                self.t_first = time.perf_counter()
            start = max(0, len(self._head) - 3)
            self._head += self._view[:n]
            end = self._head.find(b"\r\n\r\n", start)
            if end < 0:
                if len(self._head) > _MAX_HEAD:
                    raise LoadError("response head too long")
                return
            i = n - (len(self._head) - end - 4)  # where the body starts in the buffer
            self._parse_head(bytes(self._head[:end]))
        self._body(i, n)

    def _parse_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        self.status = int(rest[:3])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        conn = self.headers.get("connection", "").lower()
        if conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive"):
            self.reusable = False
        if self.status in (204, 304) or 100 <= self.status < 200:
            self._state, self._left = _LENGTH, 0
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._state = _SIZE
        elif "content-length" in self.headers:
            self._state, self._left = _LENGTH, int(self.headers["content-length"])
        else:
            self._state, self.reusable = _CLOSE, False
        if self._state == _LENGTH and self._left == 0:
            self._finish()

    def _body(self, i: int, n: int) -> None:
        buf, view = self._buf, self._view
        while i < n:
            state = self._state
            if state in (_LENGTH, _CHUNK):
                take = min(n - i, self._left)
                if self._hash is not None:
                    self._hash.update(view[i : i + take])
                self.length += take
                self._left -= take
                i += take
                if self._left == 0:
                    if state == _LENGTH:
                        self._finish()
                    else:
                        self._state = _CHUNK_END
            elif state == _CLOSE:
                if self._hash is not None:
                    self._hash.update(view[i:n])
                self.length += n - i
                i = n
            elif state == _IDLE:
                raise LoadError(f"{n - i} bytes after the end of the response")
            else:  # a line: chunk size, the CRLF after a chunk, or a trailer
                j = buf.find(b"\n", i, n)
                if j < 0:
                    self._line += view[i:n]
                    if len(self._line) > _MAX_HEAD:
                        raise LoadError("chunk line too long")
                    return
                line = bytes(self._line + view[i:j]).rstrip(b"\r")
                self._line = bytearray()
                i = j + 1
                self._on_line(line)

    def _on_line(self, line: bytes) -> None:
        if self._state == _SIZE:
            size = int(line.split(b";", 1)[0].strip(), 16)
            self._state, self._left = (_CHUNK, size) if size else (_TRAILER, 0)
        elif self._state == _CHUNK_END:
            if line:
                raise LoadError("no CRLF after a chunk")
            self._state = _SIZE
        elif not line:  # the empty line that ends the trailers
            self._finish()

    def _finish(self) -> None:
        self._state = _IDLE
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, err: Exception) -> None:
        self._state, self.reusable = _IDLE, False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(err)
        if self._transport is not None:
            self._transport.close()


def _raw(host: str, port: int, req: Request) -> bytes:
    lines = [f"GET {req.path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in req.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connect(host: str, port: int) -> _Conn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_Conn, host, port)
    return conn


def _check(conn: _Conn, req: Request) -> None:
    if conn.status != req.status:
        raise LoadError(f"GET {req.path}: status {conn.status}, expected {req.status}")
    if req.length is not None and conn.length != req.length:
        raise LoadError(f"GET {req.path}: {conn.length} body bytes, expected {req.length}")


async def _fetch(host: str, port: int, req: Request, hash_body: bool) -> Response:
    conn = await _connect(host, port)
    try:
        t0 = time.perf_counter()
        await conn.request(_raw(host, port, req), hash_body=hash_body)
        t1 = time.perf_counter()
    finally:
        conn.close()
    return Response(conn.status, conn.headers, conn.length, conn.sha256, conn.t_first - t0, t1 - t0)


def fetch(host: str, port: int, req: Request, *, hash_body: bool = True) -> Response:
    """One request on a new connection (status not checked); the body's sha256 if asked."""
    return asyncio.run(_fetch(host, port, req, hash_body))


async def _run(
    host: str, port: int, reqs: Sequence[Request], concurrency: int, max_seconds: float | None
) -> LoadResult:
    raws = [_raw(host, port, r) for r in reqs]
    conns = [await _connect(host, port) for _ in range(concurrency)]
    work = iter(range(len(reqs)))
    latencies: list[float] = []
    ttfb: list[float] = []
    total = 0
    deadline = float("inf")

    async def worker(k: int) -> None:
        nonlocal total
        for i in work:  # one iterator shared by all workers: each takes the next request
            conn = conns[k]
            if not conn.reusable:
                conn.close()
                conn = conns[k] = await _connect(host, port)
            t0 = time.perf_counter()
            await conn.request(raws[i])
            t1 = time.perf_counter()
            _check(conn, reqs[i])
            latencies.append(t1 - t0)
            ttfb.append(conn.t_first - t0)
            total += conn.length
            if t1 > deadline:
                return

    cpu0, t0 = time.process_time(), time.perf_counter()
    if max_seconds is not None:
        deadline = t0 + max_seconds
    try:
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        for conn in conns:
            conn.close()
    return LoadResult(concurrency, len(latencies), total, seconds, cpu, latencies, ttfb)


def run_load(
    host: str,
    port: int,
    reqs: Sequence[Request],
    concurrency: int,
    *,
    max_seconds: float | None = None,
) -> LoadResult:
    """Send ``reqs`` over ``concurrency`` keep-alive connections; every answer is checked
    against its :class:`Request` (status, body length) and a bad one raises
    :class:`LoadError`. With ``max_seconds``, no request is started after that long
    (the result then counts fewer requests than ``reqs``)."""
    if concurrency < 1:
        raise ValueError("concurrency must be positive")
    return asyncio.run(_run(host, port, reqs, min(concurrency, len(reqs)), max_seconds))
