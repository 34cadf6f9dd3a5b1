"""Kubo's RPC error body, and the mapping from our typed errors to it.

Kubo (go-ipfs-cmds ``http/responseemitter.go``) answers a failed command with
``{"Message": ..., "Code": N, "Type": "error"}`` where ``Code`` is a
``cmds.ErrorType`` (0 ``ErrNormal``, 1 ``ErrClient``, 2 ``ErrImplementation``,
3 ``ErrRateLimited``, 4 ``ErrForbidden``) and the status is 400 for ``ErrClient``,
500 otherwise. We keep that body and add ``Kind``, our stable error code (clients
that know it can re-raise the typed error; Kubo's clients ignore unknown fields).
Our 4xx statuses (404 for a missing block, 413 for a body over a limit, ...) are
kept rather than flattened to Kubo's 500, and ``unsupported`` (a codec or hash the
caller named that we lack) is a 400 here, so that no hostile input ever looks like
a server fault. Messages are the errors' own one-line texts, never tracebacks.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ipfs_kit_py.errors import HTTP_STATUS, IPFSKitError

__all__ = [
    "ERR_CLIENT",
    "ERR_FORBIDDEN",
    "ERR_NORMAL",
    "RPCError",
    "error_body",
    "error_for",
    "error_response",
]

ERR_NORMAL = 0
ERR_CLIENT = 1
ERR_IMPLEMENTATION = 2
ERR_RATE_LIMITED = 3
ERR_FORBIDDEN = 4


class RPCError(Exception):
    """An error of the RPC layer itself (bad argument, body too large, ...)."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        kind: str = "invalid_input",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind
        self.headers = headers or {}


def _code_for(status: int) -> int:
    if status == 403:
        return ERR_FORBIDDEN
    if status == 429:
        return ERR_RATE_LIMITED
    if status == 501:
        return ERR_IMPLEMENTATION
    return ERR_CLIENT if 400 <= status < 500 else ERR_NORMAL


def _one_line(text: str) -> str:
    return text.splitlines()[0] if text else "error"


def error_for(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, Kubo error body and extra headers for any exception."""
    if isinstance(exc, RPCError):
        status, message, kind, headers = exc.status, exc.message, exc.kind, exc.headers
    elif isinstance(exc, IPFSKitError):
        status, message, kind, headers = HTTP_STATUS.get(exc.code, 500), exc.message, exc.code, {}
        if status == 501:  # a codec, hash or base the caller named that we lack: their call
            status = 400
    else:
        status, message, kind, headers = 500, "internal error", "internal", {}
    return status, error_body(_one_line(message), _code_for(status), kind), headers


def error_body(message: str, code: int = ERR_NORMAL, kind: str | None = None) -> dict[str, Any]:
    """``{"Message", "Code", "Type": "error"}`` (plus ``Kind``, our error code)."""
    body: dict[str, Any] = {"Message": message, "Code": code, "Type": "error"}
    if kind is not None:
        body["Kind"] = kind
    return body


def error_response(exc: BaseException) -> Response:
    """The JSON error response for ``exc``, as Kubo sends it."""
    status, body, headers = error_for(exc)
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n",
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
