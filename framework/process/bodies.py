"""Request bodies on the strict server: ``wsgi.input`` for Content-Length and chunked bodies.

Both classes extend cheroot's (``KnownLengthRFile``, ``ChunkedRFile``) and read from the
connection's :class:`~framework.process.stream.SocketReader`, under its body deadline.
They differ from cheroot's in what happens when the client misbehaves:

- a body that ends before its ``Content-Length`` is a 400, not a short read that an
  application may take for the whole body;
- chunk sizes are plain hex (no ``0x``, sign, space or empty size), every chunk ends
  with CRLF, and the trailer section is read as header fields (then dropped), so no
  byte of a chunked body can ever be read as the next request;
- a chunked body over ``server.max_request_body_size`` is a 413 as soon as it crosses
  the limit;
- a client too slow for the deadline gets 408.

Each failure is an :class:`~framework.errors.HTTPError` (as Werkzeug's limited stream
raises its ``RequestEntityTooLarge``), so Cherry's pipeline renders it as that status,
and it marks the connection to be closed after the response: a connection whose
framing went wrong is never reused.
"""

from __future__ import annotations

from typing import Any

from cheroot.server import ChunkedRFile, KnownLengthRFile

from framework.errors import HTTPError
from framework.process.head import HeadError, Limits, check_head, parse_fields, valid_chunk_size
from framework.process.stream import SocketReader

__all__ = ["TRUNCATED", "ChunkedInput", "FixedLengthInput"]

#: The 400 message for a body that ends before its framing says it does.
TRUNCATED = "The request body is shorter than its framing declares."
#: Longest chunk-size line (size and extensions).
CHUNK_LINE_LIMIT = 4096


class _Framed:
    """What both inputs share: failures that close the connection."""

    req: Any
    failed = False

    def _fail(self, status: int, message: str | None = None) -> HTTPError:
        self.failed = True
        self.req.close_connection = True
        return HTTPError(status, message)

    def close(self) -> None:
        """Do nothing: the connection owns the socket (cheroot's would close it)."""


class FixedLengthInput(_Framed, KnownLengthRFile):
    """``wsgi.input`` for a body of ``Content-Length`` bytes.

    Args:
        req: the cheroot request (its connection is closed after a failure).
        rfile: the connection's reader.
        content_length: the declared length.
    """

    def __init__(self, req: Any, rfile: SocketReader, content_length: int) -> None:
        super().__init__(rfile, content_length)
        self.req = req

    @property
    def finished(self) -> bool:
        """True once the whole body was read."""
        return not self.remaining

    def read(self, size: int | None = None) -> bytes:
        """Read up to ``size`` bytes of the body (the rest if None or negative).

        Raises:
            HTTPError: 400 if the client ends the body early, 408 if it is too slow.
        """
        remaining: int = self.remaining
        if not remaining:
            return b""
        size = remaining if size is None or size < 0 else min(size, remaining)
        try:
            data: bytes = self.rfile.read(size)
        except TimeoutError:
            raise self._fail(408) from None
        except OSError:
            raise self._fail(400, TRUNCATED) from None
        if len(data) < size:
            raise self._fail(400, TRUNCATED)
        self.remaining = remaining - size
        return data

    def readline(self, size: int | None = None) -> bytes:
        """Read one line of the body (at most ``size`` bytes).

        Raises:
            HTTPError: as :meth:`read`.
        """
        remaining: int = self.remaining
        if not remaining:
            return b""
        size = remaining if size is None or size < 0 else min(size, remaining)
        try:
            line: bytes = self.rfile.readline(size)
        except TimeoutError:
            raise self._fail(408) from None
        except OSError:
            raise self._fail(400, TRUNCATED) from None
        if len(line) < size and not line.endswith(b"\n"):
            raise self._fail(400, TRUNCATED)
        self.remaining = remaining - len(line)
        return line


class ChunkedInput(_Framed, ChunkedRFile):
    """``wsgi.input`` for a ``Transfer-Encoding: chunked`` body.

    Args:
        req: the cheroot request (its connection is closed after a failure).
        rfile: the connection's reader.
        maxlen: the largest body allowed (0 for no limit).
        limits: the limits of the trailer section (as for the head).
    """

    def __init__(self, req: Any, rfile: SocketReader, maxlen: int, limits: Limits) -> None:
        super().__init__(rfile, maxlen)
        self.req = req
        self.limits = limits

    @property
    def finished(self) -> bool:
        """True once the last chunk and the trailer section were read."""
        return bool(self.closed)

    def _fetch(self) -> None:
        if self.closed:
            return
        try:
            self._fetch_chunk()
        except HeadError as exc:
            raise self._fail(int(exc.status[:3]), exc.message) from None
        except TimeoutError:
            raise self._fail(408) from None
        except OSError:
            raise self._fail(400, TRUNCATED) from None

    def _line(self, limit: int) -> bytes:
        """One CRLF-terminated line, without its CRLF."""
        line: bytes = self.rfile.readline(limit + 2)
        if not line.endswith(b"\r\n"):
            if not line.endswith(b"\n") and len(line) < limit + 2:
                raise HeadError("400 Bad Request", TRUNCATED)
            raise HeadError("400 Bad Request", "Bad chunked transfer coding")
        return line[:-2]

    def _fetch_chunk(self) -> None:
        size = valid_chunk_size(self._line(CHUNK_LINE_LIMIT))
        if size == 0:
            self._read_trailers()
            self.closed = True
            return
        if self.maxlen and self.bytes_read + size > self.maxlen:
            raise self._fail(413)
        chunk: bytes = self.rfile.read(size)
        if len(chunk) < size:
            raise HeadError("400 Bad Request", TRUNCATED)
        if self.rfile.read(2) != b"\r\n":
            raise HeadError("400 Bad Request", "Bad chunked transfer coding")
        self.bytes_read += size
        self.buffer += chunk

    def _read_trailers(self) -> None:
        """Read the trailer section as header fields (checked, then dropped)."""
        limits = self.limits
        lines: list[bytes] = []
        size = 0
        while True:
            line = self._line(limits.head)
            if not line:
                break
            size += len(line) + 2
            check_head(line + b"\r\n")
            lines.append(line)
            if size > limits.head or len(lines) > limits.fields:
                raise HeadError("431 Request Header Fields Too Large", "Trailer section too large")
        if lines:
            parse_fields(lines, limits)

    def read_trailer_lines(self) -> Any:
        """The trailer section is read (and dropped) with the last chunk."""
        return iter(())
