"""Kubo's argument conventions for FastAPI endpoints.

Every command is ``POST /api/v0/<cmd>`` with its positional arguments as repeated
``arg`` query parameters and its options as query parameters named like Kubo's
flags (``cid-version``, ``raw-leaves``, ...). Kubo's boolean options also accept
a bare ``?flag`` (go-ipfs-cmds parses the empty string as true); FastAPI does not,
so :func:`normalize_bool_flags` rewrites ``flag`` / ``flag=`` to ``flag=true`` for
the options each route declares as booleans before FastAPI sees the query. As in
Kubo, options a command does not know are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Query
from fastapi.routing import APIRoute

from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import InvalidCIDError
from ipfs_kit_py.rpc._errors import RPCError

__all__ = [
    "Args",
    "OneArg",
    "bool_options",
    "flag",
    "normalize_bool_flags",
    "parse_cid",
]

#: Positional arguments (``?arg=A&arg=B``); at least one.
Args = Annotated[list[str], Query(alias="arg", min_length=1, description="Kubo's positional args")]
#: Exactly one positional argument (``?arg=A``).
OneArg = Annotated[str, Query(alias="arg", description="Kubo's positional argument")]


def flag(name: str, description: str) -> Any:
    """A Kubo option ``name`` (a query parameter of that exact name)."""
    return Query(alias=name, description=description)


def bool_options(route: APIRoute) -> frozenset[str]:
    """The query parameters that ``route`` declares as booleans."""
    names = set()
    for param in route.dependant.query_params:
        if param.field_info.annotation is bool:
            names.add(param.alias)
    return frozenset(names)


def normalize_bool_flags(query: bytes, booleans: frozenset[str]) -> bytes:
    """``?progress&pin=`` → ``?progress=true&pin=true`` for the boolean options."""
    if not booleans or not query:
        return query
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    except ValueError:
        return query
    if not any(k in booleans and v == "" for k, v in pairs):
        return query
    fixed = [(k, "true" if k in booleans and v == "" else v) for k, v in pairs]
    return urlencode(fixed, encoding="latin-1").encode("latin-1")


def parse_cid(text: str) -> CID:
    """A CID argument (``/ipfs/`` prefix allowed); 400 when it is not one."""
    value = text.removeprefix("/ipfs/").split("/", 1)[0]
    try:
        return CID.parse(value)
    except InvalidCIDError:
        raise
    except (ValueError, KeyError, TypeError) as err:
        raise RPCError(f"invalid CID {text!r}: {err}") from err
