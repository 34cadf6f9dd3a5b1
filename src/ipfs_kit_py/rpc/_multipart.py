"""Streaming multipart/form-data bodies, pulled part by part from a thread.

``add``, ``block put``, ``dag put`` and ``dag import`` take their input as a
multipart body, as kubo-rpc-client and ``curl -F`` send it: one part per file
(``application/octet-stream``), directory (``application/x-directory``) or symlink
(``application/symlink``, the target as body), each named by the URL-escaped path
in ``Content-Disposition: form-data; name="file"; filename="dir%2Fa.txt"``
(boxo's ``files`` package unescapes it with Go's ``url.QueryUnescape``).

A file may be far larger than memory, so nothing here buffers a part: python-
multipart's push parser (``MultipartParser``) is fed one body chunk at a time and
its callbacks queue small events; :class:`Part` is a raw binary stream whose
``readinto`` pulls more of the body only when the reader (the UnixFS importer,
the CAR reader) wants more bytes. Starlette's own form parsing is not used because
it spools every file part to a temporary file first.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ipfs_kit_py.rpc._errors import RPCError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["DIRECTORY", "SYMLINK", "MultipartReader", "Part", "boundary_of"]

DIRECTORY = "application/x-directory"
SYMLINK = "application/symlink"
#: Longest part header accepted (a deep path, escaped, still fits).
_MAX_HEADER = 16 * 1024


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` content type; 400 if it is not one."""
    ctype, params = parse_options_header(content_type or "")
    if ctype not in (b"multipart/form-data", b"multipart/mixed"):
        raise RPCError("file argument 'path' is required: send a multipart/form-data body")
    boundary = params.get(b"boundary", b"")
    if not boundary or len(boundary) > 70:
        raise RPCError("malformed multipart body: missing or invalid boundary")
    return boundary


class Part(io.RawIOBase):
    """One part: its headers, its decoded file name, and its body as a raw stream.

    Valid until the next part is asked for; what was not read is skipped then.
    """

    def __init__(self, reader: MultipartReader, headers: dict[str, str]) -> None:
        super().__init__()
        self._reader = reader
        self.headers = headers
        self.content_type = parse_options_header(headers.get("content-type", ""))[0].decode(
            "latin-1"
        )
        disposition = parse_options_header(headers.get("content-disposition", ""))[1]
        self.field = _text(disposition.get(b"name", b""), "field name")
        raw = disposition.get(b"filename")
        #: the unescaped path, or ``None`` when the part has no file name
        self.filename = None if raw is None else _unescape(raw)
        self._pending = memoryview(b"")
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            while not self._pending and not self.done:
                data = self._reader._next_data()
                if data is None:
                    self.done = True
                else:
                    self._pending = memoryview(data)
            n = min(len(view), len(self._pending))
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n

    def read_all(self, limit: int, what: str) -> bytes:
        """The whole body of the part, refused with 413 beyond ``limit`` bytes."""
        out = bytearray()
        while chunk := self.read(1 << 16):
            out += chunk
            if len(out) > limit:
                raise RPCError(f"{what} is over the {limit}-byte limit", 413, kind="too_large")
        return bytes(out)

    def skip(self) -> None:
        while not self.done:
            self._pending = memoryview(b"")
            if self._reader._next_data() is None:
                self.done = True


class MultipartReader:
    """Parts of a multipart body that arrives as an iterator of chunks (blocking)."""

    def __init__(self, chunks: Iterator[bytes], boundary: bytes) -> None:
        self._chunks = chunks
        self._events: deque[tuple[str, Any]] = deque()
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        self._ended = False
        self._started = False
        callbacks: dict[str, Any] = {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": lambda: self._events.append(("end", None)),
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_end": self._on_end,
        }
        self._parser = MultipartParser(
            boundary,
            callbacks,  # type: ignore[arg-type]
            max_header_size=_MAX_HEADER,
        )

    # -- parser callbacks ------------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    def _on_header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        self._events.append(("headers", dict(self._headers)))

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(("eof", None))

    # -- pulling ---------------------------------------------------------------------------

    def _event(self) -> tuple[str, Any]:
        while not self._events:
            chunk = next(self._chunks, None)
            if chunk is None:
                if not self._started:
                    return ("eof", None)  # an empty body: no parts at all
                raise RPCError("malformed multipart body: it ends before its closing boundary")
            self._started = True
            try:
                self._parser.write(chunk)
            except MultipartParseError as err:
                raise RPCError(f"malformed multipart body: {err}") from err
        return self._events.popleft()

    def _next_data(self) -> bytes | None:
        """The next piece of the current part's body; ``None`` at its end."""
        kind, value = self._event()
        if kind == "data":
            return value  # type: ignore[no-any-return]
        if kind == "end":
            return None
        raise RPCError("malformed multipart body")

    def __iter__(self) -> Iterator[Part]:
        current: Part | None = None
        while True:
            if current is not None:
                current.skip()
            kind, value = self._event()
            if kind == "eof":
                return
            if kind == "headers":
                current = Part(self, value)
                yield current
            elif kind != "end":  # data outside a part cannot happen; be strict anyway
                raise RPCError("malformed multipart body")


def _text(raw: bytes, what: str) -> str:
    # header values were decoded as latin-1 by the parser; undo that, then read UTF-8
    try:
        return raw.decode("latin-1").encode("latin-1").decode("utf-8")
    except UnicodeError as err:
        raise RPCError(f"{what} is not valid UTF-8") from err


def _unescape(raw: bytes) -> str:
    text = _text(raw, "file name")
    try:
        return unquote_plus(text, encoding="utf-8", errors="strict")
    except UnicodeError as err:
        raise RPCError(f"file name {text!r} does not unescape to UTF-8") from err
