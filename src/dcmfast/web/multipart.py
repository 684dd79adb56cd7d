"""A streaming multipart/related parser (RFC 2046 §5.1, RFC 2387) in linear time.

:class:`MultipartParser` is fed the body as it arrives, in chunks of any size,
and hands back each part as soon as its closing delimiter has been seen. It
never re-scans what it has already scanned: a delimiter is looked for only in
the new bytes plus the ``len(delimiter) - 1`` bytes held back from the chunk
before (dicomweb-client issue #127 is the quadratic alternative: searching the
whole accumulated part again on every chunk). When a part declares its
``Content-Length`` the parser does not scan its body at all: it copies that
many bytes and checks that the delimiter follows.

Memory is bounded by the part being assembled (or nothing, when a sink writes
parts to files), the held-back delimiter prefix and the part headers
(``max_header_bytes``); a preamble or an epilogue of any size is dropped as
it goes.

``bytes_scanned`` counts the bytes passed to delimiter searches, so tests
can check linearity without timing anything.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator

from dcmfast.web.errors import MultipartError

__all__ = ["MultipartParser", "Part", "BytesSink", "parse_content_type", "boundary_of",
           "iter_parts", "encode_multipart"]

_PREAMBLE, _DELIM_LINE, _HEADERS, _BODY_SCAN, _BODY_KNOWN, _VERIFY, _EPILOGUE = range(7)
_STATE_NAMES = ["preamble", "boundary line", "part headers", "part body", "part body",
                "part body", "epilogue"]
_LWSP = frozenset(b" \t")
#: transport padding allowed after a boundary (RFC 2046: linear white space)
_MAX_PADDING = 1024


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """``'multipart/related; type="application/dicom"; boundary=x'`` ->
    ``('multipart/related', {'type': 'application/dicom', 'boundary': 'x'})``.

    Parameter names are lower-cased; quoted values are unquoted. A quoted
    ``type`` may itself carry parameters (``type="application/octet-stream;
    transfer-syntax=..."``, as Orthanc sends).
    """
    value = value or ""
    i = value.find(";")
    media = (value if i < 0 else value[:i]).strip().lower()
    params: dict[str, str] = {}
    if i >= 0:
        for m in re.finditer(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', value[i:]):
            key, val = m.group(1).lower(), m.group(2).strip()
            if len(val) >= 2 and val[0] == val[-1] == '"':
                val = re.sub(r"\\(.)", r"\1", val[1:-1])
            params[key] = val
    return media, params


def boundary_of(content_type: str) -> bytes:
    """The boundary of a multipart Content-Type (MultipartError if none)."""
    media, params = parse_content_type(content_type)
    if not media.startswith("multipart/"):
        raise MultipartError(f"not a multipart response (Content-Type: {content_type!r})")
    boundary = params.get("boundary")
    if not boundary or len(boundary) > 200:
        raise MultipartError(f"multipart Content-Type without a valid boundary: {content_type!r}")
    return boundary.encode("latin-1")


class Part:
    """One body part: ``headers`` (lower-case names) and ``content``.

    ``content`` is a bytearray owned by the part (the default sink), or what a
    custom sink returned.
    """

    __slots__ = ("headers", "content")

    def __init__(self, headers: dict[str, str], content: Any) -> None:
        self.headers = headers
        self.content = content

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return parse_content_type(self.content_type)[0]

    @property
    def transfer_syntax(self) -> str | None:
        return parse_content_type(self.content_type)[1].get("transfer-syntax")

    @property
    def content_location(self) -> str | None:
        return self.headers.get("content-location")

    def __repr__(self) -> str:
        size = len(self.content) if hasattr(self.content, "__len__") else "?"
        return f"<Part {self.content_type or 'text/plain'}, {size} bytes>"


class BytesSink:
    """Collects a part's bytes in a bytearray, preallocated when the length is
    declared (up to ``max_prealloc`` bytes; beyond that it grows as it goes)."""

    __slots__ = ("headers", "buf", "pos", "fixed")

    def __init__(self, headers: dict[str, str], length: int | None,
                 max_prealloc: int = 1 << 30) -> None:
        self.headers = headers
        self.fixed = length is not None and 0 < length <= max_prealloc
        self.buf = bytearray(length) if self.fixed else bytearray()
        self.pos = 0

    def write(self, data: Any) -> None:
        if self.fixed:
            n = len(data)
            end = self.pos + n
            if end > len(self.buf):  # the parser never lets this happen
                raise MultipartError("part longer than its Content-Length")
            self.buf[self.pos:end] = data
            self.pos = end
        else:
            self.buf += data

    def finish(self) -> Part:
        if self.fixed and self.pos != len(self.buf):
            del self.buf[self.pos:]
        return Part(self.headers, self.buf)

    def abort(self) -> None:
        self.buf = bytearray()


def _parse_headers(block: bytes, offset: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    text = block.decode("latin-1")
    lines: list[str] = []
    for line in text.split("\r\n"):
        if not line:
            continue
        if line[0] in " \t" and lines:  # folded header line (RFC 822)
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or name != name.rstrip():
            raise MultipartError(f"malformed part header {line[:80]!r} at byte {offset}",
                                 offset=offset)
        headers[name.strip().lower()] = value.strip()
    return headers


class MultipartParser:
    """Push parser for one multipart body.

    Parameters
    ----------
    boundary : bytes or str
        The boundary from the Content-Type (without the leading ``--``).
    sink_factory : callable, optional
        ``sink_factory(headers, length)`` -> an object with ``write(data)``
        (``data`` a bytes-like view valid only during the call),
        ``finish()`` (returns what :meth:`feed` yields for the part) and
        ``abort()``. ``length`` is the part's declared Content-Length or None.
        Default: :class:`BytesSink`, giving :class:`Part` objects.
    max_header_bytes : int
        Largest header block of a part.
    max_part_bytes : int, optional
        Largest part body accepted (MultipartError beyond).

    Use :meth:`feed` with each chunk (it returns the parts completed by that
    chunk) and :meth:`close` at the end of the body (it raises
    :class:`MultipartError` if the body was truncated or never closed).
    """

    def __init__(self, boundary: bytes | str, sink_factory: Callable[..., Any] | None = None, *,
                 max_header_bytes: int = 65536, max_part_bytes: int | None = None) -> None:
        if isinstance(boundary, str):
            boundary = boundary.encode("latin-1")
        if not boundary:
            raise ValueError("empty multipart boundary")
        self._delim = b"\r\n--" + bytes(boundary)
        self._dlen = len(self._delim)
        self._factory = sink_factory or BytesSink
        self._max_header = max_header_bytes
        self._max_part = max_part_bytes
        self._state = _PREAMBLE
        # a virtual CRLF: the first boundary may open the body without one
        self._buf = bytearray(b"\r\n")
        self._resume = 0  # where the next search in _buf starts (linear scanning)
        self._held = b""  # body bytes that may start a delimiter
        self._sink: Any = None
        self._remaining = 0
        self._part_size = 0
        self._out: list = []
        self._pos = -2  # body offset of _buf[0] (the virtual CRLF is at -2)
        self.bytes_scanned = 0
        self.bytes_fed = 0
        self.parts = 0
        self.closed = False

    # -- public -----------------------------------------------------------------------
    def feed(self, data: Any) -> list:
        """Consume the next chunk; return the parts it completed (maybe none)."""
        if self.closed:
            raise MultipartError("data fed after close()")
        out = self._out = []
        if not data:
            return out
        if not isinstance(data, (bytes, bytearray)):
            data = bytes(data)
        self.bytes_fed += len(data)
        try:
            if self._state in (_BODY_SCAN, _BODY_KNOWN):
                rest = self._body(data)
                if rest is not None:
                    self._buf += rest
                    self._run()
            elif self._state != _EPILOGUE:
                self._buf += data
                self._run()
        except BaseException:
            self.abort()
            raise
        return out

    def close(self) -> list:
        """End of the body: raise MultipartError unless the close delimiter was seen."""
        if self.closed:
            return []
        self.closed = True
        out = self._out = []
        if self._state == _EPILOGUE:
            return out
        state = _STATE_NAMES[self._state]
        self.abort()
        if self.parts == 0 and self._state == _PREAMBLE:
            raise MultipartError(
                f"truncated or malformed multipart body: no boundary found in {self.bytes_fed} bytes",
                offset=self.bytes_fed)
        if self._state == _DELIM_LINE:
            raise MultipartError(
                f"truncated multipart body: the final boundary ('--' after the delimiter) is "
                f"missing after part {self.parts} (body ended at byte {self.bytes_fed})",
                offset=self.bytes_fed)
        raise MultipartError(
            f"truncated multipart body: it ended inside the {state} of part {self.parts + 1} "
            f"(at byte {self.bytes_fed}; {self._part_size} bytes of that part received)",
            offset=self.bytes_fed)

    def abort(self) -> None:
        """Drop the part being assembled (its sink's ``abort()`` is called)."""
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.abort()

    # -- internals ----------------------------------------------------------------------
    def _error(self, message: str, offset: int) -> MultipartError:
        return MultipartError(f"malformed multipart body: {message} (at byte {offset})", offset=offset)

    def _run(self) -> None:
        """Advance through the non-body states using what is in ``_buf``."""
        buf = self._buf
        delim, dlen = self._delim, self._dlen
        while True:
            state = self._state
            if state == _PREAMBLE:
                start = self._resume
                i = buf.find(delim, start)
                self.bytes_scanned += (len(buf) if i < 0 else i + dlen) - start
                if i < 0:
                    keep = dlen - 1
                    if len(buf) > keep:  # the preamble is ignored: drop it as it goes
                        cut = len(buf) - keep
                        del buf[:cut]
                        self._pos += cut
                    self._resume = max(0, len(buf) - dlen + 1)
                    return
                del buf[:i + dlen]
                self._pos += i + dlen
                self._resume = 0
                self._state = _DELIM_LINE
            elif state == _DELIM_LINE:
                if len(buf) < 2:
                    return
                if buf[0] == 0x2D and buf[1] == 0x2D:  # '--': close delimiter
                    self._state = _EPILOGUE
                    buf.clear()
                    return
                i = buf.find(b"\r\n", 0, _MAX_PADDING + 2)
                if i < 0:
                    if len(buf) > _MAX_PADDING or any(c not in _LWSP for c in buf[:-1]):
                        raise self._error("garbage after a boundary", self._pos)
                    return
                if any(c not in _LWSP for c in buf[:i]):
                    raise self._error(f"garbage after a boundary: {bytes(buf[:i])[:40]!r}", self._pos)
                del buf[:i + 2]
                self._pos += i + 2
                self._state = _HEADERS
                self._resume = 0
                self._part_size = 0
            elif state == _HEADERS:
                if len(buf) < 2:
                    return
                if buf[0] == 0x0D and buf[1] == 0x0A:  # no headers at all
                    end, skip = 0, 2
                else:
                    start = self._resume
                    end = buf.find(b"\r\n\r\n", start)
                    self.bytes_scanned += (len(buf) if end < 0 else end + 4) - start
                    if end < 0:
                        if len(buf) > self._max_header:
                            raise self._error(
                                f"part headers longer than {self._max_header} bytes", self._pos)
                        self._resume = max(0, len(buf) - 3)
                        return
                    skip = end + 4
                headers = _parse_headers(bytes(buf[:end]), self._pos)
                del buf[:skip]
                self._pos += skip
                self._start_part(headers)
                if self._state == _VERIFY:  # Content-Length: 0
                    continue
                if not buf:
                    return
                data = bytes(buf)
                buf.clear()
                rest = self._body(data)
                if rest is None:
                    return
                buf += rest
            elif state == _VERIFY:
                n = min(len(buf), dlen)
                if buf[:n] != delim[:n]:
                    raise self._error(
                        f"part {self.parts + 1} is not followed by the boundary after its "
                        f"Content-Length of {self._part_size} bytes", self._pos)
                if n < dlen:
                    return
                del buf[:dlen]
                self._pos += dlen
                self._finish_part()
                self._state = _DELIM_LINE
            else:  # _EPILOGUE (or a body state reached through _body)
                return

    def _start_part(self, headers: dict[str, str]) -> None:
        length: int | None = None
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise self._error(f"invalid part Content-Length {declared!r}", self._pos)
            length = int(declared)
            if self._max_part is not None and length > self._max_part:
                raise self._error(f"part of {length} bytes exceeds max_part_bytes", self._pos)
        self._sink = self._factory(headers, length)
        self._part_size = 0
        if length is not None:
            self._remaining = length
            self._state = _BODY_KNOWN
            if length == 0:
                self._state = _VERIFY
        else:
            self._held = b""
            self._state = _BODY_SCAN

    def _finish_part(self) -> None:
        sink, self._sink = self._sink, None
        self.parts += 1
        self._out.append(sink.finish())

    def _write(self, data: Any) -> None:
        if not len(data):
            return
        self._part_size += len(data)
        if self._max_part is not None and self._part_size > self._max_part:
            raise self._error(f"part exceeds max_part_bytes ({self._max_part})", self._pos)
        self._sink.write(data)

    def _body(self, data: bytes) -> Any:
        """Body bytes (``data`` continues where the previous chunk stopped).

        Returns None while the part goes on, else the bytes after its body
        (for the buffered states; no recursion, however many parts a chunk holds).
        """
        if self._state == _BODY_KNOWN:
            k = min(self._remaining, len(data))
            self._write(memoryview(data)[:k])
            self._remaining -= k
            self._pos += k
            if self._remaining:
                return None
            self._state = _VERIFY
            return memoryview(data)[k:]
        delim, dlen = self._delim, self._dlen
        held = self._held
        if held:
            # a delimiter starting in the held-back bytes ends within dlen - 1 new bytes
            window = held + bytes(memoryview(data)[:dlen - 1])
            self.bytes_scanned += len(window)
            i = window.find(delim)
            if 0 <= i < len(held):
                self._write(memoryview(held)[:i])
                self._pos += i + dlen
                return self._after_delimiter(memoryview(data)[i + dlen - len(held):])
            if len(data) < dlen:
                # short chunk: everything so far may still be a delimiter prefix
                keep = dlen - 1
                cut = max(0, len(window) - keep)
                self._write(memoryview(window)[:cut])
                self._pos += cut
                self._held = window[cut:]
                return None
            self._write(held)
            self._pos += len(held)
            self._held = b""
        i = data.find(delim)
        self.bytes_scanned += len(data) if i < 0 else i + dlen
        if i >= 0:
            self._write(memoryview(data)[:i])
            self._pos += i + dlen
            return self._after_delimiter(memoryview(data)[i + dlen:])
        cut = max(0, len(data) - (dlen - 1))
        self._write(memoryview(data)[:cut])
        self._pos += cut
        self._held = bytes(memoryview(data)[cut:])
        return None

    def _after_delimiter(self, rest: memoryview) -> memoryview:
        self._held = b""
        self._finish_part()
        self._state = _DELIM_LINE
        return rest


def iter_parts(chunks: Iterable[Any], boundary: bytes | str, **kwargs: Any) -> Iterator[Any]:
    """Parse a multipart body given as an iterable of chunks, yielding each
    part as soon as it is complete; MultipartError if the body is truncated."""
    parser = MultipartParser(boundary, **kwargs)
    try:
        for chunk in chunks:
            yield from parser.feed(chunk)
        yield from parser.close()
    finally:
        parser.abort()


def encode_multipart(parts: Iterable[tuple[Any, str]], boundary: str) -> tuple[list[Any], int]:
    """``[(content, content_type), ...]`` -> (chunks of the body, total length).

    Each part carries Content-Type and Content-Length headers; the contents
    are referenced, not copied.
    """
    chunks: list[Any] = []
    total = 0
    sep = f"--{boundary}\r\n".encode()
    for content, ctype in parts:
        head = sep + f"Content-Type: {ctype}\r\nContent-Length: {len(content)}\r\n\r\n".encode()
        chunks += [head, content, b"\r\n"]
        total += len(head) + len(content) + 2
    tail = f"--{boundary}--\r\n".encode()
    chunks.append(tail)
    total += len(tail)
    return chunks, total
