"""``hub._files``: directory scanning rules and the read-ahead used by snapshots."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipfs_kit_py.errors import DecodeError, IntegrityError, InvalidInputError
from ipfs_kit_py.hub._files import FileRecord, read_ahead, scan_directory


def test_read_ahead_yields_everything_in_order() -> None:
    pieces = [bytes([i]) * 10 for i in range(100)]
    assert list(read_ahead(iter(pieces), depth=3)) == pieces


def test_read_ahead_raises_the_producers_error_after_what_came_before() -> None:
    def pieces() -> Iterator[bytes]:
        yield b"a"
        yield b"b"
        raise IntegrityError("block x does not match its CID")

    got: list[bytes] = []
    stream = read_ahead(pieces())
    got.append(next(stream))
    got.append(next(stream))
    with pytest.raises(IntegrityError, match="block x"):
        next(stream)
    assert got == [b"a", b"b"]


def test_read_ahead_stops_the_producer_when_the_consumer_stops() -> None:
    produced = 0

    def endless() -> Iterator[bytes]:
        nonlocal produced
        while True:
            produced += 1
            yield b"x"

    before = threading.active_count()
    stream = read_ahead(endless(), depth=2)
    assert next(stream) == b"x"
    stream.close()  # joins the producer thread
    assert threading.active_count() == before
    assert produced <= 5


def test_scan_directory_refuses_escaping_links_and_skips_bookkeeping(tmp_path: Path) -> None:
    model = tmp_path / "m"
    (model / ".git").mkdir(parents=True)
    (model / ".git" / "HEAD").write_text("ref")
    (model / "a.txt").write_text("a")
    (model / "inside").symlink_to(model / "a.txt")
    assert [rel for rel, _ in scan_directory(model)] == ["a.txt", "inside"]
    (tmp_path / "secret").write_text("s")
    (model / "escape").symlink_to(tmp_path / "secret")
    with pytest.raises(InvalidInputError, match="links outside"):
        scan_directory(model)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"path": "a", "size": True, "sha256": "0" * 64}, DecodeError),
        ({"path": "a", "size": -1, "sha256": "0" * 64}, DecodeError),
        ({"path": "../a", "size": 1, "sha256": "0" * 64}, InvalidInputError),
        ({"path": "a//b", "size": 1, "sha256": "0" * 64}, InvalidInputError),
        ({"path": "a", "size": 1, "sha256": "00"}, DecodeError),
    ],
)
def test_hostile_file_entries_are_refused(value: dict[str, object], error: type) -> None:
    from ipfs_kit_py.cid import CID

    cid = CID.parse("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    with pytest.raises(error):
        FileRecord.from_ipld({**value, "cid": cid})
