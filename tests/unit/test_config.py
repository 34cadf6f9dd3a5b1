"""Config precedence: arguments > IPFS_KIT_* environment > config file > role > defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipfs_kit_py.config import Config, default_repo_path, dump_config, load_config
from ipfs_kit_py.errors import ConfigError


def test_defaults_and_roles() -> None:
    assert load_config(env={}) == Config(replication=3)  # master is the default role
    leecher = load_config(env={}, role="leecher")
    assert (leecher.serve, leecher.replication) == (False, 1)


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'role = "worker"\nprofile = "unixfs-v0-2015"\n[blockstore]\nsync = false\n'
    )
    from_file = load_config(tmp_path, env={})
    assert (from_file.role, from_file.profile, from_file.blockstore.sync) == (
        "worker",
        "unixfs-v0-2015",
        False,
    )
    env = {"IPFS_KIT_BLOCKSTORE_SYNC": "yes", "IPFS_KIT_REPLICATION": "5"}
    from_env = load_config(tmp_path, env=env)
    assert (from_env.blockstore.sync, from_env.replication) == (True, 5)
    explicit = load_config(tmp_path, env=env, blockstore__sync=False, replication=2)
    assert (explicit.blockstore.sync, explicit.replication) == (False, 2)
    assert explicit.role == "worker"  # untouched keys still come from the file


@pytest.mark.parametrize(
    ("name", "text"),
    [("config.json", json.dumps({"role": "leecher", "server": {"token": "t"}}))],
)
def test_json_config(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    config = load_config(tmp_path, env={})
    assert (config.role, config.server.token, config.serve) == ("leecher", "t", False)


def test_written_config_reads_back(tmp_path: Path) -> None:
    config = load_config(env={}, role="worker", server__token="secret", blockstore__verify=False)
    (tmp_path / "config.toml").write_text(dump_config(config))
    assert load_config(tmp_path, env={}) == config


@pytest.mark.parametrize(
    ("env", "overrides", "file"),
    [
        ({"IPFS_KIT_ROLE": "boss"}, {}, None),
        ({"IPFS_KIT_BLOCKSTORE_SYNC": "maybe"}, {}, None),
        ({"IPFS_KIT_REPLICATION": "three"}, {}, None),
        ({}, {"colour": "blue"}, None),
        ({}, {}, "[blockstore]\nsink = true\n"),  # a typo is an error, never a default
        ({}, {}, "role = \n"),  # malformed TOML
        ({}, {}, "replication = true\n"),  # wrong type
    ],
)
def test_bad_config_is_a_typed_error(
    tmp_path: Path, env: dict[str, str], overrides: dict[str, object], file: str | None
) -> None:
    if file is not None:
        (tmp_path / "config.toml").write_text(file)
    with pytest.raises(ConfigError):
        load_config(tmp_path, env=env, **overrides)


def test_repo_path_from_environment(tmp_path: Path) -> None:
    assert default_repo_path({"IPFS_KIT_PATH": str(tmp_path)}) == tmp_path
    assert default_repo_path({}).name == ".ipfs-kit"
