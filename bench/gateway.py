"""Gateway throughput: ipfs_kit_py's HTTP gateway against a static file server of the same bytes.

Two workloads over loopback, each at several concurrency levels (``--concurrency``,
default 1, 16 and 64), every server in its own process and the load generator
(``bench/_http_load.py``: asyncio, raw sockets, keep-alive) in this one. All data is
seeded (``bench/_workload.py``) in a temporary directory (``TMPDIR=/dev/shm`` for tmpfs)
that is deleted afterwards. Run from the repository root:
``.venv/bin/python bench/gateway.py [--quick] [--json]``.

* **Large file** (MB/s, 1 MB = 10**6 bytes): one file of ``--size-mib`` (default 1024)
  added with ``IPFSSimpleAPI.add_path`` and the default profile (CIDv1, raw leaves,
  1 MiB chunks), fetched as ``GET /ipfs/{root}``. At concurrency 1 every request is the
  whole file. At concurrency c > 1, c whole-file requests of a 1 GiB file would move
  c GiB per round (64 GiB at c = 64), so the file is fetched the way a segmented
  downloader does it: each *pass* is c ``Range: bytes=a-b`` requests of ``size / c``
  contiguous bytes that together cover the file once. A level runs ``--passes``
  passes (default 2; quick 4), i.e. N = passes x c requests taken by c clients from
  one queue, so every level moves the same ``passes x size`` bytes. A server that
  answers a Range request with 200 instead of 206 is reported as ``no Range`` there.
* **Small blocks** (requests/s): ``--blocks`` (default 10,000) raw blocks of 1 to 16 KiB
  of seeded random bytes, put in the repo's block store and fetched as
  ``GET /ipfs/{cid}?format=raw`` with ``Accept: application/vnd.ipld.raw`` (the trustless
  gateway's raw block response); every level sends each block once, in a seeded order.

Servers (each in its own process, started once, all idle but the one being measured):

* ``ours``: the gateway over the repo, hash-checking every block it sends:
  ``ipfs-kit daemon`` (``python -m ipfs_kit_py daemon --api 127.0.0.1:0 --gateway
  127.0.0.1:0``) when it starts, else uvicorn serving
  ``ipfs_kit_py.gateway.create_app(api, config.server)`` with the daemon's uvicorn
  settings (``--ours-via`` picks).
* ``static (uvicorn+StaticFiles)``: **the peer**. The same bytes as files (the very file
  that was added; each block as a file named by its CID) served by Starlette
  ``StaticFiles`` (``FileResponse``, with Range support) on uvicorn with the daemon's
  settings (h11, no access log, no lifespan): the same stack as ours, so the ratio
  isolates our own work (resolving the path, walking the DAG, reading and hash-checking
  blocks). It hashes nothing.
* ``ours, hashing stubbed*`` (diagnostic, never a headline): ours, started the same way,
  over a hard-linked copy of the repo, with ``blockstore.verify = false`` and
  ``ipfs_kit_py.codecs.Block.verify`` replaced by a no-op in that server process (the
  gateway checks hashes itself when the store does not, so the config key alone
  changes nothing): what hash-checking costs.
* ``ours app, uvicorn+NODELAY*`` (diagnostic, opt-in: ``--servers ...,ours-app``): the
  same ``create_app`` on uvicorn over a listening socket made with
  ``IPPROTO_TCP``, so that asyncio sets ``TCP_NODELAY`` on its connections; against
  ``ours`` run as the daemon it separates the app from the daemon's socket set-up.
* ``ceiling (asyncio+sendfile)``: a minimal HTTP/1.1 server written here (asyncio
  streams, ``loop.sendfile``, no framework) over the same files: not a peer but the
  most this client can take from a Python server on this machine. A row whose client
  CPU is near 100% of a core is marked ``client-bound``.
* ``python -m http.server`` (reference, opt-in): the standard library's threaded server
  with ``--protocol HTTP/1.1``; it has no Range support and leaves Nagle on, so every
  small response waits for a delayed ACK (about 40 ms).

Measurement: before a level's first timed run, every server answers one untimed
request of that level whose body's sha256 is compared with the expected bytes (the
whole file at c = 1, the second slice at c > 1, a block); a mismatch fails the server
(exit status 1). Every timed response's status and body length are checked too. The
servers take turns (the order rotates per level and round) for ``--runs`` rounds
(default 3; quick 2); each level's row shows the best and the median run, p50 and p99
latency over all runs' requests (request sent to last byte), the server's CPU time
per GB or per request (``/proc/PID/stat``, all threads) and the client's CPU use (% of
one core). No request is started after ``--max-seconds`` (default 30, quick 2) in a
run, so a pathologically slow server cannot stall the benchmark; such rows say
``capped``. Headline, best of N: ``large file, c=1: ours X MB/s / static Y MB/s = R``
(target >= 0.8).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import importlib.util
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from _http_load import LoadError, LoadResult, Request, fetch, run_load
from _workload import dist_version, log, make_file, text_table

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
HOST = "127.0.0.1"
RAW_ACCEPT = ("Accept", "application/vnd.ipld.raw")
OURS = "ours"
OURS_NH = "ours, hashing stubbed*"
OURS_APP = "ours app, uvicorn+NODELAY*"
STATIC = "static (uvicorn+StaticFiles)"
PYHTTP = "python -m http.server"
CEILING = "ceiling (asyncio+sendfile)"
SERVERS = {"ours": OURS, "ours-nohash": OURS_NH, "static": STATIC, "ceiling": CEILING}
SERVERS |= {"ours-app": OURS_APP, "http.server": PYHTTP}
DEFAULT_SERVERS = ("ours", "ours-nohash", "static", "ceiling")
LARGE, BLOCKS = "large file", "small blocks"
TARGET = 0.8
CLIENT_BOUND = 0.85  # client CPU share of one core above which the client is the limit
TICK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0


def _uvicorn_options() -> dict[str, Any]:
    """The daemon's uvicorn settings (``ipfs_kit_py.daemon.Daemon._server``)."""
    return {
        "http": "h11",
        "lifespan": "off",
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
    }


# == the servers (child processes: ``gateway.py _serve KIND ...``) =======================


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(2048)
    return sock


def _serve_uvicorn(app: Any, sock: socket.socket) -> None:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **_uvicorn_options()))
    print(f"listening on port {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])


async def _ceiling(root: Path, sock: socket.socket) -> None:
    """HTTP/1.1 GETs of files under ``root`` (with one Range), sent by ``loop.sendfile``."""
    loop = asyncio.get_running_loop()
    base = root.resolve()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                target = unquote(head[0].split(" ")[1].partition("?")[0])
                ranges = [
                    h.split(":", 1)[1].strip() for h in head if h.lower().startswith("range:")
                ]
                path = (base / target.lstrip("/")).resolve()
                if not path.is_relative_to(base) or not path.is_file():
                    writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    continue
                with path.open("rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    start, end, status = 0, size - 1, "200 OK"
                    if ranges:
                        a, _, b = ranges[0].removeprefix("bytes=").partition("-")
                        start, end, status = int(a), min(int(b or end), end), "206 Partial Content"
                    count = end - start + 1
                    extra = f"content-range: bytes {start}-{end}/{size}\r\n" if ranges else ""
                    writer.write(
                        f"HTTP/1.1 {status}\r\ncontent-length: {count}\r\n{extra}\r\n".encode()
                    )
                    await writer.drain()
                    await loop.sendfile(writer.transport, f, start, count)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    print(f"listening on port {sock.getsockname()[1]}", flush=True)
    await server.serve_forever()


def _stub_hashing() -> None:
    """Diagnostic only: make every hash check in this process a no-op."""
    from ipfs_kit_py.codecs import Block

    Block.verify = lambda self: None  # type: ignore[method-assign]


def serve_main(argv: list[str]) -> None:
    """Child process entry: ``_serve ours REPO [--daemon] [--no-hash] | static DIR |
    ceiling DIR``."""
    kind, where, *rest = argv
    if kind == "ours":
        if "--no-hash" in rest:
            _stub_hashing()
        if "--daemon" in rest:
            from ipfs_kit_py.cli import main as cli_main

            sys.argv = ["ipfs-kit", "daemon", "--repo-dir", where]
            sys.argv += ["--api", f"{HOST}:0", "--gateway", f"{HOST}:0"]
            cli_main()
            return
        from ipfs_kit_py.api import IPFSSimpleAPI
        from ipfs_kit_py.gateway import create_app

        overrides = {"blockstore__verify": False} if "--no-hash" in rest else {}
        with IPFSSimpleAPI(Path(where), create=False, **overrides) as api:
            _serve_uvicorn(create_app(api, api.node.config.server), _listen())
    elif kind == "static":
        from starlette.applications import Starlette
        from starlette.routing import Mount
        from starlette.staticfiles import StaticFiles

        app = Starlette(routes=[Mount("/static", app=StaticFiles(directory=where))])
        _serve_uvicorn(app, _listen())
    elif kind == "ceiling":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_ceiling(Path(where), _listen()))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")


@dataclass
class Server:
    """A running server process and what it answered to."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    via: str

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads) so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_PORT_LINES = (
    re.compile(r"Gateway server listening on /ip4/127\.0\.0\.1/tcp/(\d+)"),
    re.compile(r"listening on port (\d+)"),
    re.compile(r"Serving HTTP on 127\.0\.0\.1 port (\d+)"),
)


def _spawn(name: str, argv: list[str], log: Path, via: str, env: dict[str, str]) -> Server:
    """Start ``argv`` (output to ``log``) and wait for the line that gives its port."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        for pattern in _PORT_LINES:
            if m := pattern.search(text):
                return Server(name, proc, int(m.group(1)), log, via)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    tail = log.read_text(errors="replace").strip().splitlines()[-8:]
    raise RuntimeError(f"{name} did not start ({' '.join(argv[:4])} ...):\n" + "\n".join(tail))


def start_servers(keys: list[str], work: Path, via: str) -> tuple[dict[str, Server], list[str]]:
    """Every server in ``keys`` (names from ``SERVERS``); notes on fallbacks."""
    py, me = sys.executable, os.fspath(Path(__file__).resolve())
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("IPFS_KIT_PATH", None)
    www = os.fspath(work / "www")
    servers: dict[str, Server] = {}
    notes: list[str] = []
    daemon = via in ("auto", "daemon")

    def ours(key: str) -> Server:
        nonlocal daemon
        name, log, repo = SERVERS[key], work / f"{key}.log", os.fspath(work / key)
        argv = [py, me, "_serve", "ours", repo]
        if key == "ours-nohash":
            argv.append("--no-hash")
            e = env | {"IPFS_KIT_BLOCKSTORE_VERIFY": "0"}
        else:
            e = env
        if daemon and key != "ours-app":
            if key == "ours":
                cmd = [py, "-m", "ipfs_kit_py", "daemon", "--repo-dir", repo]
                cmd += ["--api", f"{HOST}:0", "--gateway", f"{HOST}:0"]
            else:
                cmd = [*argv, "--daemon"]
            try:
                return _spawn(name, cmd, log, "ipfs-kit daemon", e)
            except RuntimeError as err:
                if via == "daemon":
                    raise
                daemon = False
                notes.append(f"{name}: ipfs-kit daemon did not start, uvicorn instead ({err})")
        return _spawn(name, argv, log, "uvicorn + gateway.create_app", e)

    try:
        for key in keys:
            if key.startswith("ours"):
                servers[key] = ours(key)
            elif key == "static":
                argv = [py, me, "_serve", "static", os.fspath(work / "www" / "static")]
                servers[key] = _spawn(STATIC, argv, work / "static.log", "uvicorn", env)
            elif key == "http.server":
                argv = [py, "-m", "http.server", "--bind", HOST, "--directory", www]
                argv += ["--protocol", "HTTP/1.1", "0"]
                servers[key] = _spawn(PYHTTP, argv, work / "http.log", "stdlib", env)
            elif key == "ceiling":
                argv = [py, me, "_serve", "ceiling", www]
                servers[key] = _spawn(CEILING, argv, work / "ceiling.log", "asyncio", env)
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers, notes


# == the workload ========================================================================


@dataclass
class Data:
    """What the servers hold: the big file's root and digest, the blocks by CID."""

    size: int
    root: str
    file: Path
    blocks: list[tuple[str, int, str]]  # (cid, length, sha256 hex), in request order
    setup_s: dict[str, float] = field(default_factory=dict)


def _link_tree(src: Path, dst: Path) -> None:
    """A copy of a repo whose block files are hard links (no extra space, same bytes)."""

    def copy(s: str, d: str) -> None:
        if f"{os.sep}blocks{os.sep}" in s and not s.endswith(("SHARDING", "_README")):
            os.link(s, d)
        else:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=copy, ignore=shutil.ignore_patterns("repo.lock"))


def make_data(work: Path, size: int, nblocks: int, seed: int, repos: list[str]) -> Data:
    """The file and blocks in ``work/www/static``, and the repo ``work/ours`` holding them
    (hard-linked copies for the other ``repos``).

    The blocks go straight into the block store (``node.blocks.put_many``, what
    ``api.block_put`` does minus indexing): ``block_put`` also records each block in the
    metadata index, which re-materialises the index table on every call, so it is
    quadratic (56 s for 1,000 blocks here). The gateway reads the block store only.
    """
    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.codecs import Block

    www = work / "www" / "static"
    (www / "blocks").mkdir(parents=True)
    path = www / "large.bin"
    times: dict[str, float] = {}
    log(f"writing {size / MIB:g} MiB and {nblocks:,} blocks ...")
    t0 = time.perf_counter()
    make_file(path, size, seed)
    rng = random.Random(seed + 1)
    payloads = [rng.randbytes(rng.randint(1024, 16384)) for _ in range(nblocks)]
    times["generate_s"] = time.perf_counter() - t0
    with IPFSSimpleAPI(work / "ours", blockstore__sync=False) as api:
        t0 = time.perf_counter()
        root = str(api.add_path(path)[-1].cid)
        times["add_path_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stored = [Block.from_data(data, "raw") for data in payloads]
        api.node.blocks.put_many(stored)  # not api.block_put: see make_data's docstring
        blocks = []
        for block in stored:
            cid = str(block.cid)
            (www / "blocks" / cid).write_bytes(block.data)
            blocks.append((cid, len(block.data), hashlib.sha256(block.data).hexdigest()))
        times["put_many_s"] = time.perf_counter() - t0
    for name in repos:
        if name != "ours":
            _link_tree(work / "ours", work / name)
    random.Random(seed + 2).shuffle(blocks)
    return Data(size, root, path, blocks, times)


@functools.cache
def _file_sha256(path: Path, start: int = 0, count: int | None = None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        f.seek(start)
        left = os.fstat(f.fileno()).st_size - start if count is None else count
        while left:
            chunk = f.read(min(left, 8 * MIB))
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def _large_path(key: str, data: Data) -> str:
    return f"/ipfs/{data.root}" if key.startswith("ours") else "/static/large.bin"


def _slices(size: int, c: int) -> list[tuple[int, int]]:
    """``c`` contiguous (start, end-inclusive) ranges covering ``size`` bytes."""
    bounds = [size * k // c for k in range(c + 1)]
    return [(bounds[k], bounds[k + 1] - 1) for k in range(c)]


def large_requests(key: str, data: Data, c: int, passes: int) -> list[Request]:
    path = _large_path(key, data)
    if c == 1:
        return [Request(path, length=data.size)] * passes
    one = [
        Request(path, (("Range", f"bytes={a}-{b}"),), status=206, length=b - a + 1)
        for a, b in _slices(data.size, c)
    ]
    return one * passes


def block_requests(key: str, data: Data) -> list[Request]:
    if key.startswith("ours"):
        return [
            Request(f"/ipfs/{cid}?format=raw", (RAW_ACCEPT,), length=n) for cid, n, _ in data.blocks
        ]
    return [Request(f"/static/blocks/{cid}", length=n) for cid, n, _ in data.blocks]


def check(server: Server, key: str, data: Data, workload: str, c: int) -> str | None:
    """One untimed request of this level, body hashed; ``None`` if right, else why not."""
    if workload == BLOCKS:
        req = block_requests(key, data)[0]
        want = data.blocks[0][2]
    elif c == 1:
        req, want = Request(_large_path(key, data)), _file_sha256(data.file)
    else:
        a, b = _slices(data.size, c)[1]
        req = Request(_large_path(key, data), (("Range", f"bytes={a}-{b}"),))
        want = _file_sha256(data.file, a, b - a + 1)
    try:
        resp = fetch(HOST, server.port, req)
    except (OSError, LoadError) as err:
        return f"check request failed: {err}"
    if workload == LARGE and c > 1 and resp.status == 200:
        return "no Range"
    good = 206 if workload == LARGE and c > 1 else 200
    if resp.status != good:
        return f"check request: status {resp.status}, expected {good}"
    if resp.sha256 != want:
        return f"WRONG BYTES: sha256 {resp.sha256} != {want} ({resp.length} bytes)"
    return None


# == running =============================================================================


@dataclass
class Cell:
    """One server at one level: its runs (or why it has none)."""

    runs: list[LoadResult] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    problem: str | None = None
    checked: bool = False
    capped: str = ""

    def rate(self, workload: str, run: LoadResult) -> float:
        return run.mbps if workload == LARGE else run.rps

    def best_median(self, workload: str) -> tuple[float, float]:
        rates = [self.rate(workload, r) for r in self.runs]
        return max(rates), statistics.median(rates)

    def latency_ms(self, q: float) -> float:
        samples = sorted(x for r in self.runs for x in r.latencies)
        return samples[min(len(samples) - 1, int(q * len(samples)))] * 1e3

    def server_cost(self, workload: str) -> float:
        """Median server CPU seconds per GB (large) or microseconds per request (blocks)."""
        pairs = zip(self.server_cpu, self.runs, strict=True)
        if workload == LARGE:
            return statistics.median(s / (r.bytes / 1e9) for s, r in pairs)
        return statistics.median(s / r.requests * 1e6 for s, r in pairs)

    def client_share(self) -> float:
        return statistics.median(r.client_cpu_s / r.seconds for r in self.runs)


Levels = list[tuple[str, int]]


def bench(
    servers: dict[str, Server],
    data: Data,
    levels: Levels,
    runs: int,
    passes: int,
    max_seconds: float,
) -> dict[tuple[str, int], dict[str, Cell]]:
    cells = {lv: {k: Cell() for k in servers} for lv in levels}
    keys = list(servers)
    for rnd in range(runs):
        for n, (workload, c) in enumerate(levels):
            log(f"round {rnd + 1}/{runs}: {workload}, c={c} ...")
            shift = (rnd + n) % len(keys)
            for key in keys[shift:] + keys[:shift]:
                server, cell = servers[key], cells[workload, c][key]
                if cell.problem:
                    continue
                if not cell.checked:
                    cell.checked = True
                    if problem := check(server, key, data, workload, c):
                        cell.problem = problem
                        continue
                if workload == LARGE:
                    reqs = large_requests(key, data, c, passes)
                else:
                    reqs = block_requests(key, data)
                cpu0 = server.cpu_seconds()
                try:
                    result = run_load(HOST, server.port, reqs, c, max_seconds=max_seconds)
                except (OSError, LoadError) as err:
                    cell.problem = f"failed: {err}"
                    continue
                cell.server_cpu.append(server.cpu_seconds() - cpu0)
                cell.runs.append(result)
                if result.requests < len(reqs):
                    cell.capped = f"capped: {result.requests:,}/{len(reqs):,} requests"
    return cells


# == report ==============================================================================


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def ratios(cells: dict[tuple[str, int], dict[str, Cell]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (workload, c), row in cells.items():
        for mine, peer, label in (
            ("ours", "static", "ours / static"),
            ("ours-nohash", "ours", "hashing stubbed / ours"),
            ("ours", "ours-app", "ours / ours app on uvicorn+NODELAY"),
            ("static", "ceiling", "static / ceiling"),
        ):
            a, b = row.get(mine), row.get(peer)
            if a is None or b is None or not a.runs or not b.runs:
                continue
            (ab, am), (bb, bm) = a.best_median(workload), b.best_median(workload)
            out[f"{workload}, c={c}: {label}"] = {
                "workload": workload,
                "concurrency": c,
                "ratio": label,
                "best": round(ab / bb, 3),
                "median": round(am / bm, 3),
                "ours_best": round(ab, 1),
                "peer_best": round(bb, 1),
            }
    return out


def print_report(
    meta: dict[str, Any],
    servers: dict[str, Server],
    cells: dict[tuple[str, int], dict[str, Cell]],
    rat: dict[str, dict[str, Any]],
) -> None:
    print(
        f"Gateway throughput over loopback, {meta['size'] / MIB:g} MiB file + "
        f"{meta['blocks']:,} blocks (seed {meta['seed']}), best / median of {meta['runs']} "
        f"runs; {meta['python']}, {meta['cpu_count']} CPUs, data in {meta['tmpdir']} "
        f"({meta['tmpfs']}); 1-min load average {meta['loadavg_1min']['start']} at start, "
        f"{meta['loadavg_1min']['end']} at end"
    )
    print(
        f"large file: c=1 whole-file GETs, c>1 Range GETs of size/c; {meta['passes']} passes "
        f"({meta['passes'] * meta['size'] / 1e6:,.0f} MB) per level and run; "
        f"blocks: each block once per level and run"
    )
    for key, server in servers.items():
        print(f"  {SERVERS[key]}: {server.via}, pid {server.proc.pid}, port {server.port}")
    print()
    header = ("workload", "c", "server", "best", "median", "unit", "p50 ms", "p99 ms")
    header += ("srv CPU", "cli CPU", "note")
    rows: list[tuple[str, ...]] = []
    for (workload, c), row in cells.items():
        unit, cost = ("MB/s", "s/GB") if workload == LARGE else ("req/s", "us/req")
        for key, cell in row.items():
            name = SERVERS[key]
            if not cell.runs:
                rows.append((workload, str(c), name, "-", "-", unit, "-", "-", "-", "-"))
                rows[-1] += (cell.problem or "skipped",)
                continue
            best, med = cell.best_median(workload)
            share = cell.client_share()
            note = "; ".join(
                x for x in ("client-bound" if share >= CLIENT_BOUND else "", cell.capped) if x
            )
            if cell.problem:
                note = cell.problem
            rows.append(
                (
                    workload,
                    str(c),
                    name,
                    _fmt(best),
                    _fmt(med),
                    unit,
                    f"{cell.latency_ms(0.50):.1f}",
                    f"{cell.latency_ms(0.99):.1f}",
                    f"{cell.server_cost(workload):.2f} {cost}",
                    f"{share:.0%}",
                    note,
                )
            )
    text_table(header, rows, {1, 3, 4, 6, 7, 8, 9})
    print(
        "srv CPU: the server process's CPU time (all threads) per GB sent or per request, "
        "median run; cli CPU: this load generator's CPU time / wall time (100% = one core)"
    )
    print()
    for name, r in rat.items():
        print(f"{name} = {r['best']:.2f} (median-based {r['median']:.2f})")
    head = rat.get(f"{LARGE}, c=1: ours / static")
    print()
    if head is None:
        print(f"{LARGE}, c=1: ours / static = n/a (target >= {TARGET}): a server had no result")
        return
    goal = "met" if head["best"] >= TARGET else "MISSED"
    print(
        f"{LARGE}, c=1: ours {head['ours_best']:.0f} MB/s / static {head['peer_best']:.0f} MB/s "
        f"= {head['best']:.2f} (target >= {TARGET}, {goal}; median-based {head['median']:.2f})"
    )


# == main ================================================================================


def _tmpfs(path: str) -> str:
    best, kind = "", "?"
    with contextlib.suppress(OSError), open("/proc/mounts") as f:
        for line in f:
            _, mnt, fstype, *_ = line.split()
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, kind = mnt, fstype
    return kind


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        serve_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, help="large file MiB (default 1024, quick 64)")
    parser.add_argument("--blocks", type=int, help="small blocks (default 10000, quick 1000)")
    parser.add_argument(
        "--concurrency", help="comma-separated levels (default 1,16,64; quick 1,16)"
    )
    parser.add_argument("--passes", type=int, help="large file passes per level (default 2)")
    parser.add_argument("--runs", type=int, help="timed runs per level (default 3, quick 2)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        help="no request is started after this long in a run (default 30, quick 2)",
    )
    parser.add_argument("--seed", type=int, default=2024, help="data seed (default 2024)")
    parser.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"comma-separated, from {', '.join(SERVERS)} (default: all but http.server)",
    )
    parser.add_argument("--only", choices=("large", "blocks"), help="run one workload")
    parser.add_argument(
        "--ours-via",
        choices=("auto", "daemon", "uvicorn"),
        default="auto",
        help="serve ours as `ipfs-kit daemon` or uvicorn + create_app (auto: daemon if it starts)",
    )
    parser.add_argument("--quick", action="store_true", help="64 MiB, 1,000 blocks, c=1,16")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    size_mib: int = args.size_mib or (64 if quick else 1024)
    nblocks: int = args.blocks or (1000 if quick else 10_000)
    passes: int = args.passes or (4 if quick else 2)
    runs: int = args.runs or (2 if quick else 3)
    max_seconds: float = args.max_seconds or (2.0 if quick else 30.0)
    levels_c = [int(x) for x in (args.concurrency or ("1,16" if quick else "1,16,64")).split(",")]
    keys = [k.strip() for k in args.servers.split(",") if k.strip()]
    if unknown := [k for k in keys if k not in SERVERS]:
        parser.error(f"unknown servers {unknown}; choose from {list(SERVERS)}")
    if min(size_mib, nblocks, passes, runs, *levels_c) < 1:
        parser.error("sizes and counts must be positive")
    if importlib.util.find_spec("ipfs_kit_py.gateway._app") is None:
        keys = [k for k in keys if not k.startswith("ours")]
        log("ipfs_kit_py.gateway._app does not exist yet: running without ours")
    levels: Levels = []
    if args.only != "blocks":
        levels += [(LARGE, c) for c in levels_c]
    if args.only != "large":
        levels += [(BLOCKS, c) for c in levels_c]
    size = size_mib * MIB
    load_before = os.getloadavg()[0]
    tmpdir = tempfile.gettempdir()
    with tempfile.TemporaryDirectory(prefix="ipfs-kit-bench-gateway-") as tmp:
        work = Path(tmp)
        repos = [k for k in keys if k.startswith("ours")]
        data = make_data(work, size, nblocks, args.seed, ["ours", *repos])
        log(f"starting {len(keys)} servers ...")
        servers, notes = start_servers(keys, work, args.ours_via)
        try:
            cells = bench(servers, data, levels, runs, passes, max_seconds)
        finally:
            for server in servers.values():
                server.stop()
    rat = ratios(cells)
    meta: dict[str, Any] = {
        "size": size,
        "blocks": nblocks,
        "passes": passes,
        "runs": runs,
        "max_seconds": max_seconds,
        "seed": args.seed,
        "quick": quick,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "tmpdir": tmpdir,
        "tmpfs": _tmpfs(tmpdir),
        "versions": {d: dist_version(d) for d in ("ipfs_kit_py", "uvicorn", "starlette", "h11")},
        "loadavg_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "setup": {k: round(v, 2) for k, v in data.setup_s.items()},
        "root": data.root,
        "notes": notes,
    }
    wrong = any("WRONG" in (cell.problem or "") for row in cells.values() for cell in row.values())
    failed = any(
        (cell.problem or "").startswith(("failed", "check")) or "WRONG" in (cell.problem or "")
        for row in cells.values()
        for cell in row.values()
    )
    out = contextlib.redirect_stdout(io.StringIO()) if args.json else contextlib.nullcontext()
    with out:
        print_report(meta, servers, cells, rat)
        for note in notes:
            print(f"note: {note}")
    if args.json:
        results = [
            {
                "workload": workload,
                "concurrency": c,
                "server": SERVERS[key],
                "via": servers[key].via,
                "problem": cell.problem,
                "runs": [
                    {
                        "seconds": r.seconds,
                        "requests": r.requests,
                        "bytes": r.bytes,
                        "client_cpu_s": r.client_cpu_s,
                        "server_cpu_s": s,
                    }
                    for r, s in zip(cell.runs, cell.server_cpu, strict=True)
                ],
                **(
                    {
                        "best": cell.best_median(workload)[0],
                        "median": cell.best_median(workload)[1],
                        "p50_ms": cell.latency_ms(0.5),
                        "p99_ms": cell.latency_ms(0.99),
                    }
                    if cell.runs
                    else {}
                ),
            }
            for (workload, c), row in cells.items()
            for key, cell in row.items()
        ]
        print(json.dumps({"meta": meta, "results": results, "ratios": rat}, indent=2))
    if wrong:
        print("WRONG BYTES from a server: its numbers do not count", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
