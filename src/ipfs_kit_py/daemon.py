"""``ipfs-kit daemon``: one process serving the RPC API and the gateway over a repo.

Design note
-----------
The daemon owns the repo (it holds ``repo.lock`` for as long as it runs) and serves
two ASGI apps from one event loop with two uvicorn servers: the Kubo-compatible RPC
API (:mod:`ipfs_kit_py.rpc`) and the gateway (:mod:`ipfs_kit_py.gateway`). Sockets
are bound here, before either server starts, so that port 0 resolves to a real port
that is written to the repo's ``api`` file (a multiaddr, as Kubo writes it) and
``gateway`` file (a URL) before anyone is told the daemon is ready. The CLI reads
``api`` to send its commands to a running daemon instead of opening the repo.

Invariants:
- The RPC API never listens on a non-loopback address without a bearer token
  (:class:`~ipfs_kit_py.errors.ConfigError` before anything is bound).
- ``api`` and ``gateway`` exist only while the servers accept connections; they are
  removed on a graceful shutdown (SIGINT, SIGTERM) and ignored by the CLI when the
  repo lock is free (a crash leaves them stale, harmlessly).
- Request heads are limited (``server.max_header_bytes``: 431 beyond it); bodies by
  the RPC app (``server.max_body_bytes`` and per-command caps); at most 1024
  connections per server at once (503 beyond).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import os
import signal
import socket
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipfs_kit_py.config import ServerConfig
from ipfs_kit_py.errors import ConfigError, IPFSKitError

if TYPE_CHECKING:
    import uvicorn

    from ipfs_kit_py.api import IPFSSimpleAPI

__all__ = ["API_FILE", "GATEWAY_FILE", "Address", "Daemon", "is_loopback", "parse_address"]

#: In the repo while a daemon runs: the RPC API's multiaddr (Kubo's ``$IPFS_PATH/api``).
API_FILE = "api"
#: In the repo while a daemon runs: the gateway's base URL (Kubo's ``$IPFS_PATH/gateway``).
GATEWAY_FILE = "gateway"
#: Connections (and tasks) each server takes at once; more are answered 503.
_MAX_CONNECTIONS = 1024


@dataclass(frozen=True, slots=True)
class Address:
    """A TCP listening address."""

    host: str
    port: int

    @property
    def multiaddr(self) -> str:
        """``/ip4/127.0.0.1/tcp/5001`` (``/ip6/…`` or ``/dns/…`` as the host needs)."""
        try:
            version = ipaddress.ip_address(self.host).version
        except ValueError:
            return f"/dns/{self.host}/tcp/{self.port}"
        return f"/ip{version}/{self.host}/tcp/{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:5001`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def parse_address(text: str) -> Address:
    """``host:port``, ``[v6]:port`` or a multiaddr (``/ip4/H/tcp/P``, ``/ip6/…``, ``/dns/…``).

    >>> parse_address("/ip4/127.0.0.1/tcp/0")
    Address(host='127.0.0.1', port=0)
    >>> parse_address("[::1]:5001").multiaddr
    '/ip6/::1/tcp/5001'
    """
    text = text.strip()
    if text.startswith("/"):
        parts = text.split("/")
        if len(parts) != 5 or parts[1] not in ("ip4", "ip6", "dns", "dns4", "dns6"):
            raise ConfigError(f"unsupported listen multiaddr {text!r}: use /ip4/H/tcp/P")
        if parts[3] != "tcp":
            raise ConfigError(f"unsupported listen multiaddr {text!r}: only tcp is served")
        host, port_text = parts[2], parts[4]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or not host:
            raise ConfigError(f"listen address {text!r} is not host:port")
        host = host.removeprefix("[").removesuffix("]")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"listen address {text!r}: port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"listen address {text!r}: port out of range")
    return Address(host, port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine (``localhost``, 127/8, ``::1``).

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(address: Address) -> socket.socket:
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    # IPPROTO_TCP named outright: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says so (proto 0 does not), and without it every small
    # response waits ~40 ms for the client's delayed ACK between its head and its body
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address.host, address.port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {address.multiaddr}: {err.strerror}") from err
    sock.set_inheritable(True)
    return sock


class Daemon:
    """The RPC API and (unless ``config.gateway`` is empty) the gateway, over ``api``.

    ``run`` blocks until SIGINT or SIGTERM (or :meth:`stop`), then shuts both down,
    letting requests in flight finish (up to ``grace`` seconds).
    """

    def __init__(
        self,
        api: IPFSSimpleAPI,
        config: ServerConfig | None = None,
        *,
        grace: float = 10.0,
    ) -> None:
        self.api = api
        self.config = config or api.node.config.server
        self.grace = grace
        rpc = parse_address(self.config.rpc)
        if not is_loopback(rpc.host) and not self.config.token:
            raise ConfigError(
                f"refusing to serve the RPC API on {rpc.multiaddr} without a token: "
                "anyone who can reach it could add, pin and delete; set server.token "
                "(IPFS_KIT_SERVER_TOKEN) or listen on 127.0.0.1"
            )
        self._rpc_address = rpc
        self._gateway_address = parse_address(self.config.gateway) if self.config.gateway else None
        self.rpc_address: Address | None = None  #: bound, once running
        self.gateway_address: Address | None = None  #: bound, once running
        self._servers: list[uvicorn.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @property
    def repo(self) -> Path:
        """The repo directory this daemon owns."""
        return self.api.node.path

    def run(self, ready: Callable[[Daemon], None] | None = None) -> None:
        """Serve until told to stop; ``ready`` is called once both servers accept requests."""
        sockets = [_bind(self._rpc_address)]
        try:
            if self._gateway_address is not None:
                sockets.append(_bind(self._gateway_address))
            self.rpc_address = _bound(sockets[0])
            self.gateway_address = _bound(sockets[1]) if len(sockets) > 1 else None
            asyncio.run(self._serve(sockets, ready))
        finally:
            self._remove_files()
            for sock in sockets:
                sock.close()

    def stop(self) -> None:
        """Ask a running daemon to shut down (thread-safe; idempotent)."""
        self._stopping = True
        for server in self._servers:
            server.should_exit = True

    async def _serve(
        self, sockets: list[socket.socket], ready: Callable[[Daemon], None] | None
    ) -> None:
        from ipfs_kit_py.gateway import create_app as gateway_app
        from ipfs_kit_py.rpc import create_app as rpc_app

        limit = self.config.max_header_bytes
        apps: list[Any] = [_HeadLimit(rpc_app(self.api, self.config), limit)]
        if len(sockets) > 1:
            apps.append(_HeadLimit(gateway_app(self.api, self.config), limit))
        self._servers = [self._server(app) for app in apps]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self._servers, sockets, strict=True)
        ]
        while not all(s.started for s in self._servers):
            if any(t.done() for t in tasks) or self._stopping:
                break
            await asyncio.sleep(0.01)
        else:
            self._write_files()
            if ready is not None:
                ready(self)
        try:
            await asyncio.gather(*tasks)
        finally:
            self.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)

    def _server(self, app: Any) -> uvicorn.Server:
        import uvicorn

        config = uvicorn.Config(
            app,
            http="h11",
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=False,
            h11_max_incomplete_event_size=self.config.max_header_bytes,
            limit_concurrency=_MAX_CONNECTIONS,  # beyond: 503, not exhausted descriptors
            timeout_graceful_shutdown=max(1, round(self.grace)),
        )
        stream_errors = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, _OneLineStreamErrors) for f in stream_errors.filters):
            stream_errors.addFilter(_OneLineStreamErrors())
        return _server_class()(config)

    def _write_files(self) -> None:
        assert self.rpc_address is not None
        _write_atomic(self.repo / API_FILE, self.rpc_address.multiaddr)
        if self.gateway_address is not None:
            _write_atomic(self.repo / GATEWAY_FILE, self.gateway_address.url)

    def _remove_files(self) -> None:
        for name in (API_FILE, GATEWAY_FILE):
            with contextlib.suppress(FileNotFoundError):
                (self.repo / name).unlink()


class _HeadLimit:
    """431 for a request whose line and headers exceed ``limit`` bytes (ASGI).

    h11's own limit only bounds a head still arriving; one that arrives whole in a
    single read passes it, so the complete head is measured here too.
    """

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            size += sum(len(k) + len(v) + 4 for k, v in scope["headers"])
            if size > self.limit:
                body = b"request head too large\n"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 431,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _OneLineStreamErrors(logging.Filter):
    """uvicorn logs a response cut short by our own error (a block that failed its hash
    mid-file) as a full traceback; one line names it well enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        while err is not None and not isinstance(err, IPFSKitError):
            inner = getattr(err, "exceptions", None)  # an ExceptionGroup from a task group
            err = inner[0] if inner else (err.__cause__ or err.__context__)
        if isinstance(err, IPFSKitError):
            record.msg, record.args, record.exc_info = "response cut short: %s", (err,), None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


@functools.cache
def _server_class() -> type[uvicorn.Server]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves signals to the daemon: two servers share one loop and one stop."""

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    return QuietServer


def _bound(sock: socket.socket) -> Address:
    host, port = sock.getsockname()[:2]
    return Address(str(host), int(port))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
