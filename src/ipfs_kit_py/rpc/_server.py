"""The Kubo-compatible RPC API as an ASGI app: routing, the guard, error bodies.

``create_app(api, config)`` mounts every command under ``/api/v0`` and wraps them
in the HTTP rules of go-ipfs-cmds (``http/handler.go``), which Kubo clients rely on:

* only ``POST`` runs a command; any other method gets ``405 - Method Not Allowed``
  with ``Allow: OPTIONS, POST`` (``OPTIONS`` gets 204), as Kubo answers since v0.5;
* a request carrying an ``Origin`` (or ``Referer``) that is not an allowed origin is
  refused with ``403 - Forbidden`` before anything runs: browsers send those on
  cross-site requests, so a web page cannot drive the API of a local node (CSRF).
  Allowed are ``config.cors_origins`` and, as Kubo's defaults do for its web UI,
  the server's own loopback origins; CORS headers are only sent when
  ``cors_origins`` is set (Starlette's ``CORSMiddleware``, POST only);
* with ``config.token`` every request needs ``Authorization: Bearer <token>``
  (compared in constant time; 401 with ``WWW-Authenticate: Bearer`` otherwise);
* ``config.max_body_bytes`` (0: none) is enforced on ``Content-Length`` and while
  the body streams (413); commands add their own caps (2 MiB blocks);
* failures use Kubo's error body (see :mod:`ipfs_kit_py.rpc._errors`); unknown
  commands get Kubo's ``404 page not found``; unknown options are ignored as in
  Kubo, malformed ones are a 400.

The OpenAPI schema is served at ``/api/v0/openapi.json`` (docs at ``/api/v0/docs``),
the only ``GET``s allowed.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipfs_kit_py._version import __version__
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.config import ServerConfig
from ipfs_kit_py.errors import IPFSKitError
from ipfs_kit_py.rpc._commands_dag import router as dag_router
from ipfs_kit_py.rpc._commands_files import router as files_router
from ipfs_kit_py.rpc._commands_repo import router as repo_router
from ipfs_kit_py.rpc._errors import ERR_CLIENT, RPCError, error_body, error_response
from ipfs_kit_py.rpc._params import bool_options, normalize_bool_flags
from ipfs_kit_py.rpc._streaming import json_line

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v0"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"
#: Headers Kubo exposes to browsers (go-ipfs-cmds ``AllowedExposedHeaders``).
EXPOSED = ["X-Stream-Output", "X-Chunked-Output", "X-Content-Length"]


def create_app(api: IPFSSimpleAPI, config: ServerConfig | None = None) -> FastAPI:
    """The RPC API over ``api`` as a FastAPI app (serve it with uvicorn)."""
    config = config or ServerConfig()
    app = FastAPI(
        title="ipfs_kit_py RPC API (Kubo-compatible)",
        version=__version__,
        description="Kubo's /api/v0 commands: POST, arguments as query parameters.",
        openapi_url=OPENAPI_URL,
        docs_url=DOCS_URL,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.api = api
    for router in (files_router, dag_router, repo_router):
        app.include_router(router, prefix=API_PREFIX)
    _install_error_handlers(app)
    booleans = {
        API_PREFIX + route.path: bool_options(route)
        for router in (files_router, dag_router, repo_router)
        for route in router.routes
        if isinstance(route, APIRoute)
    }
    origins = [o.strip() for o in config.cors_origins.split(",") if o.strip()]
    app.add_middleware(_Guard, config=config, origins=origins, booleans=booleans)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Requested-With", "Range"],
            expose_headers=EXPOSED,
        )
    return app


# -- errors --------------------------------------------------------------------------------


def _install_error_handlers(app: FastAPI) -> None:
    async def typed(_: Request, exc: Exception) -> Response:
        return error_response(exc)

    async def invalid(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _json_error(400, _validation_message(exc), "invalid_argument")

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return PlainTextResponse("404 page not found\n", 404)
        if exc.status_code == 405:
            return _method_not_allowed()
        return _json_error(exc.status_code, str(exc.detail), "http")

    app.add_exception_handler(RPCError, typed)
    app.add_exception_handler(IPFSKitError, typed)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, typed)  # "internal error", never a traceback


def _json_error(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None
) -> Response:
    code = ERR_CLIENT if 400 <= status < 500 else 0
    return Response(
        json_line(error_body(message, code, kind)),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _method_not_allowed() -> Response:
    return PlainTextResponse("405 - Method Not Allowed\n", 405, headers={"Allow": "OPTIONS, POST"})


_KINDS = {
    "int_parsing": "int",
    "int_from_float": "int",
    "bool_parsing": "bool",
    "float_parsing": "float",
    "string_type": "string",
}


def _validation_message(exc: RequestValidationError) -> str:
    """Kubo's wording for a bad or missing argument (go-ipfs-cmds ``request.go``)."""
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = loc[1] if len(loc) > 1 and loc[0] == "query" else ".".join(loc)
        kind = err.get("type", "")
        value = err.get("input")
        if kind == "missing":
            if name == "arg":
                return 'argument "arg" is required'
            return f'option "{name}" is required'
        if kind in _KINDS:
            shown = "empty value" if value == "" else f'value "{value}"'
            return f'could not convert {shown} to type "{_KINDS[kind]}" (for option "-{name}")'
        return f'invalid value "{value}" for option "-{name}": {err.get("msg", "invalid")}'
    return "invalid request"


# -- the guard -----------------------------------------------------------------------------


class _Guard:
    """Method, origin, token and body-size rules in front of every command (ASGI)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: ServerConfig,
        origins: list[str],
        booleans: dict[str, frozenset[str]],
    ) -> None:
        self.app = app
        self.config = config
        self.origins = origins
        self.booleans = booleans
        self.expected = f"Bearer {config.token}".encode() if config.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        booleans = self.booleans.get(scope["path"])
        if booleans:
            scope = dict(scope)
            scope["query_string"] = normalize_bool_flags(scope.get("query_string", b""), booleans)
        limit = self.config.max_body_bytes
        if limit > 0:
            receive = _counting(receive, limit)
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, bytes]) -> Response | None:
        method = scope["method"]
        path = scope["path"]
        if method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": "OPTIONS, POST"})
        if method != "POST" and not (method in ("GET", "HEAD") and path in (OPENAPI_URL, DOCS_URL)):
            if path.startswith(API_PREFIX + "/") or path == API_PREFIX:
                return _method_not_allowed()
            return PlainTextResponse("404 page not found\n", 404)
        if not self._origin_allowed(scope, headers):
            return PlainTextResponse("403 - Forbidden\n", 403)
        if self.expected is not None:
            given = headers.get("authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                return _json_error(
                    401,
                    "missing or wrong bearer token",
                    "unauthorized",
                    {"WWW-Authenticate": "Bearer"},
                )
        limit = self.config.max_body_bytes
        length = headers.get("content-length")
        if limit > 0 and length is not None:
            try:
                declared = int(length)
            except ValueError:
                return _json_error(400, "malformed Content-Length", "invalid_input")
            if declared > limit:
                return _json_error(413, f"request body is over the {limit}-byte limit", "too_large")
        return None

    def _origin_allowed(self, scope: Scope, headers: dict[str, bytes]) -> bool:
        allowed = set(self.origins)
        server = scope.get("server")
        if server:
            port = server[1]
            for host in ("127.0.0.1", "localhost", "[::1]"):
                allowed |= {f"http://{host}:{port}", f"https://{host}:{port}"}
        for header in ("origin", "referer"):
            value = headers.get(header)
            if value is None:
                continue
            text = value.decode("latin-1")
            if header == "referer":
                parts = urlsplit(text)
                text = f"{parts.scheme}://{parts.netloc}"
            if "*" not in allowed and text not in allowed:
                return False
        return True


def _counting(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises a 413 once more than ``limit`` body bytes came in."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RPCError(
                    f"request body is over the {limit}-byte limit", 413, kind="too_large"
                )
        return message

    return counted
