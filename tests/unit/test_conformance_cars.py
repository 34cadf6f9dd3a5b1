"""Every fixture CAR of the IPFS gateway-conformance suite (MIT/Apache-2.0) parses and verifies.

Each block whose codec we implement must also decode strictly: these blocks were
written by Kubo and boxo, so a strictness rule that rejects one of them is a bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ipfs_kit_py.car import CarReader, verify_car
from ipfs_kit_py.codecs import CODECS

ROOT = Path(__file__).parent.parent / "fixtures" / "gateway-conformance" / "fixtures"
CARS = sorted(ROOT.rglob("*.car"))


def test_all_fixture_cars_are_here() -> None:
    assert len(CARS) == 26


@pytest.mark.parametrize("path", CARS, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_car_parses_verifies_and_decodes(path: Path) -> None:
    report = verify_car(path)
    assert report.ok, report.error
    assert report.blocks > 0
    with CarReader.open(path, verify=True) as reader:
        for block in reader:
            if block.cid.codec in CODECS:  # plain cbor/json (0x51, 0x0200) are not IPLD codecs
                block.decode()
                list(block.links())
