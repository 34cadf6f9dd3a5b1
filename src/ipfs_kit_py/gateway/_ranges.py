"""HTTP ``Range`` requests (RFC 9110 §14) over a representation of known size.

Policy (RFC 9110 §14.2 lets a server ignore or coalesce ranges): only ``bytes``
ranges are honoured; a header with more than :data:`MAX_RANGES` ranges, or one we
cannot parse, is ignored and the whole representation is sent (200), which costs
no more than a plain GET. Overlapping or adjacent ranges are coalesced, so a
client cannot make us send the same bytes many times over. A header whose ranges
all fall outside the representation is answered 416.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

__all__ = [
    "MAX_RANGES",
    "UnsatisfiableRangeError",
    "iter_multipart",
    "multipart_parts",
    "parse_range",
]

#: More ranges than this in one request are ignored (the full body is sent).
MAX_RANGES = 100


class UnsatisfiableRangeError(ValueError):
    """No requested range overlaps the representation: answer 416."""


def parse_range(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The ``[start, end)`` spans ``header`` asks for, sorted and coalesced.

    ``None`` means "send everything" (no header, not ``bytes=``, malformed, too many).

    >>> parse_range("bytes=0-1,4-", 10), parse_range("bytes=-3", 10)
    ([(0, 2), (4, 10)], [(7, 10)])
    >>> parse_range("bytes=0-4,2-7", 10), parse_range("items=0-1", 10)
    ([(0, 8)], None)
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        return None
    items = spec.split(",")
    if len(items) > MAX_RANGES:
        return None
    spans: list[tuple[int, int]] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        first, dash, last = item.partition("-")
        first, last = first.strip(), last.strip()
        if not dash or not (first.isdigit() or (not first and last.isdigit())):
            return None
        if last and not last.isdigit():
            return None
        if not first:  # suffix: the last N bytes
            n = int(last)
            if n == 0:
                continue
            spans.append((max(0, size - n), size))
            continue
        start = int(first)
        end = size if not last else min(int(last) + 1, size)
        if last and int(last) < start:
            return None  # invalid range-spec: the whole header is ignored
        if start < size:
            spans.append((start, end))
    if not spans:
        raise UnsatisfiableRangeError(f"no range in {header!r} overlaps {size} bytes")
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def multipart_parts(
    spans: list[tuple[int, int]], size: int, content_type: str
) -> tuple[str, list[bytes], bytes, int]:
    """Boundary, the header block before each part, the closing line, and the total
    ``Content-Length`` of a ``multipart/byteranges`` body for ``spans``."""
    boundary = secrets.token_hex(16)
    heads = [
        (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        ).encode("latin-1")
        for start, end in spans
    ]
    tail = f"--{boundary}--\r\n".encode("ascii")
    total = sum(len(h) + (end - start) + 2 for h, (start, end) in zip(heads, spans, strict=True))
    return boundary, heads, tail, total + len(tail)


def iter_multipart(
    heads: list[bytes], tail: bytes, parts: Iterator[Iterator[bytes]]
) -> Iterator[bytes]:
    """Interleave part headers with each part's pieces (an iterator per span)."""
    for head, pieces in zip(heads, parts, strict=False):
        yield head
        yield from pieces
        yield b"\r\n"
    yield tail
