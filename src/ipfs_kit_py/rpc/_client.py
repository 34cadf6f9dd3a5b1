"""``RPCClient``: the Kubo RPC API over HTTP, for our daemon or a Kubo one.

Every call is ``POST /api/v0/<command>`` with the arguments as query parameters
(``arg`` repeated), as Kubo's own CLI sends them. Errors come back as Kubo's body
``{"Message", "Code", "Type"}``; our daemon adds ``"Kind"``, the
:class:`~ipfs_kit_py.errors.IPFSKitError` code, so the error is raised here as
the same typed exception the daemon raised. A Kubo daemon's errors, which carry
no kind, are typed by status (404 not found, 400 bad input, else
:class:`~ipfs_kit_py.errors.IPFSKitError`). An error after a stream began arrives
as a final ``{"Type": "error"}`` line (raised typed) or as a body cut short (raised as
:class:`~ipfs_kit_py.errors.IPFSKitError`): httpx does not read HTTP/1.1 trailers, so
Kubo's ``X-Stream-Error`` trailer is never seen here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipfs_kit_py import errors
from ipfs_kit_py.errors import IPFSKitError

if TYPE_CHECKING:
    import httpx

__all__ = ["RPCClient"]

Params = Mapping[str, str | int | bool | Iterable[str] | None]

_BY_CODE: dict[str, type[IPFSKitError]] = {
    cls.code: cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, IPFSKitError)
}
_BY_STATUS: dict[int, type[IPFSKitError]] = {
    400: errors.InvalidInputError,
    404: errors.BlockNotFoundError,
    413: errors.InvalidInputError,
}


def error_from(status: int, body: Any) -> IPFSKitError:
    """The typed error a Kubo-shaped error body (or any body) stands for."""
    message = f"HTTP {status}"
    kind = None
    if isinstance(body, dict):
        message = str(body.get("Message") or message)
        kind = body.get("Kind")
    elif isinstance(body, str) and body.strip():
        message = body.strip()
    cls = _BY_CODE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        cls = _BY_STATUS.get(status, IPFSKitError)
    return cls(message)


def _query(params: Params) -> list[tuple[str, str | int | float | bool | None]]:
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, str | int):
            out.append((key, str(value)))
        else:
            out.extend((key, str(v)) for v in value)
    return out


class RPCClient:
    """A client for the RPC API at ``url`` (``http://127.0.0.1:5001``).

    ``token`` is sent as ``Authorization: Bearer``. Use as a context manager, or
    :meth:`close` it.
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float | None = None) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.url}/api/v0/",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            trust_env=False,  # never route a local daemon through a proxy
        )

    @classmethod
    def for_repo(cls, repo: Path, *, token: str | None = None) -> RPCClient | None:
        """A client for the daemon whose ``api`` file is in ``repo``, if there is one."""
        from ipfs_kit_py.daemon import API_FILE, parse_address

        try:
            text = (repo / API_FILE).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if text.startswith(("http://", "https://")):
            return cls(text, token=token)
        return cls(parse_address(text).url, token=token)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> RPCClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------

    @contextmanager
    def stream(
        self,
        command: str,
        *args: str,
        params: Params | None = None,
        content: Iterable[bytes] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """POST ``command`` and yield the open response (raising its error, if any)."""
        import httpx

        query = _query({"arg": list(args), **(params or {})})
        try:
            with self._http.stream(
                "POST", command, params=query, content=content, headers=headers
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response.status_code, _body(response))
                yield response
        except httpx.TransportError as err:
            raise errors.IPFSKitError(
                f"{command} through the daemon at {self.url} failed: {err}"
            ) from err

    def json(self, command: str, *args: str, **kwargs: Any) -> Any:
        """A command whose answer is one JSON value."""
        with self.stream(command, *args, **kwargs) as response:
            response.read()
            return json.loads(response.content)

    def ndjson(self, command: str, *args: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """A command that streams JSON values, one per line (a stream error raises)."""
        with self.stream(command, *args, **kwargs) as response:
            for line in response.iter_lines():
                if not line.strip():
                    continue
                value = json.loads(line)
                if isinstance(value, dict) and value.get("Type") == "error" and "Message" in value:
                    raise error_from(500, value)
                yield value

    def bytes(self, command: str, *args: str, **kwargs: Any) -> Iterator[bytes]:
        """A command that streams bytes (``cat``, ``block/get``, ``dag/export``, ``get``)."""
        with self.stream(command, *args, **kwargs) as response:
            yield from response.iter_bytes()


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
