"""Which response format a request asks for: ``?format=`` first, then ``Accept``.

``format`` wins over ``Accept`` (path-gateway spec), except that CAR parameters
(``version``, ``order``, ``dups``) are still read from an ``Accept`` that names a CAR,
and the ``car-version`` / ``car-order`` / ``car-dups`` query parameters win over
both. ``Accept`` is read per RFC 9110 §12.5.1: the highest ``q`` among the media
types we serve wins (ties: the order given); ``q=0`` refuses a type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ipfs_kit_py.errors import InvalidInputError

__all__ = ["FORMATS", "CarParams", "Negotiated", "NotAcceptableError", "negotiate"]

#: ``?format=`` values and the media type each stands for.
FORMATS: dict[str, str] = {
    "raw": "application/vnd.ipld.raw",
    "car": "application/vnd.ipld.car",
    "tar": "application/x-tar",
    "dag-json": "application/vnd.ipld.dag-json",
    "dag-cbor": "application/vnd.ipld.dag-cbor",
    "json": "application/json",
    "cbor": "application/cbor",
    "ipns-record": "application/vnd.ipfs.ipns-record",
}
_BY_TYPE = {mime: name for name, mime in FORMATS.items()}
_SUPPORTED = {"raw", "car", "dag-json", "dag-cbor", "json", "cbor"}


class NotAcceptableError(InvalidInputError):
    """The request asks only for formats (or CAR variants) this gateway cannot produce."""

    code = "not_acceptable"


@dataclass(frozen=True, slots=True)
class CarParams:
    """The CAR variant to send: always CARv1 in DFS order; duplicates per ``dups``."""

    dups: bool = False

    @property
    def content_type(self) -> str:
        return f"application/vnd.ipld.car; version=1; order=dfs; dups={'y' if self.dups else 'n'}"


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The chosen format (``None``: the deserialized default) and CAR parameters."""

    format: str | None
    car: CarParams = CarParams()
    from_accept: bool = False  # chosen by Accept alone: answer with Content-Location


def _parse_accept(header: str) -> list[tuple[float, int, str, dict[str, str]]]:
    out: list[tuple[float, int, str, dict[str, str]]] = []
    for index, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        mime = parts[0].lower()
        if not mime:
            continue
        params: dict[str, str] = {}
        for p in parts[1:]:
            key, _, value = p.partition("=")
            params[key.strip().lower()] = value.strip().strip('"').lower()
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 0.0
        out.append((q, index, mime, params))
    return out


def _car_params(params: Mapping[str, str]) -> CarParams | None:
    """The CAR variant ``params`` ask for, or ``None`` when we cannot make it."""
    if params.get("version", "1") != "1":
        return None
    if params.get("order", "dfs") not in ("dfs", "unk", ""):
        return None
    dups = params.get("dups", "n")
    if dups not in ("y", "n"):
        return None
    return CarParams(dups=dups == "y")


def negotiate(query: Mapping[str, str], accept: str | None) -> Negotiated:
    """Pick the response format; raise :class:`NotAcceptableError` (406) or
    :class:`InvalidInputError` (400) for what cannot be served."""
    fmt = query.get("format")
    car_accept: dict[str, str] | None = None
    chosen: str | None = None
    refused_car = False
    for q, _, mime, params in sorted(_parse_accept(accept or ""), key=lambda t: (-t[0], t[1])):
        if q <= 0:
            continue
        name = _BY_TYPE.get(mime)
        if name is None or name not in _SUPPORTED:
            browser = mime in ("*/*", "application/*") or mime.startswith("text/")
            if browser and chosen is None and fmt is None:
                break  # a browser-like Accept: the deserialized default wins
            continue
        if name == "car":
            if _car_params(params) is None:
                refused_car = True
                continue
            car_accept = car_accept if car_accept is not None else params
        if chosen is None:
            chosen = name
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInputError(f"unknown format {fmt!r}")
        if fmt not in _SUPPORTED:
            raise NotAcceptableError(f"format {fmt!r} is not supported by this gateway")
        chosen = fmt
    elif chosen is None and refused_car:
        raise NotAcceptableError("only CARv1 with order=dfs and dups=y|n can be sent")
    if chosen != "car":
        return Negotiated(chosen, from_accept=fmt is None and chosen is not None)
    params = dict(car_accept or {})
    for key in ("version", "order", "dups"):
        if f"car-{key}" in query:
            params[key] = query[f"car-{key}"].lower()
    car = _car_params(params)
    if car is None:
        raise NotAcceptableError("only CARv1 with order=dfs and dups=y|n can be sent")
    return Negotiated("car", car, from_accept=fmt is None)
