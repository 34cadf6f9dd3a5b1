"""Fixtures for the interop tests: the Node.js reference tools under ``tests/interop/js``.

Every fixture here shells out to a real third-party implementation (``@ipld/car``,
``ipfs-car``, ``cardex``) or to our own CLI in a fresh interpreter. Nothing is
mocked. A missing ``node_modules`` is a setup error, not a reason to skip: the
interop suite must not pass silently on a machine where it cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TIMEOUT_S = 120
JS_DIR = Path(__file__).resolve().parent / "js"
SETUP_HINT = "run `make test` (npm ci in tests/interop/js)"

#: ``car-read.mjs`` output: ``{"version": int, "roots": [str], "blocks": [{"cid", "bytes"}]}``.
CarDump = dict[str, Any]
#: ``carv2-index.mjs read`` output: one dict per record, in stored order.
IndexRecords = list[dict[str, Any]]


def run_checked(
    cmd: Sequence[str | os.PathLike[str]], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with a timeout; on a non-zero exit fail the test with its stderr."""
    argv = [os.fspath(a) for a in cmd]
    try:
        return subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=True,
        )
    except subprocess.CalledProcessError as err:
        pytest.fail(
            f"command failed with exit status {err.returncode}: {' '.join(argv)}\n"
            f"--- stdout ---\n{err.stdout}\n--- stderr ---\n{err.stderr}",
            pytrace=False,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"command timed out after {TIMEOUT_S} s: {' '.join(argv)}\n{err.stderr!r}")


@dataclass(frozen=True, slots=True)
class JsHarness:
    """Where ``node`` and the harness scripts are."""

    node: str
    root: Path

    def script(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="session")
def js_harness() -> JsHarness:
    """Locate ``node`` and the JS harness; fail (never skip) if it is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"`node` (Node.js >= 20) is not on PATH; {SETUP_HINT}", pytrace=False)
    modules = JS_DIR / "node_modules"
    required = (
        *("@ipld/car", "ipfs-car", "cardex", "multiformats", "varint"),
        *("kubo-rpc-client", "helia", "@helia/http", "@helia/unixfs", "@helia/verified-fetch"),
    )
    missing = [name for name in required if not (modules / name / "package.json").is_file()]
    if missing or not (modules / ".bin" / "ipfs-car").exists():
        pytest.fail(
            f"JS interop harness is not installed: {modules} lacks "
            f"{missing or ['.bin/ipfs-car']}; {SETUP_HINT}",
            pytrace=False,
        )
    return JsHarness(node, JS_DIR)


@pytest.fixture(scope="session")
def car_read(js_harness: JsHarness) -> Callable[[Path], CarDump]:
    """``car_read(path)``: what ``@ipld/car`` reads from a CARv1/CARv2 file."""

    def read(path: Path) -> CarDump:
        out = run_checked([js_harness.node, js_harness.script("car-read.mjs"), path])
        result: CarDump = json.loads(out.stdout)
        return result

    return read


@pytest.fixture(scope="session")
def car_write(js_harness: JsHarness) -> Callable[[CarDump, Path], None]:
    """``car_write(spec, out)``: write a CARv1 with ``@ipld/car``'s ``CarWriter``."""

    def write(spec: CarDump, out: Path) -> None:
        run_checked(
            [js_harness.node, js_harness.script("car-write.mjs"), "-", out],
            stdin=json.dumps(spec),
        )

    return write


@pytest.fixture(scope="session")
def ipfs_car_pack(js_harness: JsHarness) -> Callable[[Path, Path, Sequence[str]], str]:
    """``ipfs_car_pack(src, out, flags)``: run ``ipfs-car pack``; returns the root CID it prints."""

    def pack(src: Path, out: Path, flags: Sequence[str]) -> str:
        proc = run_checked(["bash", js_harness.script("pack.sh"), src, out, *flags])
        return proc.stdout.strip()

    return pack


@pytest.fixture(scope="session")
def cardex_write(js_harness: JsHarness) -> Callable[[Path, Path, str], bytes]:
    """``cardex_write(car, out, format)``: go-car compatible index of ``car``; returns its bytes."""

    def write(car: Path, out: Path, fmt: str) -> bytes:
        script = js_harness.script("carv2-index.mjs")
        run_checked([js_harness.node, script, "write", "--format", fmt, car, out])
        return out.read_bytes()

    return write


@pytest.fixture(scope="session")
def cardex_read(js_harness: JsHarness) -> Callable[[Path], IndexRecords]:
    """``cardex_read(path)``: the records of a bare index or of a CARv2's index."""

    def read(path: Path) -> IndexRecords:
        out = run_checked([js_harness.node, js_harness.script("carv2-index.mjs"), "read", path])
        records: IndexRecords = json.loads(out.stdout)
        return records

    return read


@pytest.fixture(scope="session")
def kit_cli() -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
    """``kit_cli(args)``: run ``python -m ipfs_kit_py ARGS`` (exit status not checked)."""

    def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ipfs_kit_py", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )

    return run


#: ``unixfs-add.mjs`` output: ``{"root": str, "entries": [{"path", "cid", "size"}]}``.
UnixfsAdd = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def unixfs_add(js_harness: JsHarness) -> UnixfsAdd:
    """Import a path with the JS reference importer (``ipfs-unixfs-importer``)."""

    def add(path: Path, *args: str) -> dict[str, Any]:
        cmd = [js_harness.node, js_harness.script("unixfs-add.mjs"), *args, path]
        result: dict[str, Any] = json.loads(run_checked(cmd).stdout)
        return result

    return add


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh Kubo repo per test module; fail (never skip) when Kubo cannot run here."""
    from helpers.kubo import kubo_available

    reason = kubo_available()
    if reason is not None:
        pytest.fail(f"Kubo harness unavailable: {reason}", pytrace=False)
    return tmp_path_factory.mktemp("kubo") / "repo"
