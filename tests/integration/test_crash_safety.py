"""Crash safety: SIGKILL a worker mid-add and mid-gc, then check that nothing was lost.

One repo is seeded with pinned objects (``seed-*``) and then reused for every trial,
so damage, if any, accumulates. Each trial starts ``tests/helpers/crash_worker.py``
(a large add, a many-file add, the same with ``--nocopy``, or unpin + gc), waits until
it announces the phase the trial aims at, lets it go on, sleeps a seeded random part
of that phase's length and kills it with SIGKILL. The worker announces each phase
before entering it, so the last announcement read after the kill is where the kill
landed. Then the repo must open (the dead worker's ``repo.lock`` is no obstacle),
sweep its staged temp files, pass ``repo verify``, ``pin verify`` and ``filestore
verify``, keep its metadata index readable and in step with the pins, and read every
pinned object back byte for byte.

With ``sync`` off, a killed process loses nothing either: its writes are in the page
cache, which the kernel still writes out. What ``sync`` buys is surviving a power
loss or kernel crash, which cannot be staged here; the last test shows what such a
loss may leave behind (a truncated or altered block) and that it is caught and named.
"""

from __future__ import annotations

import hashlib
import os
import random
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers.crash_worker import large_bytes, read_tree, tree_files, write_tree
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_key, flatfs_shard
from ipfs_kit_py.blockstore._flatfs import TEMP_DIR
from ipfs_kit_py.cid import CID
from ipfs_kit_py.errors import IntegrityError
from ipfs_kit_py.node import init_repo

WORKER = Path(__file__).parents[1] / "helpers" / "crash_worker.py"
KINDS = ("large", "many", "nocopy", "gc")
#: The phases each kind's kills aim at, in turn (``write`` twice: it is most of an add).
TARGETS = {
    "large": ("write", "pin", "write", "index", "opening"),
    "many": ("write", "pin", "write", "index", "opening"),
    "nocopy": ("write", "pin", "write", "index", "opening"),
    "gc": ("plan", "delete", "unpin", "gc-index", "write"),
}
#: Phases in which the worker holds the repo (it wrote its pid to repo.lock on opening
#: and clears it on closing).
HOLDING = frozenset({"ready", "write", "pin", "index", "unpin", "plan", "delete", "gc-index"})
TIMEOUT_S = 60.0


@dataclass
class Run:
    """One worker run: the phases it announced (name, time) and how it ended."""

    pid: int
    phases: list[tuple[str, float]]
    returncode: int
    stderr: str

    @property
    def landed(self) -> str:
        return self.phases[-1][0] if self.phases else "start"

    @property
    def finished(self) -> bool:
        return self.landed == "done"

    def durations(self) -> dict[str, float]:
        """How long each phase lasted (to the next announcement)."""
        return {a[0]: b[1] - a[1] for a, b in zip(self.phases, self.phases[1:], strict=False)}


@dataclass
class Harness:
    """A seeded repo, the objects that must survive every crash, and the trial tally."""

    root: Path
    sync: bool
    rng: random.Random
    repo: Path = field(init=False)
    seeds: dict[str, CID] = field(default_factory=dict)
    expected: dict[str, str | dict[str, bytes]] = field(default_factory=dict)
    landed: Counter[tuple[str, str]] = field(default_factory=Counter)
    swept: int = 0
    compared: set[tuple[str, CID]] = field(default_factory=set)  # worker pins read back

    def __post_init__(self) -> None:
        self.repo = init_repo(self.root / "repo", blockstore__sync=self.sync)
        seed_tree = tree_files(-1, 60)
        with IPFSSimpleAPI(self.repo, create=False) as api:
            big = large_bytes(-1, 4 << 20)
            self.seeds["seed-large"] = api.add(big, name="seed-large").cid
            self.seeds["seed-small"] = api.add(b"small and pinned\n", name="seed-small").cid
            src = write_tree(self.root / "seed-tree", seed_tree)
            self.seeds["seed-tree"] = api.add_path(src)[-1].cid
        self.expected = {
            "seed-large": _digest(big),
            "seed-small": _digest(b"small and pinned\n"),
            "seed-tree": seed_tree,
        }

    # -- running a worker ------------------------------------------------------------------

    def run(self, kind: str, seed: int, target: str | None, delay: float) -> Run:
        """Run one worker; with ``target``, SIGKILL it ``delay`` s after it announces that."""
        # a no-copy add's files must outlive it: its pinned leaves are read from them
        scratch = self.root / ("nocopy-files" if kind == "nocopy" else "scratch")
        scratch.mkdir(exist_ok=True)
        args = [sys.executable, str(WORKER), kind, str(self.repo), str(seed), str(scratch)]
        if not self.sync:
            args.append("--no-sync")
        if target is not None:
            args.append(f"--pause-at={target}")
        err = self.root / "stderr"
        with err.open("wb") as stderr:
            proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
            )
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            out = bytearray()
            marker = f"phase {target} ".encode()
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                deadline = time.monotonic() + TIMEOUT_S
                while target is None or marker not in out:
                    assert sel.select(deadline - time.monotonic()), f"{kind} worker hung"
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break  # the worker exited (finished, or failed: stderr says)
                    out += chunk
            if target is not None and marker in out:
                proc.stdin.write(b"g")  # go: the worker enters the phase now
                proc.stdin.flush()
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
            proc.stdin.close()
            returncode = proc.wait(TIMEOUT_S)
        except BaseException:  # never leave a worker behind (one paused for its go)
            proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
            raise
        out += proc.stdout.read()
        proc.stdout.close()
        phases = [
            (name, float(t)) for _, name, t in (line.split() for line in out.decode().splitlines())
        ]
        run = Run(proc.pid, phases, returncode, err.read_text())
        if kind != "nocopy":
            shutil.rmtree(scratch)
        # killed, or finished (a kill may still land in the interpreter's exit after "done")
        assert returncode in (0, -signal.SIGKILL), run.stderr
        assert run.finished or returncode, run.stderr
        return run

    # -- checking the repo -----------------------------------------------------------------

    def check(self, run: Run, kind: str, before: dict[str, CID]) -> dict[str, CID]:
        """Everything a crash must not break; the recursive pins now (by name)."""
        lock = self.repo / "repo.lock"
        if run.landed in HOLDING:  # killed while holding the repo: a stale lock, dead pid
            assert lock.read_text().strip() == str(run.pid)
        temp = self.repo / "blocks" / TEMP_DIR
        self.swept += len(os.listdir(temp))
        with IPFSSimpleAPI(self.repo, create=False) as api:
            assert lock.read_text().strip() == str(os.getpid())
            assert os.listdir(temp) == []  # what the dead worker staged is gone
            report = api.repo_verify()
            assert report.ok, f"corrupt after a kill in {kind}/{run.landed}: {report.corrupt}"
            bad = [r for r in api.node.pins.verify(api.node.blocks) if not r.ok]
            assert not bad, f"broken pins after a kill in {kind}/{run.landed}: {bad[:1]}"
            assert all(c.ok for c in api.node.blocks.verify_refs())  # no-copy references
            pins = {p.name or str(p.cid): p.cid for p in api.pins("recursive")}
            for name, cid in self.seeds.items():
                assert pins.get(name) == cid, f"lost {name} after a kill in {kind}/{run.landed}"
            if kind != "gc":  # only the gc worker unpins
                assert before.items() <= pins.items()
            for name, cid in pins.items():
                # Seeds: byte for byte after every kill. A worker's pin: when first seen;
                # after that, pin verify re-hashing its every block proves it unchanged.
                if name in self.seeds or (name, cid) not in self.compared:
                    self._read_back(api, name, cid)
                    self.compared.add((name, cid))
            _check_pin_db(self.repo / "pins.sqlite")
            _check_index(api, self.seeds)
        return pins

    def _read_back(self, api: IPFSSimpleAPI, name: str, cid: CID) -> None:
        want = self.expected.get(name)
        if want is None:  # a worker's add: regenerate what it must read back as
            kind, _, seed = name.partition("-")
            assert kind in ("trial", "tree"), f"unexpected pin {name}"
            if kind == "trial":
                want = self.expected[name] = _digest(large_bytes(int(seed)))
            else:
                want = tree_files(int(seed))
        if isinstance(want, str):
            assert _digest(api.cat(cid)) == want, f"{name} reads back wrong"
        else:
            out = api.get(cid, self.root / "out")
            try:
                assert read_tree(out) == want, f"{name} reads back wrong"
            finally:
                shutil.rmtree(out)

    # -- the trials ------------------------------------------------------------------------

    def trials(self, rounds: int) -> None:
        """One unkilled control run per kind, then ``rounds`` kills of each kind.

        A phase's length is the shortest seen so far (the controls', then every run's
        but the phase it paused in), so that delays stay inside the phase as it speeds
        up or slows down.
        """
        with IPFSSimpleAPI(self.repo, create=False) as api:
            pins = {p.name or str(p.cid): p.cid for p in api.pins("recursive")}
        lengths: dict[str, dict[str, float]] = {}
        seed = 0
        for kind in KINDS:  # controls: they finish, and what they add is pinned
            seed += 1
            run = self.run(kind, seed, None, 0.0)
            assert run.finished
            lengths[kind] = run.durations()
            pins = self.check(run, kind, pins)
            if kind == "large":
                assert f"trial-{seed}" in pins
            elif kind in ("many", "nocopy"):
                assert f"tree-{seed}" in pins
            else:
                assert set(pins) == set(self.seeds)
                with IPFSSimpleAPI(self.repo, create=False) as api:
                    assert api.gc(dry_run=True).removed == ()  # nothing left to collect
        for i in range(rounds):
            for kind in KINDS:
                seed += 1
                target = TARGETS[kind][i % len(TARGETS[kind])]
                delay = self.rng.uniform(0.0, lengths[kind][target])
                run = self.run(kind, seed, target, delay)
                self.landed[kind, "finished" if run.finished else run.landed] += 1
                for phase, length in run.durations().items():
                    if phase != target:
                        lengths[kind][phase] = min(lengths[kind][phase], length)
                pins = self.check(run, kind, pins)

    def report(self) -> str:
        rows = [f"{k}/{p}: {n}" for (k, p), n in sorted(self.landed.items())]
        return f"sync={self.sync}: " + ", ".join(rows) + f"; temp files swept: {self.swept}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_pin_db(path: Path) -> None:
    """SQLite's own check of the pin database, on a second, read-only connection."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def _check_index(api: IPFSSimpleAPI, seeds: dict[str, CID]) -> None:
    """The metadata index opens, has one row per CID, and its pin columns match the pins.

    The index is derived data: a kill between a pin and its row may lose the row
    (``index rebuild`` recovers it), but never a row recorded before the crash.
    """
    rows = api.index().to_pylist()  # replays the journal; pin columns refreshed
    assert len({r["cid"] for r in rows}) == len(rows)
    recursive = {p.cid.multihash.hex() for p in api.pins("recursive")}
    for row in rows:
        assert ("recursive" in (row["pin_types"] or ())) == (row["multihash"] in recursive)
    by_cid = {r["cid"]: r for r in rows}
    for name, cid in seeds.items():
        assert by_cid[str(cid)]["name"] == name
        assert by_cid[str(cid)]["pinned"]


def _block_file(repo: Path, cid: CID) -> Path:
    """Where flatfs keeps ``cid``'s block in ``repo``."""
    key = flatfs_key(cid.multihash)
    return repo / "blocks" / flatfs_shard(key) / f"{key}.data"


@pytest.mark.slow
def test_kill_9_during_adds_and_gc_loses_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path, sync=True, rng=random.Random(20240607))
    harness.trials(rounds=13)  # 4 controls + 52 kills
    print(harness.report())
    kills: Counter[str] = Counter()
    for (_, phase), n in harness.landed.items():
        kills[phase] += n
    assert kills.total() == 52
    assert kills["write"], kills
    assert kills["pin"], kills
    assert kills["plan"] + kills["delete"], kills
    # the end state is usable: the CLI agrees, and a last collection keeps every seed
    cli = [sys.executable, "-m", "ipfs_kit_py"]
    repo = ["--repo-dir", str(harness.repo)]
    verify = subprocess.run(
        [*cli, "repo", "verify", *repo], capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    listed = subprocess.run(
        [*cli, "pin", "ls", "-t", "recursive", "-q", *repo],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert {str(c) for c in harness.seeds.values()} <= set(listed.stdout.split())
    with IPFSSimpleAPI(harness.repo, create=False) as api:
        api.gc()
        assert api.repo_verify().ok
        assert _digest(api.cat(harness.seeds["seed-large"])) == harness.expected["seed-large"]


@pytest.mark.slow
def test_kill_9_with_sync_off_loses_nothing_either(tmp_path: Path) -> None:
    """A killed process is not a power cut: unflushed writes still reach the disk."""
    harness = Harness(tmp_path, sync=False, rng=random.Random(7))
    harness.trials(rounds=3)
    print(harness.report())
    assert harness.landed.total() == 12


def test_a_damaged_block_is_named(tmp_path: Path) -> None:
    """What a power cut with ``sync`` off may leave (a short or altered block) is caught."""
    repo = init_repo(tmp_path / "repo")
    data = large_bytes(5, 600_000)
    with IPFSSimpleAPI(repo, create=False) as api:
        root = api.add(data, chunker="size-262144").cid
        leaves = list(api.refs(root))
        short, flipped = (_block_file(repo, c) for c in leaves[:2])
    short.write_bytes(short.read_bytes()[:1000])  # a torn write
    raw = bytearray(flipped.read_bytes())
    raw[-1] ^= 0x80
    flipped.write_bytes(bytes(raw))
    with IPFSSimpleAPI(repo, create=False) as api:
        with pytest.raises(IntegrityError):
            api.cat(root)
        with pytest.raises(IntegrityError):
            api.get(root, tmp_path / "out")
        report = api.repo_verify()
        assert {c.multihash for c in report.corrupt} == {c.multihash for c in leaves[:2]}
        (result,) = api.node.pins.verify(api.node.blocks)
        assert not result.ok
        assert {b.cid for b in result.bad_nodes} == set(leaves[:2])
    cli = [sys.executable, "-m", "ipfs_kit_py"]
    verify = subprocess.run(
        [*cli, "repo", "verify", "--repo-dir", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 5
    named = {line.split()[1] for line in verify.stdout.splitlines() if line.startswith("block ")}
    assert {CID.parse(c).multihash for c in named} == {c.multihash for c in leaves[:2]}
    cat = subprocess.run(
        [*cli, "cat", str(root), "--repo-dir", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cat.returncode == 5
    assert "Traceback" not in cat.stderr
    assert cat.stderr.startswith("Error: ")
