"""CID and DAG-CBOR throughput: ipfs_kit_py against the ``multiformats`` and ``dag-cbor`` packages.

What is measured, for ours and the peer in the same process, with interleaved repeats
(``time.perf_counter``, GC off while a sample runs, best and median of N reported):

* CID parse+format (ops/s): a CID string to a CID object and back to the same string,
  ``CID.parse(s).encode(base)`` against ``str(multiformats.CID.decode(s))``; for the whole
  mix and for each kind of string (CIDv0, CIDv1 in base32 / base36 / base58btc);
* binary CID decode (ops/s): ``CID.decode(raw)`` against ``multiformats.CID.decode(raw)``;
* DAG-CBOR encode and decode (MB/s of encoded bytes, 1 MB = 10**6 bytes) of a corpus of
  ML model manifests: ``ipfs_kit_py.codecs.dag_cbor`` against the ``dag-cbor`` package.

The workload comes from ``random.Random(seed)``. Before anything is timed, every CID string
must round-trip unchanged through both libraries, both must read the same binary CIDs, and
every manifest must encode to byte-identical DAG-CBOR with both (and decode back to an equal
value), so both sides do exactly the same work. If ``cbor2`` (a C extension) is installed it is
timed too, as a reference only: it is not a strict DAG-CBOR codec (no canonical checks, its
input has keys pre-sorted, CIDs stay bare tag-42 objects).

Run from the repository root: ``.venv/bin/python bench/cid.py [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import platform
import random
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from time import perf_counter
from types import ModuleType
from typing import Any

from ipfs_kit_py import CID
from ipfs_kit_py.cid import encode_varint
from ipfs_kit_py.cid import multicodec as mc
from ipfs_kit_py.codecs import dag_cbor as ours_cbor

try:
    import dag_cbor as peer_cbor
    from multiformats import CID as MCID
except ImportError as _err:  # pragma: no cover - depends on the environment
    sys.exit(f"bench/cid.py needs the peers: pip install -e '.[bench]' ({_err})")

# -- workload: CIDs --------------------------------------------------------------------

# (kind label, share of the mix); the label says how the string is written
CID_KINDS: tuple[tuple[str, float], ...] = (
    ("CIDv0 base58btc", 0.30),
    ("CIDv1 base32", 0.50),
    ("CIDv1 base36", 0.10),
    ("CIDv1 base58btc", 0.10),
)
_BASE_OF_KIND = {
    "CIDv0 base58btc": "base58btc",
    "CIDv1 base32": "base32",
    "CIDv1 base36": "base36",
    "CIDv1 base58btc": "base58btc",
}


def _multihash(code: int, digest: bytes) -> bytes:
    return encode_varint(code) + encode_varint(len(digest)) + digest


def random_cid(rng: random.Random, kind: str) -> CID:
    """A CID of the given kind with a random digest."""
    if kind.startswith("CIDv0"):
        return CID(0, mc.DAG_PB, _multihash(mc.SHA2_256, rng.randbytes(32)))
    if kind == "CIDv1 base36":  # an IPNS name: ed25519 public key, identity multihash
        key = b"\x08\x01\x12\x20" + rng.randbytes(32)
        return CID(1, mc.LIBP2P_KEY, _multihash(mc.IDENTITY, key))
    codec = rng.choice((mc.RAW, mc.RAW, mc.DAG_PB, mc.DAG_CBOR))
    hash_code = mc.BLAKE2B_256 if rng.random() < 0.1 else mc.SHA2_256
    return CID(1, codec, _multihash(hash_code, rng.randbytes(32)))


@dataclass(frozen=True)
class CIDWorkload:
    """CID strings (with the base each is written in) and binary CIDs, grouped by kind."""

    items: list[tuple[str, str, str]]  # (kind, text, base)
    raw: list[bytes]

    def texts(self, kind: str | None = None) -> list[tuple[str, str]]:
        return [(t, b) for k, t, b in self.items if kind is None or k == kind]

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for i in self.items if i[0] == k) for k, _ in CID_KINDS}


def make_cids(rng: random.Random, n: int) -> CIDWorkload:
    kinds = [k for k, share in CID_KINDS for _ in range(round(n * share))]
    rng.shuffle(kinds)
    items: list[tuple[str, str, str]] = []
    raw: list[bytes] = []
    for kind in kinds:
        cid = random_cid(rng, kind)
        base = _BASE_OF_KIND[kind]
        items.append((kind, cid.encode(base), base))
        raw.append(cid.bytes)
    return CIDWorkload(items, raw)


# -- workload: DAG-CBOR model manifests ------------------------------------------------

_ORGS = ("acme-ai", "openlab", "deepfield", "nordic-nlp", "kyoto-vision", "lumen")
_ARCHS = ("llama", "mistral", "vit", "whisper", "bert", "t5", "resnet", "clip")
_FRAMEWORKS = ("pytorch", "jax", "tensorflow", "onnx", "gguf")
_TASKS = ("text-generation", "image-classification", "speech-recognition", "embedding")
_LICENSES = ("apache-2.0", "mit", "cc-by-4.0", "openrail", None)
_DTYPES = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "float8_e4m3fn": 1}
_PARTS = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
    "input_layernorm",
)
_WORDS = (
    "fine-tuned",
    "multilingual",
    "distilled",
    "quantised",
    "instruction",
    "modèle",
    "Sprachmodell",
    "モデル",
    "模型",
    "données",
    "on",
    "the",
    "corpus",
)
_METRICS = ("accuracy", "f1", "bleu", "rougeL", "exact_match", "perplexity", "wer")


def _tensor(rng: random.Random, layer: int, hidden: int, offset: int, link: CID) -> dict[str, Any]:
    part = rng.choice(_PARTS)
    dtype = rng.choice(tuple(_DTYPES))
    if part.endswith("layernorm"):
        shape = [hidden]
    else:
        shape = [hidden, rng.choice((hidden, 4 * hidden, hidden // 4))]
    length = math.prod(shape) * _DTYPES[dtype]
    return {
        "name": f"model.layers.{layer}.{part}.weight",
        "dtype": dtype,
        "shape": shape,
        "offset": offset,
        "length": length,
        "cid": link,
        "sha256": rng.randbytes(32),
    }


def make_manifest(rng: random.Random) -> dict[str, Any]:
    """One model manifest: nested maps, lists, ints of every width, floats, text, bytes, links."""
    hidden = rng.choice((256, 512, 768, 1024, 2048, 4096, 8192))
    n_layers = rng.randint(2, 80)
    tensors = []
    offset = 0
    for i in range(rng.randint(4, 48)):
        t = _tensor(rng, i % n_layers, hidden, offset, random_cid(rng, "CIDv1 base32"))
        tensors.append(t)
        offset += t["length"]  # runs past 2**32 in big models: 64-bit integers
    manifest: dict[str, Any] = {
        "schema": "ipfs-kit/model-manifest@1",
        "name": f"{rng.choice(_ORGS)}/{rng.choice(_ARCHS)}-{rng.choice((1, 3, 7, 13, 70))}b",
        "version": f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",
        "created": 1_600_000_000 + rng.randrange(200_000_000),
        "framework": rng.choice(_FRAMEWORKS),
        "task": rng.choice(_TASKS),
        "license": rng.choice(_LICENSES),
        "description": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 30))),
        "tags": [rng.choice(_WORDS) for _ in range(rng.randint(0, 6))],
        "config": {
            "hidden_size": hidden,
            "num_hidden_layers": n_layers,
            "num_attention_heads": hidden // 64,
            "vocab_size": rng.choice((32_000, 50_257, 128_256, 151_936)),
            "max_position_embeddings": rng.choice((512, 2048, 8192, 131_072)),
            "rms_norm_eps": rng.choice((1e-5, 1e-6)),
            "rope_theta": rng.choice((10_000.0, 500_000.0, 1_000_000.0)),
            "dropout": round(rng.random() * 0.3, 3),
            "tie_word_embeddings": rng.random() < 0.5,
            "rope_scaling": (
                None if rng.random() < 0.6 else {"type": "linear", "factor": rng.uniform(1, 8)}
            ),
        },
        "metrics": {m: rng.random() for m in rng.sample(_METRICS, rng.randint(1, len(_METRICS)))},
        "training": {
            "steps": rng.randrange(1, 2_000_000),
            "tokens": rng.randrange(10**9, 10**13),
            "learning_rate": rng.choice((1e-4, 3e-4, 2e-5)),
            "loss_delta": -rng.random(),
            "seed": rng.randrange(-(2**31), 2**31),
            "dataset": random_cid(rng, "CIDv1 base32"),
        },
        "tensors": tensors,
        "total_bytes": offset,
        "parents": [random_cid(rng, "CIDv0 base58btc") for _ in range(rng.randint(0, 3))],
        "tokenizer": {
            "cid": random_cid(rng, "CIDv1 base32"),
            "special_tokens": {f"<|{w}|>": rng.randrange(200_000) for w in ("bos", "eos", "pad")},
        },
        "signature": {
            "alg": "ed25519",
            "signer": random_cid(rng, "CIDv1 base36"),
            "sig": rng.randbytes(64),
        },
    }
    if rng.random() < 0.5:  # an inline blob, 16 B to 16 KiB, log-uniform
        manifest["calibration"] = rng.randbytes(int(2 ** rng.uniform(4, 14)))
    return manifest


def convert(value: Any, cid: Callable[[CID], Any], *, sort_keys: bool = False) -> Any:
    """The same value with every CID replaced by ``cid(c)`` (and map keys canonically ordered)."""
    if type(value) is CID:
        return cid(value)
    if type(value) is dict:
        items = [(k, convert(v, cid, sort_keys=sort_keys)) for k, v in value.items()]
        if sort_keys:
            items.sort(key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return dict(items)
    if type(value) is list:
        return [convert(v, cid, sort_keys=sort_keys) for v in value]
    return value


def _bytes_payload(value: Any) -> int:
    if type(value) is bytes:
        return len(value)
    if type(value) is dict:
        return sum(_bytes_payload(v) for v in value.values())
    if type(value) is list:
        return sum(_bytes_payload(v) for v in value)
    return 0


# -- timing ----------------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    fn: Callable[[], object]
    number: int = 1  # calls per sample, calibrated
    samples: list[float] = field(default_factory=list)  # seconds per call


def _sample(fn: Callable[[], object], number: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter()
        for _ in range(number):
            fn()
        return (perf_counter() - start) / number
    finally:
        if gc_was_enabled:
            gc.enable()


def measure(contenders: list[Contender], repeats: int, min_sample_s: float) -> None:
    """Fill each contender's samples: calibrate, then alternate between them ``repeats`` times."""
    for c in contenders:
        one = _sample(c.fn, 1)  # warm-up doubles as calibration
        c.number = max(1, math.ceil(min_sample_s / max(one, 1e-9)))
    for r in range(repeats):
        gc.collect()
        for c in contenders if r % 2 == 0 else reversed(contenders):
            c.samples.append(_sample(c.fn, c.number))


@dataclass(frozen=True)
class Row:
    name: str
    unit: str
    peer: str
    ours_best: float
    ours_median: float
    peer_best: float
    peer_median: float
    reference: bool = False  # the peer is a non-strict reference (cbor2), not a DAG-CBOR peer

    @property
    def ratio(self) -> float:
        return self.ours_best / self.peer_best

    @property
    def ratio_median(self) -> float:
        return self.ours_median / self.peer_median

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "ours": {"best": self.ours_best, "median": self.ours_median},
            "peer": {
                "name": self.peer,
                "reference_only": self.reference,
                "best": self.peer_best,
                "median": self.peer_median,
            },
            "ratio_best": self.ratio,
            "ratio_median": self.ratio_median,
        }


def compare(
    name: str,
    unit: str,
    work: float,
    ours: Callable[[], object],
    peer_name: str,
    peer: Callable[[], object],
    opts: Options,
    *,
    reference: bool = False,
) -> Row:
    """Time ours against a peer; ``work`` is the ops (or MB) that one call of each performs."""
    a, b = Contender("ours", ours), Contender(peer_name, peer)
    measure([a, b], opts.repeats, opts.min_sample_s)
    return Row(
        name,
        unit,
        peer_name,
        work / min(a.samples),
        work / statistics.median(a.samples),
        work / min(b.samples),
        work / statistics.median(b.samples),
        reference,
    )


# -- the benchmarks --------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    seed: int
    n_cids: int
    n_docs: int
    repeats: int
    min_sample_s: float
    per_kind: bool


def _parse_format_fns(
    texts: list[tuple[str, str]],
) -> tuple[Callable[[], None], Callable[[], None]]:
    peer_texts = [t for t, _ in texts]

    def ours() -> None:
        parse = CID.parse
        for text, base in texts:
            parse(text).encode(base)

    def peer() -> None:
        decode = MCID.decode
        for text in peer_texts:
            str(decode(text))

    return ours, peer


def check_cids(w: CIDWorkload) -> None:
    """Both libraries must read every string and binary CID the same way and write it back."""
    for kind, text, base in w.items:
        ours, peer = CID.parse(text), MCID.decode(text)
        assert ours.encode(base) == text, (kind, text, ours.encode(base))
        assert str(peer) == text, (kind, text, str(peer))
        assert bytes(peer) == ours.bytes, (kind, text)
    for raw in w.raw:
        assert CID.decode(raw).bytes == raw
        assert bytes(MCID.decode(raw)) == raw


def bench_cids(w: CIDWorkload, opts: Options) -> list[Row]:
    rows: list[Row] = []
    groups: list[tuple[str, list[tuple[str, str]]]] = [("CID parse+format, mix", w.texts())]
    if opts.per_kind:
        groups += [(f"CID parse+format, {kind}", w.texts(kind)) for kind, _ in CID_KINDS]
    for name, texts in groups:
        ours, peer = _parse_format_fns(texts)
        rows.append(compare(name, "ops/s", len(texts), ours, "multiformats", peer, opts))

    raw = w.raw

    def ours_decode() -> None:
        decode = CID.decode
        for r in raw:
            decode(r)

    def peer_decode() -> None:
        decode = MCID.decode
        for r in raw:
            decode(r)

    rows.append(
        compare(
            "CID decode, binary", "ops/s", len(raw), ours_decode, "multiformats", peer_decode, opts
        )
    )
    return rows


@dataclass(frozen=True)
class CborWorkload:
    ours: list[Any]
    peer: list[Any]
    blobs: list[bytes]
    cbor2: list[Any] | None  # None: cbor2 missing or not byte-identical
    cbor2_note: str

    @property
    def total_bytes(self) -> int:
        return sum(len(b) for b in self.blobs)


def make_cbor_workload(rng: random.Random, n: int, cbor2: ModuleType | None) -> CborWorkload:
    """Build the corpus for each library and check that all of them write the same bytes."""
    ours = [make_manifest(rng) for _ in range(n)]
    peer = [convert(v, lambda c: MCID.decode(c.bytes)) for v in ours]
    blobs = [ours_cbor.encode(v) for v in ours]
    for i, (o, p, blob) in enumerate(zip(ours, peer, blobs, strict=True)):
        assert peer_cbor.encode(p) == blob, f"manifest {i}: encodings differ"
        assert ours_cbor.decode(blob) == o, f"manifest {i}: ours does not round-trip"
        assert peer_cbor.decode(blob) == p, f"manifest {i}: dag-cbor does not round-trip"
    if cbor2 is None:
        return CborWorkload(ours, peer, blobs, None, "cbor2 not installed")
    tag = cbor2.CBORTag
    ref = [convert(v, lambda c: tag(42, b"\0" + c.bytes), sort_keys=True) for v in ours]
    if any(cbor2.dumps(v) != blob for v, blob in zip(ref, blobs, strict=True)):
        return CborWorkload(ours, peer, blobs, None, "cbor2 output is not byte-identical; skipped")
    return CborWorkload(ours, peer, blobs, ref, f"cbor2 {_version('cbor2')}")


def bench_cbor(w: CborWorkload, opts: Options, cbor2: ModuleType | None) -> list[Row]:
    mb = w.total_bytes / 1e6
    enc, dec = ours_cbor.encode, ours_cbor.decode
    penc, pdec = peer_cbor.encode, peer_cbor.decode
    docs, pdocs, blobs = w.ours, w.peer, w.blobs

    def ours_encode() -> None:
        for v in docs:
            enc(v)

    def peer_encode() -> None:
        for v in pdocs:
            penc(v)

    def ours_decode() -> None:
        for b in blobs:
            dec(b)

    def peer_decode() -> None:
        for b in blobs:
            pdec(b)

    rows = [
        compare("dag-cbor encode", "MB/s", mb, ours_encode, "dag-cbor", peer_encode, opts),
        compare("dag-cbor decode", "MB/s", mb, ours_decode, "dag-cbor", peer_decode, opts),
    ]
    if cbor2 is not None and w.cbor2 is not None:
        dumps, loads, refs = cbor2.dumps, cbor2.loads, w.cbor2

        def ref_encode() -> None:
            for v in refs:
                dumps(v)

        def ref_decode() -> None:
            for b in blobs:
                loads(b)

        rows += [
            compare(
                "dag-cbor encode",
                "MB/s",
                mb,
                ours_encode,
                "cbor2",
                ref_encode,
                opts,
                reference=True,
            ),
            compare(
                "dag-cbor decode",
                "MB/s",
                mb,
                ours_decode,
                "cbor2",
                ref_decode,
                opts,
                reference=True,
            ),
        ]
    return rows


# -- output ----------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _fmt(x: float, unit: str) -> str:
    return f"{x:,.0f}" if unit == "ops/s" else f"{x:,.2f}"


def print_table(meta: dict[str, Any], cw: CIDWorkload, bw: CborWorkload, rows: list[Row]) -> None:
    v = meta["versions"]
    print(
        f"ipfs_kit_py {v['ipfs_kit_py']} vs multiformats {v['multiformats']} / "
        f"dag-cbor {v['dag-cbor']} | {meta['python']} on {meta['machine']}, "
        f"{meta['cpu_count']} CPUs"
    )
    print(f"seed {meta['seed']}, best of {meta['repeats']} interleaved samples (median in JSON)")
    mix = ", ".join(f"{k} {n}" for k, n in cw.counts().items())
    print(f"CIDs: {len(cw.items)} ({mix})")
    sizes = sorted(len(b) for b in bw.blobs)
    share = sum(_bytes_payload(v) for v in bw.ours) / bw.total_bytes
    print(
        f"dag-cbor: {len(sizes)} model manifests, {bw.total_bytes / 1e6:.2f} MB "
        f"(per doc min {sizes[0]:,} / median {sizes[len(sizes) // 2]:,} / max {sizes[-1]:,} B, "
        f"{share:.0%} byte-string payload); byte-identical output checked"
    )
    print()
    head = (
        f"{'benchmark':<26} {'unit':<6} {'ours':>12} {'peer':>12}  {'peer name':<13} {'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        name = r.name.replace("CID parse+format, CIDv", "  CIDv")  # per-kind rows, indented
        peer = r.peer + ("*" if r.reference else "")
        print(
            f"{name:<26} {r.unit:<6} {_fmt(r.ours_best, r.unit):>12} "
            f"{_fmt(r.peer_best, r.unit):>12}  {peer:<13} {r.ratio:>6.2f}x"
        )
    print()
    print("ratio = ours / peer throughput (above 1: ours is faster)")
    if bw.cbor2 is not None:
        print(
            "* cbor2: C extension, NOT a strict DAG-CBOR codec (no canonical-form checks, keys "
            "pre-sorted for it, CIDs left as tag objects): a reference point, not a peer"
        )
    else:
        print(f"(no cbor2 reference: {bw.cbor2_note})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small smoke run (a few seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--seed", type=int, default=2024, help="workload seed (default 2024)")
    parser.add_argument("--repeats", type=int, help="samples per contender (default 5, quick 3)")
    args = parser.parse_args(argv)
    opts = Options(
        seed=args.seed,
        n_cids=500 if args.quick else 2000,
        n_docs=25 if args.quick else 150,
        repeats=args.repeats or (3 if args.quick else 5),
        min_sample_s=0.02 if args.quick else 0.1,
        per_kind=not args.quick,
    )
    cbor2 = _optional("cbor2")
    rng = random.Random(opts.seed)
    cw = make_cids(rng, opts.n_cids)
    check_cids(cw)
    bw = make_cbor_workload(rng, opts.n_docs, cbor2)

    rows = bench_cids(cw, opts) + bench_cbor(bw, opts, cbor2)

    meta: dict[str, Any] = {
        "versions": {d: _version(d) for d in ("ipfs_kit_py", "multiformats", "dag-cbor", "cbor2")},
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "seed": opts.seed,
        "repeats": opts.repeats,
        "min_sample_s": opts.min_sample_s,
        "quick": args.quick,
    }
    if args.json:
        workload = {
            "cids": {"total": len(cw.items), "by_kind": cw.counts()},
            "dag_cbor": {
                "documents": len(bw.blobs),
                "bytes": bw.total_bytes,
                "cbor2": bw.cbor2_note,
            },
        }
        out = {"meta": meta, "workload": workload, "results": [r.as_json() for r in rows]}
        print(json.dumps(out, indent=2))
    else:
        print_table(meta, cw, bw, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
