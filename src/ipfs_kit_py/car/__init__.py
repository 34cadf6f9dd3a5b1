"""CAR (Content Addressable aRchive) v1 and v2.

Design note
-----------
A CAR carries blocks between IPFS implementations, so every byte of it is
untrusted: readers stream one section at a time (never the whole file), check
sizes against :class:`CarLimits` *before* allocating (2 MiB blocks and 8 MiB
sections by default), and raise :class:`~ipfs_kit_py.errors.CARError` for
malformed input. Hashing each block is optional while reading (``verify=True``)
and always done by :func:`verify_car` and :class:`IndexedCar`.

Writers drop repeated blocks; :func:`export_dag` writes a DAG root first,
depth-first, as Kubo's ``ipfs dag export`` does. CARv2 files carry a
MultihashIndexSorted index byte-compatible with go-car for random access to
large artifacts (model weights).
"""

from __future__ import annotations

from ipfs_kit_py.car._format import CarHeader, CarLimits, CarV2Header
from ipfs_kit_py.car._index import MultihashIndexSorted
from ipfs_kit_py.car._indexed import IndexedCar
from ipfs_kit_py.car._reader import CarReader, CarSection
from ipfs_kit_py.car._verify import CarReport, index_car, verify_car
from ipfs_kit_py.car._writer import CarV2Writer, CarWriter, car_bytes, export_dag, write_car

__all__ = [
    "CarHeader",
    "CarLimits",
    "CarReader",
    "CarReport",
    "CarSection",
    "CarV2Header",
    "CarV2Writer",
    "CarWriter",
    "IndexedCar",
    "MultihashIndexSorted",
    "car_bytes",
    "export_dag",
    "index_car",
    "verify_car",
    "write_car",
]
