"""Media types for stored content: from a file name when it has a known suffix, else sniffed.

The stdlib's :mod:`mimetypes` knows the web's types but not the ML formats this
toolkit stores most (Parquet, Arrow, safetensors, JSON Lines, GGUF); those are
added here, using IANA-registered names where one exists. Sniffing looks at the
first bytes for the signatures that matter for ML artifacts and falls back to
text or ``application/octet-stream``.
"""

from __future__ import annotations

import mimetypes
from typing import Final

__all__ = ["DIRECTORY", "SYMLINK", "guess_mime", "sniff"]

DIRECTORY: Final = "inode/directory"
SYMLINK: Final = "inode/symlink"

_SUFFIXES: Final = {
    ".parquet": "application/vnd.apache.parquet",
    ".arrow": "application/vnd.apache.arrow.file",
    ".feather": "application/vnd.apache.arrow.file",
    ".arrows": "application/vnd.apache.arrow.stream",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/x-ndjson",
    ".safetensors": "application/x-safetensors",
    ".gguf": "application/x-gguf",
    ".onnx": "application/x-onnx",
    ".npy": "application/x-npy",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
}

_MAGIC: Final = (
    (b"PAR1", "application/vnd.apache.parquet"),
    (b"ARROW1", "application/vnd.apache.arrow.file"),
    (b"GGUF", "application/x-gguf"),
    (b"\x93NUMPY", "application/x-npy"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"<!DOCTYPE html", "text/html"),
    (b"<html", "text/html"),
)


def sniff(head: bytes) -> str:
    """The media type the first bytes of some content suggest.

    >>> sniff(b"PAR1\\x15\\x04"), sniff(b"hello\\n"), sniff(bytes(range(256)))
    ('application/vnd.apache.parquet', 'text/plain; charset=utf-8', 'application/octet-stream')
    >>> sniff(b"\\x10\\x00\\x00\\x00\\x00\\x00\\x00\\x00{\\"__metadata__\\": ")
    'application/x-safetensors'
    """
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 1 << 27:
        return "application/x-safetensors"  # an 8-byte little-endian header length, then JSON
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 3:  # not just a character cut at the end
                return "application/octet-stream"
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def guess_mime(name: str | None, head: bytes = b"") -> str:
    """The media type of a file called ``name`` starting with ``head``.

    >>> guess_mime("weights.safetensors"), guess_mime("data.csv"), guess_mime(None, b"PAR1")
    ('application/x-safetensors', 'text/csv', 'application/vnd.apache.parquet')
    """
    if name:
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
        guessed, _ = mimetypes.guess_type(name, strict=False)
        if guessed:
            return guessed
    return sniff(head)
