"""The CAR demo (``examples/car_demo.py``) runs end to end and proves what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).parents[2] / "examples" / "car_demo.py"


def test_car_demo_runs_and_catches_the_flipped_byte() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(DEMO)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "verify card.car: ok=True" in out
    assert "ok=False, bad block bafkrei" in out
    assert "IntegrityError" in out
