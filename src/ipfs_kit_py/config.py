"""Node configuration: typed values, and where they come from.

Precedence, highest first: explicit arguments, ``IPFS_KIT_*`` environment
variables, the repo's config file (TOML; YAML or JSON accepted), defaults. A
node role (``master``, ``worker``, ``leecher``) is a profile of defaults that
sits just above the built-in ones. Nothing is read at import time: everything
happens in :func:`load_config`.

Keys are ``section.name`` (``blockstore.sync``); the environment variable for a
key is ``IPFS_KIT_`` + the key upper-cased with ``.`` as ``_``
(``IPFS_KIT_BLOCKSTORE_SYNC=0``). Unknown keys are errors, not silently ignored:
a typo in a config file should never mean "defaults".
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from ipfs_kit_py.errors import ConfigError

__all__ = [
    "CONFIG_FILENAMES",
    "ROLES",
    "BlockstoreConfig",
    "Config",
    "ServerConfig",
    "default_repo_path",
    "dump_config",
    "load_config",
]

Role = Literal["master", "worker", "leecher"]
ROLES: tuple[str, ...] = get_args(Role)
#: Looked for in this order inside a repo.
CONFIG_FILENAMES = ("config.toml", "config.yaml", "config.yml", "config.json")
_ENV_PREFIX = "IPFS_KIT_"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockstoreConfig:
    """How blocks are kept on disk.

    Attributes:
        sync: fsync each block (and its directory once per batch) before an add returns.
        verify: hash-check every block read (cheap; turn off only for trusted benchmarks).
    """

    sync: bool = True
    verify: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """What the daemon (``ipfs-kit daemon``) listens on and lets in.

    Attributes:
        rpc: the RPC API's ``host:port`` (or a multiaddr ``/ip4/H/tcp/P``); port 0
            picks a free one.
        gateway: the gateway's address, likewise; an empty string serves no gateway.
        token: the bearer token every RPC request must carry, when set. Without one
            the RPC API refuses to listen anywhere but loopback.
        cors_origins: origins (comma-separated, ``*`` for any) allowed to call the
            RPC API and read the gateway from a browser; empty turns CORS off.
        max_header_bytes: largest request head (request line and headers) accepted.
        max_body_bytes: largest request body accepted by the RPC API; 0 means no
            limit beyond each command's own (``block put`` takes at most 2 MiB).
    """

    rpc: str = "127.0.0.1:5001"
    gateway: str = "127.0.0.1:8080"
    token: str | None = None
    cors_origins: str = ""
    max_header_bytes: int = 16384
    max_body_bytes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything a node reads from its configuration.

    Attributes:
        role: ``master`` (keeps the authoritative pins and index, serves peers),
            ``worker`` (stores and serves what it is given) or ``leecher`` (fetches,
            caches, serves nobody).
        profile: UnixFS import profile for adds (``unixfs-v1-2025`` or ``unixfs-v0-2015``).
        serve: whether the daemon answers other nodes' block requests (the role sets it).
        replication: how many nodes a pin should live on (used by clustering later).
    """

    role: Role = "master"
    profile: str = "unixfs-v1-2025"
    serve: bool = True
    replication: int = 1
    blockstore: BlockstoreConfig = field(default_factory=BlockstoreConfig)
    server: ServerConfig = field(default_factory=ServerConfig)


#: Defaults each role changes.
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "master": {"serve": True, "replication": 3},
    "worker": {"serve": True, "replication": 1},
    "leecher": {"serve": False, "replication": 1},
}


def default_repo_path(env: Mapping[str, str] | None = None) -> Path:
    """``$IPFS_KIT_PATH``, else ``~/.ipfs-kit``."""
    env = os.environ if env is None else env
    value = env.get("IPFS_KIT_PATH")
    return Path(value).expanduser() if value else Path.home() / ".ipfs-kit"


def _keys(cls: type[Any] = Config, prefix: str = "") -> dict[str, Any]:
    """Every leaf key (``blockstore.sync``) with its field type."""
    out: dict[str, Any] = {}
    for name, kind in get_type_hints(cls).items():
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            out |= _keys(kind, f"{prefix}{name}.")
        else:
            out[prefix + name] = kind
    return out


_NESTED = {f.name: f.default_factory for f in fields(Config) if callable(f.default_factory)}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = prefix + str(key)
        if isinstance(value, Mapping):
            out |= _flatten(value, dotted + ".")
        else:
            out[dotted] = value
    return out


def _coerce(key: str, kind: Any, value: Any, where: str) -> Any:
    """``value`` as the type of ``key``; strings (from the environment) are parsed."""
    choices = get_args(kind) if get_origin(kind) is Literal else ()
    kind = "Role" if choices else getattr(kind, "__name__", str(kind))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif kind == "Role":
        if value in ROLES:
            return value
        raise ConfigError(f"{where}: {key} must be one of {', '.join(ROLES)}, not {value!r}")
    elif kind in ("str", "str | None"):
        if isinstance(value, str):
            return value
        if value is None and kind == "str | None":
            return None
    raise ConfigError(f"{where}: {key} must be {kind}, not {value!r}")


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            try:
                import yaml  # type: ignore[import-untyped]
            except ImportError:
                raise ConfigError(
                    f"{path}: reading YAML needs PyYAML (pip install pyyaml)"
                ) from None
            data = yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError) as err:
        raise ConfigError(f"{path}: {err}") from err
    except Exception as err:  # yaml.YAMLError, without importing yaml up front
        raise ConfigError(f"{path}: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a table of keys")
    return data


def config_file(repo: Path) -> Path | None:
    """The config file inside ``repo``, if any."""
    return next((repo / n for n in CONFIG_FILENAMES if (repo / n).is_file()), None)


def load_config(
    repo: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """The effective configuration of the repo at ``repo``.

    ``overrides`` are keys with ``.`` written as ``__`` (``blockstore__sync=False``)
    or top-level names (``role="worker"``).

    >>> load_config(env={"IPFS_KIT_BLOCKSTORE_SYNC": "0"}, role="leecher").blockstore.sync
    False
    >>> load_config(env={}, role="leecher").serve
    False
    """
    env = os.environ if env is None else env
    known = _keys()
    layers: list[tuple[str, dict[str, Any]]] = []
    path = config_file(repo) if repo is not None else None
    if path is not None:
        layers.append((str(path), _flatten(_read_file(path))))
    from_env = {}
    for key in known:
        name = _ENV_PREFIX + key.upper().replace(".", "_")
        if name in env:
            from_env[key] = env[name]
    layers.append(("environment", from_env))
    layers.append(("arguments", {k.replace("__", "."): v for k, v in overrides.items()}))

    values: dict[str, Any] = {}
    for where, layer in layers:
        for key, value in layer.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown config key {key!r}")
            values[key] = _coerce(key, known[key], value, where)
    role = values.get("role", "master")
    merged = {**ROLE_DEFAULTS[role], **values}
    top = {k: v for k, v in merged.items() if "." not in k}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in merged.items():
        if "." in key:
            section, name = key.split(".", 1)
            nested.setdefault(section, {})[name] = value
    parts = {section: _NESTED[section]() for section in _NESTED}
    for section, items in nested.items():
        parts[section] = dataclasses.replace(parts[section], **items)
    return Config(**top, **parts)


def dump_config(config: Config) -> str:
    """``config`` as the TOML ``ipfs-kit init`` writes (``None`` values left out).

    >>> print(dump_config(Config()).splitlines()[0])
    role = "master"
    """
    lines: list[str] = []
    sections: list[str] = []
    for f in fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            body = [
                f"{g.name} = {_toml(getattr(value, g.name))}"
                for g in fields(value)
                if getattr(value, g.name) is not None
            ]
            sections += ["", f"[{f.name}]", *body]
        else:
            lines.append(f"{f.name} = {_toml(value)}")
    return "\n".join(lines + sections) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))
