"""The public surface: what each package exports, and that importing stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import ipfs_kit_py

PACKAGES = [
    "ipfs_kit_py",
    "ipfs_kit_py.cid",
    "ipfs_kit_py.codecs",
    "ipfs_kit_py.car",
    "ipfs_kit_py.errors",
    "ipfs_kit_py.blockstore",
    "ipfs_kit_py.pinning",
    "ipfs_kit_py.config",
    "ipfs_kit_py.node",
    "ipfs_kit_py.api",
    "ipfs_kit_py.unixfs",
    "ipfs_kit_py.fs",
    "ipfs_kit_py.hub",
]


def test_top_level_exports() -> None:
    assert sorted(ipfs_kit_py.__all__) == [
        "Block",
        "CID",
        "IPFSKitError",
        "IPFSSimpleAPI",
        "__version__",
    ]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_import_is_light_and_offline() -> None:
    code = (
        "import sys, ipfs_kit_py, ipfs_kit_py.car;"
        "heavy = {'multiformats', 'click', 'cbor2', 'dag_cbor', 'blake3', 'socket', 'numpy',"
        " 'rich', 'sqlite3', 'ipfs_kit_py.api'};"
        "heavy &= set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_fs_and_hub_import_no_ml_library() -> None:
    """The registries and ``ipfs://`` import pyarrow, pandas, torch and friends only
    in the calls that hand data to them."""
    code = (
        "import sys, fsspec, ipfs_kit_py.hub, ipfs_kit_py.fs;"
        "fsspec.get_filesystem_class('ipfs');"
        "heavy = {'pyarrow', 'pandas', 'torch', 'transformers', 'datasets',"
        " 'sentence_transformers', 'safetensors', 'duckdb'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_ipfs_protocol_is_ours() -> None:
    import fsspec

    from ipfs_kit_py.fs import IPFSFileSystem

    assert fsspec.get_filesystem_class("ipfs") is IPFSFileSystem


def test_errors_inherit_builtins_and_have_codes() -> None:
    from ipfs_kit_py import errors

    assert issubclass(errors.InvalidCIDError, ValueError)
    assert issubclass(errors.BlockNotFoundError, KeyError)
    assert issubclass(errors.UnsupportedError, NotImplementedError)
    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    assert set(codes) == set(errors.HTTP_STATUS) == set(errors.EXIT_STATUS)
    assert str(errors.BlockNotFoundError("no block")) == "no block"  # not KeyError's repr
